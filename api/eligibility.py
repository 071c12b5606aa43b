"""Eligibility: may this entity have a privilege, or is a restriction in force, and why.

The decision (the consequence's state under the scheme's live score, the reasons in words, the
records behind it) is made here; ``Query.eligibility`` only declares who may ask.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry

from api.access import note_read
from api.context import Info
from api.errors import PublicError
from api.scores import compute, scheme_for
from api.types.company import CompanyType
from api.types.eligibility import Eligibility
from api.types.nodes import resolve_nodes
from api.types.person import PersonType
from api.types.record import RecordType
from api.types.scheme import SchemeConsequence
from api.types.score import ScoreType
from scoring import engine
from scoring.scheme import Scheme

MAX_BEHIND = 10


def _records_behind(result: engine.Score, scheme: Scheme) -> list[str]:
    """Records under blacklist rules first, then the largest deductions (at most ten)."""
    blacklisting = {rule.id for rule in scheme.rules if rule.blacklist}
    own = [c for c in result.contributions if c.kind == engine.RECORD and c.points < 0]
    first = [c.record_id for c in own if c.rule_id in blacklisting and c.record_id]
    rest = [
        c.record_id
        for c in sorted(own, key=lambda c: c.points)
        if c.record_id and c.record_id not in first
    ]
    return (first + rest)[:MAX_BEHIND]


async def decide_eligibility(
    info: Info, id: strawberry.ID, consequence: str, scheme: str | None, as_of: date | None
) -> Eligibility:
    """The answer for the entity ``id`` and the scheme's ``consequence`` as of a day."""
    (node,) = await resolve_nodes(info, [id])
    if not isinstance(node, (CompanyType, PersonType)):
        raise PublicError("id: not a company or a person in the registry")
    if isinstance(node, PersonType):
        note_read(info, node.record_subject())
    chosen = scheme_for(info, node.entity_kind(), scheme)
    wanted = next((c for c in chosen.consequences if c.name == consequence), None)
    if wanted is None:
        known = ", ".join(c.name for c in chosen.consequences)
        raise PublicError(f"consequence: {chosen.id} has no {consequence!r}; it has {known}")
    day = as_of or date.today()
    result = await compute(info, node.record_subject(), node.entity_kind(), chosen, day)
    state = next(c for c in result.consequences if c.name == consequence)
    allowed = not state.in_force if wanted.kind == "restriction" else state.in_force
    reasons = list(state.reasons) or [
        f"level {result.level} does not set it"
        + ("" if not wanted.blacklisted else ", and the entity is not on the blacklist")
    ]
    behind = _records_behind(result, chosen)
    found = await info.context.loaders.record.load_many(behind)
    score = ScoreType.of(result, chosen, datetime.now(UTC))
    return Eligibility(
        allowed=allowed,
        consequence=SchemeConsequence(
            name=wanted.name,
            kind=wanted.kind,
            levels=list(wanted.levels),
            blacklisted=wanted.blacklisted,
            description=wanted.description,
        ),
        in_force=state.in_force,
        level=result.level,
        blacklisted=result.blacklisted,
        reasons=reasons,
        # Disclosed by the answer: the caller may check this entity's eligibility.
        records=[RecordType.of(r, cleared=True) for r in found if r is not None],
        score=score,
    )
