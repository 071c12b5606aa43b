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
from api.types.args import EntityId
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
@strawberry.type(description="One input field at fault and what is wrong with it.")
class FieldProblem:
    field: str = strawberry.field(description="The input field (camelCase).")
    message: str = strawberry.field(description="What is wrong with it.")


@fields_need(Inherited)
@strawberry.type(description="The input was refused; nothing was written.")
class InvalidInput:
    field: str = strawberry.field(description="The first input field at fault (camelCase).")
    message: str = strawberry.field(description="What is wrong with it.")
    problems: list[FieldProblem] = strawberry.field(
        description="Every input field at fault, the first one included, so that a form can "
        "mark them all at once."
    )


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
    registration_number: str | None = strawberry.field(
        default=None, description="The business registration number (注册号), 6-30 characters."
    )
    address: str | None = strawberry.field(default=None, description="The registered address.")
    phone: str | None = strawberry.field(default=None, description="The registered phone.")
    status: CompanyStatus | None = strawberry.field(
        default=None, description="The registration status (ACTIVE when left out)."
    )
    founded_on: date | None = strawberry.field(default=None, description="The founding day.")
    registration_authority: str | None = strawberry.field(
        default=None, description="The authority that registered the company."
    )
    source: str | None = strawberry.field(
        default=None, description="Where the registry learned of it (`api` when left out)."
    )


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
    profession: str | None = strawberry.field(default=None, description="The profession.")
    source: str | None = strawberry.field(
        default=None, description="Where the registry learned of it (`api` when left out)."
    )


@strawberry.input(
    description="A link between two entities; `from` and `to` are keys (`Company.key`, a person's "
    "identity number or `<id type>:<number>`)."
)
class LinkEntitiesInput:
    rel: RelType = strawberry.field(description="The relationship type.")
    from_: str = strawberry.field(
        name="from", description="The key of the person or company at the start."
    )
    to: str = strawberry.field(description="The key of the company at the end.")
    stake: float | None = strawberry.field(
        default=None, description="For SHAREHOLDER_OF: the share held, in (0, 1]."
    )
    role: str | None = strawberry.field(
        default=None, description="For OFFICER_OF: the office held (`officer` when left out)."
    )
    since: date | None = strawberry.field(default=None, description="When the link began.")
    until: date | None = strawberry.field(
        default=None, description="When it ended; null while it holds."
    )
    source: str | None = strawberry.field(
        default=None, description="Where the registry learned of it (`api` when left out)."
    )


@strawberry.input(
    description="A record about a person or company (subject: a company's key, a person's "
    "identity number or `<id type>:<number>`)."
)
class AddRecordInput:
    subject: str = strawberry.field(description="The key of the person or company it is about.")
    record_id: str = strawberry.field(
        description="The issuer's id of the record, unique in the registry; the same id "
        "amends the record."
    )
    authority: str = strawberry.field(description="The issuing authority.")
    category: Category = strawberry.field(description="The area it belongs to.")
    code: str = strawberry.field(
        description="Its code in the record-code catalogue (`JUDGMENT_DEFAULT`, `TAX_ARREARS`)."
    )
    polarity: Polarity = strawberry.field(description="Good or warning, as the catalogue says.")
    severity: Severity = strawberry.field(description="How grave it is.")
    decided_on: date = strawberry.field(description="The day of the decision.")
    case_number: str | None = strawberry.field(
        default=None, description="The decision's case number (文书号)."
    )
    description: str | None = strawberry.field(default=None, description="What happened.")
    penalty: str | None = strawberry.field(default=None, description="The penalty imposed.")
    source: str | None = strawberry.field(
        default=None, description="Where the registry learned of it (`api` when left out)."
    )


@fields_need(Inherited)
@strawberry.type(description="The company as stored after the write.")
class UpsertCompanySuccess:
    company: CompanyType = strawberry.field(description="The company as stored.")
    created: bool = strawberry.field(description="True when the company was new.")


@fields_need(Inherited)
@strawberry.type(description="The person as stored after the write.")
class UpsertPersonSuccess:
    person: PersonType = strawberry.field(description="The person as stored.")
    created: bool = strawberry.field(description="True when the person was new.")


@fields_need(Inherited)
@strawberry.type(description="The link as stored, with both ends.")
class LinkEntitiesSuccess:
    rel: RelType = strawberry.field(description="The relationship type.")
    from_: EntityType = strawberry.field(
        name="from", description="The person or company at the start."
    )
    to: CompanyType = strawberry.field(description="The company at the end.")
    created: bool = strawberry.field(description="True when the link was new.")


@fields_need(Inherited)
@strawberry.type(description="The record as stored.")
class AddRecordSuccess:
    record: RecordType = strawberry.field(description="The record as stored.")
    created: bool = strawberry.field(description="True when the record was new (not amended).")
    rescored: int = strawberry.field(
        description="Score snapshots that changed: the subject's and its neighbourhood's."
    )


UpsertCompanyResult = Annotated[
    UpsertCompanySuccess | InvalidInput,
    strawberry.union(
        "UpsertCompanyResult", description="The company written, or why the input was refused."
    ),
]
UpsertPersonResult = Annotated[
    UpsertPersonSuccess | InvalidInput,
    strawberry.union(
        "UpsertPersonResult", description="The person written, or why the input was refused."
    ),
]
LinkEntitiesResult = Annotated[
    LinkEntitiesSuccess | InvalidInput,
    strawberry.union(
        "LinkEntitiesResult", description="The link written, or why the input was refused."
    ),
]
AddRecordResult = Annotated[
    AddRecordSuccess | InvalidInput,
    strawberry.union(
        "AddRecordResult", description="The record written, or why the input was refused."
    ),
]


