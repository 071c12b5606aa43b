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
from api.types.described import described
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
described(
    disputes.Kind,
    "A dispute of a record, or a request to end its publication early.",
    {
        disputes.Kind.DISPUTE: "The record is said to be wrong (异议).",
        disputes.Kind.RESTORATION: "The conduct was corrected: end publication early (信用修复).",
    },
    name="DisputeKind",
)
described(
    disputes.Status,
    "Where a dispute or restoration request stands.",
    {
        disputes.Status.OPEN: "Waiting for a registrar's decision.",
        disputes.Status.UPHELD: "Dispute decided: the record stands as it was.",
        disputes.Status.AMENDED: "Dispute decided: the record stands, corrected as the note says.",
        disputes.Status.REMOVED: "Dispute decided: the record was wrong and is out of the score.",
        disputes.Status.APPROVED: "Restoration granted: the record is no longer published.",
        disputes.Status.REFUSED: "Restoration refused: the record stays published.",
    },
    name="DisputeStatus",
)


class DisputeOutcome(Enum):
    UPHELD = "upheld"
    AMENDED = "amended"
    REMOVED = "removed"


described(
    DisputeOutcome,
    "How a registrar decides a dispute.",
    {
        DisputeOutcome.UPHELD: "The record stands as it was.",
        DisputeOutcome.AMENDED: "The record stands, corrected as the note says.",
        DisputeOutcome.REMOVED: "The record was wrong: out of the score and of public view.",
    },
)


@fields_need(Inherited)
@strawberry.type(name="Dispute", description="A dispute of a record, or a restoration request.")
class DisputeType:
    id: strawberry.ID = strawberry.field(description="The dispute's id.")
    kind: disputes.Kind = strawberry.field(
        description="A dispute of the record, or a restoration request."
    )
    status: disputes.Status = strawberry.field(description="Where it stands.")
    reason: str = strawberry.field(description="Why the subject asks.")
    opened_at: datetime = strawberry.field(description="When it was opened.")
    due_on: date = strawberry.field(description="A registrar decides by this day (30 days on).")
    overdue: bool = strawberry.field(description="Still open after its due day.")
    resolved_at: datetime | None = strawberry.field(
        description="When a registrar decided it; null while open."
    )
    note: str | None = strawberry.field(description="The registrar's reasons.")
    record_id: str = strawberry.field(description="The record disputed (`Record.recordId`).")
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


DisputeResult = Annotated[
    DisputeType | DisputeRefused,
    strawberry.union(
        "DisputeResult", description="The dispute as stored, or why the registry refused it."
    ),
]


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
