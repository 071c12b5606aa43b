"""Disputes and restoration requests over GraphQL: the types, and resolvers that call the use
cases (``usecases.disputes``, ``usecases.restoration``) where the rules live."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.access import Can, allowed
from api.context import Info
from api.permissions import Inherited, fields_need
from api.types.pagination import Connection, page_size, parse_offset
from graph.repositories import disputes
from usecases import disputes as cases
from usecases import restoration
from usecases.errors import Refusal

if TYPE_CHECKING:
    from api.types.entity import EntityType
    from api.types.record import RecordType

LazyEntity = Annotated["EntityType", strawberry.lazy("api.types.entity")]
LazyRecord = Annotated["RecordType", strawberry.lazy("api.types.record")]


# The model's enums, registered as GraphQL enums (not declared a second time).
strawberry.enum(
    disputes.Kind,
    name="DisputeKind",
    description="A dispute of a record, or a request to end its publication early.",
)
strawberry.enum(
    disputes.Status,
    name="DisputeStatus",
    description="Where a dispute or restoration request stands.",
)


@strawberry.enum(description="How a registrar decides a dispute.")
class DisputeOutcome(Enum):
    UPHELD = "upheld"
    AMENDED = "amended"
    REMOVED = "removed"


@fields_need(Inherited)
@strawberry.type(name="Dispute", description="A dispute of a record, or a restoration request.")
class DisputeType:
    id: strawberry.ID = strawberry.field(description="The dispute's id.")
    kind: disputes.Kind
    status: disputes.Status
    reason: str = strawberry.field(description="Why the subject asks.")
    opened_at: datetime
    due_on: date = strawberry.field(description="A registrar decides by this day (30 days on).")
    overdue: bool = strawberry.field(description="Still open after its due day.")
    resolved_at: datetime | None
    note: str | None = strawberry.field(description="The registrar's reasons.")
    record_id: str
    model: strawberry.Private[disputes.Dispute]

    @classmethod
    def of(cls, d: disputes.Dispute) -> DisputeType:
        return cls(
            id=strawberry.ID(d.dispute_id),
            kind=d.kind,
            status=d.status,
            reason=d.reason,
            opened_at=d.opened_at,
            due_on=d.due_on,
            overdue=cases.is_overdue(d, date.today()),
            resolved_at=d.resolved_at,
            note=d.note,
            record_id=d.record_id,
            model=d,
        )

    @strawberry.field(description="The record disputed, with its current status.")
    async def record(self, info: Info) -> LazyRecord | None:
        from api.types.record import RecordType

        found = await info.context.loaders.record.load(self.model.record_id)
        return RecordType.of(found) if found else None


@fields_need(Inherited)
@strawberry.type(description="The request was refused; nothing was written.")
class DisputeRefused:
    field: str = strawberry.field(description="The argument at fault.")
    message: str = strawberry.field(description="Why.")


DisputeResult = Annotated[DisputeType | DisputeRefused, strawberry.union("DisputeResult")]


@fields_need(Inherited)
@strawberry.type(name="DisputeConnection", description="A page of disputes.")
class DisputeConnection(Connection[DisputeType]):
    pass


async def _answer(case: Awaitable[disputes.Dispute]) -> DisputeResult:
    """A use case's case as the result union: the dispute, or the refusal with its field."""
    try:
        return DisputeType.of(await case)
    except Refusal as refused:
        return DisputeRefused(field=refused.field, message=refused.reason)


async def dispute_record(info: Info, record_id: str, reason: str) -> DisputeResult:
    return await _answer(cases.dispute_record(info.context.session, record_id, reason))


async def resolve_dispute(
    info: Info, dispute_id: str, outcome: DisputeOutcome, note: str
) -> DisputeResult:
    status = disputes.Status(outcome.value)
    return await _answer(cases.resolve_dispute(info.context.session, dispute_id, status, note))


async def request_restoration(info: Info, record_id: str, reason: str) -> DisputeResult:
    return await _answer(restoration.request_restoration(info.context.session, record_id, reason))


async def decide_restoration(
    info: Info, request_id: str, approve: bool, note: str
) -> DisputeResult:
    session = info.context.session
    return await _answer(restoration.decide_restoration(session, request_id, approve, note))


async def dispute_list(
    info: Info,
    status: disputes.Status | None,
    kind: disputes.Kind | None,
    overdue: bool,
    first: int | None,
    after: str | None,
) -> DisputeConnection:
    # The field's rule let a registrar or a subject key in; a subject sees its own cases.
    subject = None if allowed(info, Can.RESOLVE_DISPUTES) else info.context.caller.subject
    size, start = page_size(first), parse_offset(after)
    wanted = cases.CaseFilter(status=status, kind=kind, overdue=overdue)
    found, total = await cases.list_cases(info.context.session, wanted, subject, start, size)
    return DisputeConnection.page([DisputeType.of(d) for d in found], start=start, total=total)
