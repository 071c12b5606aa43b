"""``Company``: an organisation registered under a Unified Social Credit Code or in another
jurisdiction's registry, and its linked parties."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.access import Can
from api.context import Info
from api.permissions import Open, fields_need, needs
from api.types.entity import EntityType
from api.types.enums import CompanyStatus
from api.types.relations import Officer, Shareholding, shareholding
from graph import models
from graph.identifiers import parse_uscc

if TYPE_CHECKING:
    from api.types.person import PersonType

LazyPerson = Annotated["PersonType", strawberry.lazy("api.types.person")]


@fields_need(Open)
@strawberry.type(
    name="Company",
    description="An organisation: registered in CN under an 18-character Unified Social Credit "
    "Code, or elsewhere (a Hong Kong holding company, a Cayman parent) under that jurisdiction's "
    "registry number.",
)
class CompanyType(EntityType):
    node_key: relay.NodeID[str]
    key: str = strawberry.field(
        description="The key links, records and lookups name the company by: its USCC, or "
        "`<jurisdiction>:<registry number>` (`HK:1234567`) for a company registered elsewhere."
    )
    uscc: str | None = strawberry.field(
        description="The Unified Social Credit Code; null for a company registered outside CN "
        "(see `jurisdiction` and `registryNumber`)."
    )
    registry_number: str = strawberry.field(
        description="The company's number in the registry of its jurisdiction: the USCC in CN, "
        "a Companies Registry number in HK, a registration or tax number elsewhere."
    )
    uscc_valid: bool = strawberry.field(
        description="False when the code's check character is wrong (real registries hold "
        "such codes; they are kept and flagged)."
    )
    registration_number: str | None = strawberry.field(
        description="The business registration number (注册号), where registered."
    )
    address: str | None = strawberry.field(description="The registered address.")
    phone: str | None = strawberry.field(description="The registered phone number.")
    status: CompanyStatus = strawberry.field(description="The registration status.")
    founded_on: date | None = strawberry.field(description="The founding day.")
    registration_authority: str | None = strawberry.field(
        description="The authority that registered the company (a market regulation bureau, "
        "市场监督管理局)."
    )
    jurisdiction: str = strawberry.field(
        description="Where the company is registered, as an ISO 3166-1 alpha-2 code: CN for a "
        "company under a Unified Social Credit Code."
    )
    organisation_type: str | None = strawberry.field(
        description="The organisation type decoded from characters 1-2 of the USCC (null "
        "outside CN)."
    )
    region: str | None = strawberry.field(
        description="The administrative division decoded from characters 3-8 of the USCC "
        "(null outside CN)."
    )
    model: strawberry.Private[models.Company]

    @classmethod
    def of(cls, c: models.Company) -> CompanyType:
        ident = c.ident
        code = parse_uscc(c.uscc) if ident.jurisdiction == "CN" else None
        return cls(
            node_key=c.uscc,
            name=c.name,
            key=c.uscc,
            uscc=c.uscc if code else None,
            registry_number=ident.number,
            uscc_valid=c.uscc_valid,
            registration_number=c.registration_number,
            address=c.address,
            phone=c.phone,
            status=c.status,
            founded_on=c.founded_on,
            registration_authority=c.registration_authority,
            jurisdiction=ident.jurisdiction,
            organisation_type=code.organisation_type if code else None,
            region=code.region if code else None,
            model=c,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one signature for strawberry's overloads
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CompanyType | None]:
        found = await info.context.loaders.company.load_many(list(node_ids))
        return [cls.of(c) if c else None for c in found]

    def entity_kind(self) -> models.EntityKind:
        return models.EntityKind.COMPANY

    def record_subject(self) -> str:
        return self.key

    @strawberry.field(
        description="The current legal representative (法定代表人), for roles that may look "
        "people up; everyone else has `legalRepresentativeName`.",
        permission_classes=[needs(Can.LOOK_UP_PERSONS)],
    )
    async def legal_representative(self, info: Info) -> LazyPerson | None:
        from api.types.person import PersonType

        person = await self._representative(info)
        return PersonType.of(person) if person else None

    @strawberry.field(
        description="The current legal representative's name, as a public registry shows it "
        "(nothing else about the person)."
    )
    async def legal_representative_name(self, info: Info) -> str | None:
        person = await self._representative(info)
        return person.name if person else None

    async def _representative(self, info: Info) -> models.Person | None:
        links = await info.context.loaders.legal_representatives.load(self.key)
        current = [link for link in links if link.until is None] or links
        return current[0].other.person if current else None

    @strawberry.field(
        description="Who holds shares in this company, largest stake first. A person "
        "holder's fields follow the person rule (the public sees none of them)."
    )
    async def shareholders(self, info: Info) -> list[Shareholding]:
        from api.types.nodes import entity_type

        links = await info.context.loaders.shareholders.load(self.key)
        return [shareholding(entity_type(link.other), self, link) for link in links]

    @strawberry.field(description="The companies this company holds shares in.")
    async def holdings(self, info: Info) -> list[Shareholding]:
        links = await info.context.loaders.company_holdings.load(self.key)
        return [
            shareholding(self, CompanyType.of(link.other.company), link)
            for link in links
            if link.other.company
        ]

    @strawberry.field(
        description="The company's officers (directors, supervisors, managers), for roles "
        "that may look people up.",
        permission_classes=[needs(Can.LOOK_UP_PERSONS)],
    )
    async def officers(self, info: Info) -> list[Officer]:
        from api.types.person import PersonType

        links = await info.context.loaders.officers.load(self.key)
        return [
            Officer(
                person=PersonType.of(link.other.person),
                company=self,
                role=link.role or "",
                since=link.since,
                until=link.until,
                source=link.source,
            )
            for link in links
            if link.other.person
        ]

    @strawberry.field(description="The company's branches.")
    async def branches(self, info: Info) -> list[CompanyType]:
        links = await info.context.loaders.branches.load(self.key)
        return [CompanyType.of(link.other.company) for link in links if link.other.company]

    @strawberry.field(description="The company this one is a branch of, if any.")
    async def parent(self, info: Info) -> CompanyType | None:
        links = await info.context.loaders.parents.load(self.key)
        company = links[0].other.company if links else None
        return CompanyType.of(company) if company else None
