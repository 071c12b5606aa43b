"""How two entities are linked: a shareholding, an office, a representation, a branch."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.permissions import Inherited, fields_need
from graph import models

if TYPE_CHECKING:
    from api.types.company import CompanyType
    from api.types.entity import EntityType
    from api.types.person import PersonType

LazyEntity = Annotated["EntityType", strawberry.lazy("api.types.entity")]
LazyCompany = Annotated["CompanyType", strawberry.lazy("api.types.company")]


@fields_need(Inherited)
@strawberry.type(description="A stake one entity holds in a company.")
class Shareholding:
    holder: LazyEntity = strawberry.field(description="The shareholder, a person or a company.")
    company: LazyCompany = strawberry.field(description="The company held.")
    stake: float = strawberry.field(description="The share held, in (0, 1].")
    since: date | None = strawberry.field(description="When the holding began, where known.")
    until: date | None = strawberry.field(description="When it ended; null while held.")
    source: str | None = strawberry.field(description="Where the registry learned of it.")


@fields_need(Inherited)
@strawberry.type(description="A person's office in a company (director, supervisor, manager ...).")
class Officer:
    person: Annotated[PersonType, strawberry.lazy("api.types.person")] = strawberry.field(
        description="The officer."
    )
    company: LazyCompany = strawberry.field(description="The company served.")
    role: str = strawberry.field(description="The office held, as registered.")
    since: date | None = strawberry.field(description="When the office began, where known.")
    until: date | None = strawberry.field(description="When it ended; null while held.")
    source: str | None = strawberry.field(
        description="Where the registry learned of it (an import file, `api`)."
    )


def shareholding(holder: EntityType, company: CompanyType, link: models.Link) -> Shareholding:
    return Shareholding(
        holder=holder,
        company=company,
        stake=link.stake or 0.0,
        since=link.since,
        until=link.until,
        source=link.source,
    )
