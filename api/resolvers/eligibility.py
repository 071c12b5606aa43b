"""``Query.eligibility`` answered: the entity resolved, the decision asked of
``usecases.eligibility`` (where the rule lives), the answer mapped to its type."""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry

from api.access import note_read
from api.context import Info
from api.errors import NotFoundError
from api.types.company import CompanyType
from api.types.eligibility import Eligibility
from api.types.nodes import resolve_nodes
from api.types.person import PersonType
from api.types.record import RecordType
from api.types.scheme import SchemeConsequence
from api.types.score import ScoreType
from scoring.vocabulary import ConsequenceCode, LevelName
from usecases import eligibility


async def decide_eligibility(
    info: Info,
    id: strawberry.ID,
    consequence: ConsequenceCode,
    scheme: str | None,
    as_of: date | None,
) -> Eligibility:
    """The answer for the entity ``id`` and the scheme's ``consequence`` as of a day."""
    (node,) = await resolve_nodes(info, [id])
    if not isinstance(node, (CompanyType, PersonType)):
        raise NotFoundError("id: not a company or a person in the registry")
    if isinstance(node, PersonType):
        note_read(info, node.record_subject())
    decision = await eligibility.decide_eligibility(
        info.context.session,
        node.record_subject(),
        node.entity_kind(),
        consequence.value,
        scheme,
        as_of,
    )
    found = await info.context.loaders.record.load_many(list(decision.records_behind))
    wanted, result = decision.consequence, decision.score
    return Eligibility(
        allowed=decision.allowed,
        consequence=SchemeConsequence.of(wanted),
        in_force=decision.in_force,
        level=LevelName(result.level),
        blacklisted=result.blacklisted,
        reasons=list(decision.reasons),
        # Disclosed by the answer: the caller may check this entity's eligibility.
        records=[RecordType.of(r, cleared=True) for r in found if r is not None],
        score=ScoreType.of(result, decision.scheme, datetime.now(UTC)),
    )
