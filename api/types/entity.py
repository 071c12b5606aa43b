"""The ``Entity`` interface: a person or a company, anything records can concern."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.context import Info
from api.types.enums import Category, Polarity, RecordStatus

if TYPE_CHECKING:
    from api.types.record import RecordConnection


@strawberry.interface(
    description="A person or a company: anything the registry holds records about."
)
class Entity(relay.Node):
    name: str = strawberry.field(description="The registered name.")

    def record_subject(self) -> str:
        """The key records use for this entity (its USCC or identity number)."""
        raise NotImplementedError

    @strawberry.field(
        description="The entity's records, newest first. All filters are optional; "
        "`status: ACTIVE` gives what is published and counted."
    )
    async def records(
        self,
        info: Info,
        polarity: Polarity | None = None,
        category: Category | None = None,
        status: RecordStatus | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Annotated[RecordConnection, strawberry.lazy("api.types.record")]:
        from api.types.record import records_connection

        return await records_connection(
            info, self.record_subject(), polarity, category, status, first, after
        )
