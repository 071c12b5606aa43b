"""The root Mutation type: writes of single companies, people, links and records, watches,
disputes and restoration requests.

Each write mutation takes the import format's fields in camelCase, hands them as an import row
to its use case (``usecases.registry``: the same checks as the bulk import) and returns a result
union whose error member names the field and the reason. Nothing is written when a check fails.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

import strawberry

from api.access import Can
from api.context import Info
from api.permissions import Inherited, WritesOn, fields_need, needs, record_subject
from api.resolvers import disputes as dispute_resolvers
from api.resolvers import watching
from api.resolvers.watching import WatchEntry
from api.types.company import CompanyType
from api.types.entity import EntityType
from api.types.enums import Category, CompanyStatus, IdType, Polarity, RelType, Severity
from api.types.nodes import entity_type
from api.types.person import PersonType
from api.types.record import RecordType
from usecases import registry
from usecases.errors import Refusal

SOURCE = "api"


@fields_need(Inherited)
@strawberry.type(description="The input was refused; nothing was written.")
class InvalidInput:
    field: str = strawberry.field(description="The input field at fault (camelCase).")
    message: str = strawberry.field(description="What is wrong with it.")


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _raw(data: object, **extra: Any) -> dict[str, Any]:
    """The input as an import row: snake_case keys, enum values, no unset fields."""
    raw: dict[str, Any] = {}
    for key, value in vars(data).items():
        if value is None:
            continue
        raw[_snake(key).rstrip("_")] = getattr(value, "value", value)
    raw.update(extra)
    return raw


@strawberry.input(description="A company as the import format has it (field names in camelCase).")
class UpsertCompanyInput:
    uscc: str | None = strawberry.field(
        default=None, description="The USCC of a company registered in CN."
    )
    name: str = strawberry.field(description="The registered name.")
    jurisdiction: str | None = strawberry.field(
        default=None,
        description="Where the company is registered, ISO 3166-1 alpha-2 (CN when left out).",
    )
    registry_number: str | None = strawberry.field(
        default=None,
        description="The number in that jurisdiction's registry, for a company registered "
        "outside CN (instead of `uscc`).",
    )
    registration_number: str | None = None
    address: str | None = None
    phone: str | None = None
    status: CompanyStatus | None = None
    founded_on: date | None = None
    registration_authority: str | None = None
    source: str | None = None


@strawberry.input(description="A person as the import format has it.")
class UpsertPersonInput:
    id_number: str = strawberry.field(description="The number of the document `idType` names.")
    name: str = strawberry.field(description="The name as registered.")
    id_type: IdType | None = strawberry.field(
        default=None, description="The document (RESIDENT_ID when left out)."
    )
    nationality: str | None = strawberry.field(
        default=None, description="A passport's issuing country, ISO 3166-1 alpha-2."
    )
    profession: str | None = None
    source: str | None = None


@strawberry.input(
    description="A link between two entities; `from` and `to` are keys (`Company.key`, a person's "
    "identity number or `<id type>:<number>`)."
)
class LinkEntitiesInput:
    rel: RelType
    from_: str = strawberry.field(name="from")
    to: str = strawberry.field(description="The key of the company at the end.")
    stake: float | None = strawberry.field(default=None, description="For SHAREHOLDER_OF.")
    role: str | None = strawberry.field(default=None, description="For OFFICER_OF.")
    since: date | None = None
    until: date | None = None
    source: str | None = None


@strawberry.input(
    description="A record about a person or company (subject: a company's key, a person's "
    "identity number or `<id type>:<number>`)."
)
class AddRecordInput:
    subject: str
    record_id: str
    authority: str
    category: Category
    code: str
    polarity: Polarity
    severity: Severity
    decided_on: date
    case_number: str | None = None
    description: str | None = None
    penalty: str | None = None
    source: str | None = None


@fields_need(Inherited)
@strawberry.type(description="The company as stored after the write.")
class UpsertCompanySuccess:
    company: CompanyType
    created: bool = strawberry.field(description="True when the company was new.")


@fields_need(Inherited)
@strawberry.type(description="The person as stored after the write.")
class UpsertPersonSuccess:
    person: PersonType
    created: bool


@fields_need(Inherited)
@strawberry.type(description="The link as stored, with both ends.")
class LinkEntitiesSuccess:
    rel: RelType
    from_: EntityType = strawberry.field(name="from")
    to: CompanyType
    created: bool


@fields_need(Inherited)
@strawberry.type(description="The record as stored.")
class AddRecordSuccess:
    record: RecordType
    created: bool
    rescored: int = strawberry.field(
        description="Score snapshots that changed: the subject's and its neighbourhood's."
    )


UpsertCompanyResult = Annotated[
    UpsertCompanySuccess | InvalidInput, strawberry.union("UpsertCompanyResult")
]
UpsertPersonResult = Annotated[
    UpsertPersonSuccess | InvalidInput, strawberry.union("UpsertPersonResult")
]
LinkEntitiesResult = Annotated[
    LinkEntitiesSuccess | InvalidInput, strawberry.union("LinkEntitiesResult")
]
AddRecordResult = Annotated[AddRecordSuccess | InvalidInput, strawberry.union("AddRecordResult")]


def refused(error: Refusal) -> InvalidInput:
    return InvalidInput(field=_camel(error.field), message=error.reason)


@strawberry.type(description="Writes to the registry.")
class Mutation:
    @strawberry.mutation(
        description="Create or update a company by its USCC.",
        permission_classes=[WritesOn, needs(Can.WRITE)],
    )
    async def upsert_company(self, info: Info, input: UpsertCompanyInput) -> UpsertCompanyResult:
        try:
            done = await registry.upsert_company(info.context.session, _raw(input), SOURCE)
        except Refusal as error:
            return refused(error)
        return UpsertCompanySuccess(company=CompanyType.of(done.stored), created=done.created)

    @strawberry.mutation(
        description="Create or update a person by their identity number.",
        permission_classes=[WritesOn, needs(Can.WRITE)],
    )
    async def upsert_person(self, info: Info, input: UpsertPersonInput) -> UpsertPersonResult:
        try:
            done = await registry.upsert_person(info.context.session, _raw(input), SOURCE)
        except Refusal as error:
            return refused(error)
        return UpsertPersonSuccess(person=PersonType.of(done.stored), created=done.created)

    @strawberry.mutation(
        description="Link two entities that are both in the registry (never by name).",
        permission_classes=[WritesOn, needs(Can.WRITE)],
    )
    async def link_entities(self, info: Info, input: LinkEntitiesInput) -> LinkEntitiesResult:
        try:
            done = await registry.link_entities(info.context.session, _raw(input), SOURCE)
        except Refusal as error:
            return refused(error)
        link = done.stored
        start, end = await info.context.loaders.entity.load_many([link.from_key, link.to_key])
        assert start is not None and end is not None and end.company is not None
        return LinkEntitiesSuccess(
            rel=link.rel,
            from_=entity_type(start),
            to=CompanyType.of(end.company),
            created=done.created,
        )

    @strawberry.mutation(
        description="Add (or amend) a record about a person or company in the registry.",
        permission_classes=[WritesOn, needs(Can.WRITE)],
    )
    async def add_record(self, info: Info, input: AddRecordInput) -> AddRecordResult:
        try:
            done = await registry.add_record(info.context.session, _raw(input), SOURCE)
        except Refusal as error:
            return refused(error)
        return AddRecordSuccess(
            record=RecordType.of(done.record), created=done.created, rescored=done.rescored
        )

    @strawberry.mutation(
        description="Watch an entity: `watchEvents` then reports its new records, level "
        "changes and blacklist moves. Needs an API key; watching twice changes nothing.",
        permission_classes=[needs(Can.WATCH)],
    )
    async def watch(self, info: Info, id: strawberry.ID) -> WatchEntry:
        return await watching.watch(info, id)

    @strawberry.mutation(
        description="Stop watching an entity; false when it was not watched.",
        permission_classes=[needs(Can.WATCH)],
    )
    async def unwatch(self, info: Info, id: strawberry.ID) -> bool:
        return await watching.unwatch(info, id)

    @strawberry.mutation(
        description="Dispute a record (its subject, or a registrar): it becomes DISPUTED, its "
        "points are suspended as its scheme says, and a registrar decides within 30 days.",
        permission_classes=[record_subject(Can.DISPUTE)],
    )
    async def dispute_record(
        self, info: Info, record_id: str, reason: str
    ) -> dispute_resolvers.DisputeResult:
        return await dispute_resolvers.dispute_record(info, record_id, reason)

    @strawberry.mutation(
        description="Decide a dispute (registrars): UPHELD or AMENDED keep the record, "
        "REMOVED takes it out of the score and of public view (it stays in the history).",
        permission_classes=[needs(Can.RESOLVE_DISPUTES)],
    )
    async def resolve_dispute(
        self, info: Info, id: strawberry.ID, outcome: dispute_resolvers.DisputeOutcome, note: str
    ) -> dispute_resolvers.DisputeResult:
        return await dispute_resolvers.resolve_dispute(info, str(id), outcome, note)

    @strawberry.mutation(
        description="Ask to end a warning record's publication early, the conduct being "
        "corrected (its subject); allowed once the scheme's minimum publication has passed.",
        permission_classes=[record_subject(Can.DISPUTE)],
    )
    async def request_restoration(
        self, info: Info, record_id: str, reason: str
    ) -> dispute_resolvers.DisputeResult:
        return await dispute_resolvers.request_restoration(info, record_id, reason)

    @strawberry.mutation(
        description="Approve (the record becomes RESTORED: no longer published or counted) or "
        "refuse a restoration request, with the reason (registrars).",
        permission_classes=[needs(Can.RESOLVE_DISPUTES)],
    )
    async def decide_restoration(
        self, info: Info, id: strawberry.ID, approve: bool, note: str
    ) -> dispute_resolvers.DisputeResult:
        return await dispute_resolvers.decide_restoration(info, str(id), approve, note)
