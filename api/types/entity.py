"""The ``Entity`` interface: a person or a company, anything records can concern."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.context import Info
from api.permissions import FileField, Open, fields_need
from api.types.args import After, AsOf, First, SchemeId
from api.types.enums import Category, Polarity, RecordStatus
from graph.models import EntityKind

if TYPE_CHECKING:
    from api.types.record import RecordConnection
    from api.types.score import ScoreType
    from api.types.snapshot import ScoreSnapshotConnection


@fields_need(Open)  # Company keeps these; Person gives its copies of id and name its own rule
@strawberry.interface(
    name="Entity",
    description="A person or a company: anything the registry holds records about.",
)
class EntityType(relay.Node):
    name: str = strawberry.field(description="The registered name.")

    def record_subject(self) -> str:
        """The key records use for this entity (its USCC or identity number)."""
        raise NotImplementedError

    def entity_kind(self) -> EntityKind:
        raise NotImplementedError

    def full_file(self, info: Info) -> bool:
        """Whether the caller sees more of this file than a company's published records
        (``FileField`` has already refused a person's file to anyone else)."""
        from api.access import Can, allowed

        return allowed(info, Can.READ_FULL_FILES, self.record_subject())

    @strawberry.field(
        description="The stored scores of this entity under a scheme, newest first: one "
        "snapshot for every change of value, level or blacklist standing.",
        permission_classes=[FileField],
    )
    async def score_history(
        self,
        info: Info,
        scheme: SchemeId = None,
        first: First = 20,
        after: After = None,
    ) -> Annotated[ScoreSnapshotConnection, strawberry.lazy("api.types.snapshot")] | None:
        from api.types.pagination import page_size, parse_offset
        from api.types.snapshot import snapshot_page
        from graph.repositories import snapshots

        chosen = info.context.schemes.choose(self.entity_kind(), scheme)
        size, start = page_size(first), parse_offset(after)
        found, total = await snapshots.history(
            info.context.graph, self.record_subject(), chosen.id, start, size
        )
        return snapshot_page(found, total, start)

    @strawberry.field(
        description="The explained score under a scheme (by default the installed scheme for "
        "this kind of entity) as of a day (by default today): every point traceable to a "
        "record and a rule, or to a propagation path.",
        permission_classes=[FileField],
    )
    async def score(
        self, info: Info, scheme: SchemeId = None, as_of: AsOf = None
    ) -> Annotated[ScoreType, strawberry.lazy("api.types.score")] | None:
        from api.types.score import ScoreType, explained

        chosen = info.context.schemes.choose(self.entity_kind(), scheme)
        day = as_of or date.today()
        found = await explained(info, self.record_subject(), self.entity_kind(), chosen, day)
        return ScoreType.of(found.score, chosen, datetime.now(UTC), found.shown)

    @strawberry.field(
        description="The entity's records, newest first. All filters are optional; "
        "`status: ACTIVE` gives what is published and counted (all the public sees).",
        permission_classes=[FileField],
    )
    async def records(
        self,
        info: Info,
        polarity: Annotated[
            Polarity | None,
            strawberry.argument(description="Only good records, or only warnings; null: both."),
        ] = None,
        category: Annotated[
            Category | None, strawberry.argument(description="Only records of this category.")
        ] = None,
        status: Annotated[
            RecordStatus | None,
            strawberry.argument(description="Only records in this state; null: any."),
        ] = None,
        first: First = 20,
        after: After = None,
    ) -> Annotated[RecordConnection, strawberry.lazy("api.types.record")] | None:
        from api.types.record import records_connection, records_wanted

        subject = self.record_subject()
        wanted = records_wanted(info, subject, polarity, category, status, first, after)
        return await records_connection(info, subject, wanted)
