"""``ScoreSnapshot``: a stored score, one for every change, kept as the subject's history."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.context import Info
from api.permissions import Inherited, ScoreField, fields_need
from api.types.pagination import Connection
from graph.repositories import snapshots
from scoring.vocabulary import LevelName

if TYPE_CHECKING:
    from api.types.entity import EntityType


@fields_need(ScoreField)
@strawberry.type(description="A score as it was stored when it changed.")
class ScoreSnapshot:
    value: float = strawberry.field(description="The score's value, as `Score.value`.")
    level: LevelName = strawberry.field(description="The level it gave.")
    blacklisted: bool = strawberry.field(description="Whether it put the subject on the blacklist.")
    blacklist_reasons: list[str] = strawberry.field(
        description="Why the subject was on the blacklist, in words (empty when not)."
    )
    scheme_id: str = strawberry.field(description="The scheme it was scored under (`Scheme.id`).")
    scheme_version: str = strawberry.field(description="That scheme's version.")
    as_of: date = strawberry.field(description="The day the score describes.")
    computed_at: datetime = strawberry.field(description="When it was computed and stored.")
    latest: bool = strawberry.field(description="True for the subject's current snapshot.")
    subject_key: strawberry.Private[str]

    @classmethod
    def of(cls, s: snapshots.Snapshot) -> ScoreSnapshot:
        return cls(
            value=s.value,
            level=LevelName(s.level),
            blacklisted=s.blacklisted,
            blacklist_reasons=list(s.blacklist_reasons),
            scheme_id=s.scheme_id,
            scheme_version=s.scheme_version,
            as_of=s.as_of,
            computed_at=s.computed_at,
            latest=s.latest,
            subject_key=s.subject_key,
        )

    @strawberry.field(description="The person or company scored.")
    async def subject(
        self, info: Info
    ) -> Annotated[EntityType, strawberry.lazy("api.types.entity")] | None:
        from api.types.nodes import entity_type

        found = await info.context.loaders.entity.load(self.subject_key)
        return entity_type(found) if found else None


@fields_need(Inherited)
@strawberry.type(name="ScoreSnapshotConnection", description="A page of score snapshots.")
class ScoreSnapshotConnection(Connection[ScoreSnapshot]):
    pass


def snapshot_page(
    found: list[snapshots.Snapshot], total: int, start: int
) -> ScoreSnapshotConnection:
    return ScoreSnapshotConnection.page(
        [ScoreSnapshot.of(s) for s in found], start=start, total=total
    )