CompanyInputArg = Annotated[UpsertCompanyInput, strawberry.argument(description="The company.")]
PersonInputArg = Annotated[UpsertPersonInput, strawberry.argument(description="The person.")]
LinkInputArg = Annotated[LinkEntitiesInput, strawberry.argument(description="The link.")]
RecordInputArg = Annotated[AddRecordInput, strawberry.argument(description="The record.")]
OutcomeArg = Annotated[
    dispute_resolvers.DisputeOutcome, strawberry.argument(description="The decision.")
]
ApproveArg = Annotated[
    bool,
    strawberry.argument(description="True grants the restoration; false refuses it."),
]
RecordIdArg = Annotated[str, strawberry.argument(description="The record's `recordId`.")]
ReasonArg = Annotated[
    str, strawberry.argument(description="Why, in the subject's words (kept with the dispute).")
]
DisputeIdArg = Annotated[strawberry.ID, strawberry.argument(description="The dispute's `id`.")]
NoteArg = Annotated[
    str, strawberry.argument(description="The registrar's reasons, shown to the subject.")
]


def refused(error: Refusal) -> InvalidInput:
    return InvalidInput(
        field=_camel(error.field),
        message=error.reason,
        problems=[FieldProblem(field=_camel(f), message=m) for f, m in error.problems],
    )


@strawberry.type(description="Writes to the registry.")
class Mutation:
    @strawberry.mutation(
        description="Create or update a company by its USCC.",
        permission_classes=[WritesOn, needs(Can.WRITE)],
    )
    async def upsert_company(
        self,
        info: Info,
        input: CompanyInputArg,
    ) -> UpsertCompanyResult | None:
        try:
            done = await registry.upsert_company(info.context.session, _raw(input), SOURCE)
        except Refusal as error:
            return refused(error)
        return UpsertCompanySuccess(company=CompanyType.of(done.stored), created=done.created)

    @strawberry.mutation(
        description="Create or update a person by their identity number.",
        permission_classes=[WritesOn, needs(Can.WRITE)],
    )
    async def upsert_person(
        self,
        info: Info,
        input: PersonInputArg,
    ) -> UpsertPersonResult | None:
        try:
            done = await registry.upsert_person(info.context.session, _raw(input), SOURCE)
        except Refusal as error:
            return refused(error)
        return UpsertPersonSuccess(person=PersonType.of(done.stored), created=done.created)

    @strawberry.mutation(
        description="Link two entities that are both in the registry (never by name).",
        permission_classes=[WritesOn, needs(Can.WRITE)],
    )
    async def link_entities(
        self,
        info: Info,
        input: LinkInputArg,
    ) -> LinkEntitiesResult | None:
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
    async def add_record(
        self,
        info: Info,
        input: RecordInputArg,
    ) -> AddRecordResult | None:
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
    async def watch(self, info: Info, id: EntityId) -> WatchEntry | None:
        return await watching.watch(info, id)

    @strawberry.mutation(
        description="Stop watching an entity; false when it was not watched.",
        permission_classes=[needs(Can.WATCH)],
    )
    async def unwatch(self, info: Info, id: EntityId) -> bool | None:
        return await watching.unwatch(info, id)

    @strawberry.mutation(
        description="Dispute a record (its subject, or a registrar): it becomes DISPUTED, its "
        "points are suspended as its scheme says, and a registrar decides within 30 days.",
        permission_classes=[record_subject(Can.DISPUTE)],
    )
    async def dispute_record(
        self, info: Info, record_id: RecordIdArg, reason: ReasonArg
    ) -> dispute_resolvers.DisputeResult | None:
        return await dispute_resolvers.dispute_record(info, record_id, reason)

    @strawberry.mutation(
        description="Decide a dispute (registrars): UPHELD or AMENDED keep the record, "
        "REMOVED takes it out of the score and of public view (it stays in the history).",
        permission_classes=[needs(Can.RESOLVE_DISPUTES)],
    )
    async def resolve_dispute(
        self,
        info: Info,
        id: DisputeIdArg,
        outcome: Annotated[
            dispute_resolvers.DisputeOutcome, strawberry.argument(description="The decision.")
        ],
        note: NoteArg,
    ) -> dispute_resolvers.DisputeResult | None:
        return await dispute_resolvers.resolve_dispute(info, str(id), outcome, note)

    @strawberry.mutation(
        description="Ask to end a warning record's publication early, the conduct being "
        "corrected (its subject); allowed once the scheme's minimum publication has passed.",
        permission_classes=[record_subject(Can.DISPUTE)],
    )
    async def request_restoration(
        self, info: Info, record_id: RecordIdArg, reason: ReasonArg
    ) -> dispute_resolvers.DisputeResult | None:
        return await dispute_resolvers.request_restoration(info, record_id, reason)

    @strawberry.mutation(
        description="Approve (the record becomes RESTORED: no longer published or counted) or "
        "refuse a restoration request, with the reason (registrars).",
        permission_classes=[needs(Can.RESOLVE_DISPUTES)],
    )
    async def decide_restoration(
        self,
        info: Info,
        id: DisputeIdArg,
        approve: Annotated[
            bool, strawberry.argument(description="True grants the restoration; false refuses it.")
        ],
        note: NoteArg,
    ) -> dispute_resolvers.DisputeResult | None:
        return await dispute_resolvers.decide_restoration(info, str(id), approve, note)
