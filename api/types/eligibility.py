"""``Eligibility``: may this entity have a privilege, or is a restriction in force, and why."""

from __future__ import annotations

import strawberry

from api.permissions import Inherited, fields_need
from api.types.record import RecordType
from api.types.scheme import SchemeConsequence
from api.types.score import ScoreType
from scoring.vocabulary import LevelName


@fields_need(Inherited)
@strawberry.type(
    description="The answer to 'may this entity ...?': allowed or not, with the level, the "
    "blacklist and the records behind the answer."
)
class Eligibility:
    allowed: bool = strawberry.field(
        description="For a restriction: true when it is not in force. For a privilege: true "
        "when it is granted."
    )
    consequence: SchemeConsequence = strawberry.field(
        description="The consequence asked about, as the scheme defines it."
    )
    in_force: bool = strawberry.field(description="Whether the consequence applies to the entity.")
    level: LevelName = strawberry.field(description="The entity's level under the scheme.")
    blacklisted: bool = strawberry.field(description="Whether the entity is on the blacklist.")
    reasons: list[str] = strawberry.field(description="What sets or withholds it, in words.")
    records: list[RecordType] = strawberry.field(
        description="The records behind the answer: those under blacklist rules, then the "
        "largest deductions."
    )
    score: ScoreType = strawberry.field(description="The score the answer rests on.")
