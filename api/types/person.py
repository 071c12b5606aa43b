"""``Person``: someone identified by a resident identity number or another document (a residence
or travel permit, a foreign passport), and the companies they are linked to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.context import Info
from api.permissions import PersonField, fields_need
from api.types.entity import EntityType
from api.types.relations import Officer, Shareholding, shareholding
from graph import models
from graph.parties import IdType

if TYPE_CHECKING:
    from api.types.company import CompanyType

LazyCompany = Annotated["CompanyType", strawberry.lazy("api.types.company")]


@fields_need(PersonField)
@strawberry.type(
    name="Person",
    description="A person in the registry. The global id is opaque: it never carries the "
    "identity number.",
)
class PersonType(EntityType):
    node_key: relay.NodeID[str]
    profession: str | None = strawberry.field(description="The profession, where registered.")
    model: strawberry.Private[models.Person]

    @classmethod
    def of(cls, p: models.Person) -> PersonType:
        return cls(
            node_key=p.uid,
            name=p.name,
            profession=p.profession,
            model=p,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one signature for strawberry's overloads
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PersonType | None]:
        found = await info.context.loaders.person_by_uid.load_many(list(node_ids))
        return [cls.of(p) if p else None for p in found]

    @strawberry.field(
        description="The number of the document `idType` names: whole for investigators, "
        "registrars and the person's own subject key; masked for everyone else (the birth date "
        "of an 18-digit number, 110105********1234; all but the last four characters of "
        "another)."
    )
    def id_number(self, info: Info) -> str:
        from api.access import Can, allowed

        ident = self.model.ident
        if allowed(info, Can.SEE_ID_NUMBERS, self.model.id_number):
            return ident.number
        return ident.masked_number

    @strawberry.field(
        description="The document the person is identified by (RESIDENT_ID: a resident "
        "identity card)."
    )
    def id_type(self) -> IdType:
        return self.model.ident.id_type

    @strawberry.field(
        description="The nationality, ISO 3166-1 alpha-2, that a passport or a foreign "
        "permanent resident identity card gives (null for the other documents)."
    )
    def nationality(self) -> str | None:
        return self.model.ident.nationality

    def entity_kind(self) -> models.EntityKind:
        return models.EntityKind.PERSON

    def record_subject(self) -> str:
        return self.model.id_number

    @strawberry.field(description="The companies this person is the legal representative of.")
    async def represented_companies(self, info: Info) -> list[LazyCompany]:
        from api.types.company import CompanyType

        links = await info.context.loaders.represented.load(self.model.id_number)
        return [CompanyType.of(link.other.company) for link in links if link.other.company]

    @strawberry.field(description="The companies this person holds shares in.")
    async def holdings(self, info: Info) -> list[Shareholding]:
        from api.types.company import CompanyType

        links = await info.context.loaders.person_holdings.load(self.model.id_number)
        return [
            shareholding(self, CompanyType.of(link.other.company), link)
            for link in links
            if link.other.company
        ]

    @strawberry.field(description="The offices this person holds in companies.")
    async def offices(self, info: Info) -> list[Officer]:
        from api.types.company import CompanyType

        links = await info.context.loaders.offices.load(self.model.id_number)
        return [
            Officer(
                person=self,
                company=CompanyType.of(link.other.company),
                role=link.role or "",
                since=link.since,
                until=link.until,
                source=link.source,
            )
            for link in links
            if link.other.company
        ]
