"""Eligibility: may this entity have a privilege, or is a restriction in force, and why.

The decision is the consequence's state under the scheme's live score (``scoring.engine``
decides which consequences a level or the blacklist sets): a restriction allows when it is not
in force, a privilege when it is. Its reasons are given in words, with the records behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from graph.models import EntityKind
from scoring import engine, policy
from scoring.scheme import Consequence, Scheme
from usecases.errors import BadArgument
from usecases.scores import score_of
from usecases.session import Session

MAX_BEHIND = 10  # records named behind a decision


@dataclass(frozen=True)
class Decision:
    allowed: bool
    consequence: Consequence
    in_force: bool
    reasons: tuple[str, ...]
    records_behind: tuple[str, ...]  # record ids: blacklisting ones first, then the largest
    score: engine.Score
    scheme: Scheme


def records_behind(result: engine.Score, scheme: Scheme) -> list[str]:
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
    session: Session,
    key: str,
    kind: EntityKind,
    consequence: str,
    scheme: str | None,
    as_of: date | None,
) -> Decision:
    """Whether the entity ``key`` may have (or is spared) the scheme's ``consequence``."""
    chosen = session.schemes.choose(kind, scheme)
    wanted = next((c for c in chosen.consequences if c.name == consequence), None)
    if wanted is None:
        # Named by their codes, as a client writes them (the GraphQL enum's names).
        known = ", ".join(c.name.upper() for c in chosen.consequences)
        raise BadArgument(
            "consequence", f"{chosen.id} has no {consequence.upper()}; it has {known}"
        )
    result = await score_of(session.graph, key, kind, chosen, as_of or date.today())
    state = next(c for c in result.consequences if c.name == consequence)
    allowed = not state.in_force if wanted.kind == "restriction" else state.in_force
    reasons = state.reasons or (
        f"{policy.level_reason(result.level)} does not set it"
        + ("" if not wanted.blacklisted else ", and the entity is not on the blacklist"),
    )
    return Decision(
        allowed=allowed,
        consequence=wanted,
        in_force=state.in_force,
        reasons=tuple(reasons),
        records_behind=tuple(records_behind(result, chosen)),
        score=result,
        scheme=chosen,
    )
