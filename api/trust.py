"""Disputes, restoration and the audit log over GraphQL.

A subject (or a registrar) disputes a record: it becomes DISPUTED, its points are suspended as
its scheme says, and everything within the hop limit is rescored; a registrar resolves it within
30 days (UPHELD, AMENDED or REMOVED) and the scores move again. A subject whose conduct is
corrected asks to end a record's publication early once its scheme's minimum has passed; a
registrar approves (the record is RESTORED: out of the score and of public view, still in the
history) or refuses. Every step is one transaction with its audit entry.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.access import Can, allowed, audited, require
from api.context import Info
from api.errors import PublicError
from api.permissions import Inherited, fields_need
from api.scores import rescore_around
from api.types.pagination import offset_cursor, page_info, page_size, parse_offset
from graph.driver import Graph
from graph.models import EntityKind
from graph.repositories import disputes, watch
from graph.repositories.entities import entities_by_key
from graph.repositories.records import records_by_id
from graph.rows import RowError, check_text
from scoring.engine import add_months

if TYPE_CHECKING:
    from api.types.entity import Entity
    from api.types.record import RecordType

LazyEntity = Annotated["Entity", strawberry.lazy("api.types.entity")]
LazyRecord = Annotated["RecordType", strawberry.lazy("api.types.record")]
MAX_TEXT = 2000


@strawberry.enum(description="A dispute of a record, or a request to end its publication early.")
class DisputeKind(Enum):
    DISPUTE = "dispute"
    RESTORATION = "restoration"


@strawberry.enum(description="Where a dispute or restoration request stands.")
class DisputeStatus(Enum):
    OPEN = "open"
    UPHELD = "upheld"
    AMENDED = "amended"
    REMOVED = "removed"
    APPROVED = "approved"
    REFUSED = "refused"


@strawberry.enum(description="How a registrar decides a dispute.")
class DisputeOutcome(Enum):
    UPHELD = "upheld"
    AMENDED = "amended"
    REMOVED = "removed"


@fields_need(Inherited)
@strawberry.type(name="Dispute", description="A dispute of a record, or a restoration request.")
class DisputeType:
    id: strawberry.ID = strawberry.field(description="The dispute's id.")
    kind: DisputeKind
    status: DisputeStatus
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
            kind=DisputeKind(d.kind.value),
            status=DisputeStatus(d.status.value),
            reason=d.reason,
            opened_at=d.opened_at,
            due_on=d.due_on,
            overdue=d.overdue(date.today()),
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
@strawberry.type(description="A dispute and its cursor.")
class DisputeEdge:
    cursor: str
    node: DisputeType


@fields_need(Inherited)
@strawberry.type(description="A page of disputes.")
class DisputeConnection:
    edges: list[DisputeEdge]
    page_info: relay.PageInfo
    total_count: int


async def _record_subject(info: Info, graph: Graph, record_id: str) -> tuple[str, EntityKind]:
    found = (await records_by_id(graph, [record_id]))[0]
    if found is None:
        raise PublicError(f"recordId: no record {record_id!r} in the registry")
    entity = (await entities_by_key(graph, [found.subject_key]))[0]
    assert entity is not None
    return found.subject_key, entity.kind


def _text(field: str, value: str) -> str | DisputeRefused:
    text = value.strip()
    if not text:
        return DisputeRefused(field=field, message="must not be empty")
    if len(text) > MAX_TEXT:
        return DisputeRefused(field=field, message=f"at most {MAX_TEXT} characters")
    try:
        return check_text(field, text, prose=True)
    except RowError as exc:
        return DisputeRefused(field=field, message=exc.reason)


async def _rescore(info: Info, graph: Graph, key: str, kind: EntityKind) -> None:
    await rescore_around(graph, info.context.request.app.state.schemes, key, kind, date.today())


async def _notify(graph: Graph, kind: watch.EventKind, subject: str, record_id: str) -> None:
    """A watch event for the subject's watchers, in the transaction of the change."""
    event = watch.Event(kind=kind, subject_key=subject, at=datetime.now(UTC), record_id=record_id)
    await watch.append(graph, [event])


async def dispute_record(info: Info, record_id: str, reason: str) -> DisputeResult:
    subject, kind = await _record_subject(info, info.context.graph, record_id)
    text = _text("reason", reason)
    if isinstance(text, DisputeRefused):
        return text
    record = (await records_by_id(info.context.graph, [record_id]))[0]
    assert record is not None
    if record.status.value != "active":
        return DisputeRefused(
            field="recordId",
            message=f"only an active record can be disputed; it is {record.status.value}",
        )
    if await disputes.open_of_record(info.context.graph, record_id):
        return DisputeRefused(field="recordId", message="a dispute of this record is already open")

    async def work(graph: Graph) -> disputes.Dispute:
        opened = await disputes.open_dispute(
            graph, disputes.Kind.DISPUTE, record_id, subject, text, info.context.caller.key_id
        )
        await _notify(graph, watch.EventKind.RECORD_DISPUTED, subject, record_id)
        await _rescore(info, graph, subject, kind)
        return opened

    args = {"recordId": record_id, "reason": text}
    return DisputeType.of(await audited(info, "disputeRecord", args, lambda _: [subject], work))


async def resolve_dispute(
    info: Info, dispute_id: str, outcome: DisputeOutcome, note: str
) -> DisputeResult:
    opened = await _open_case(info, dispute_id, disputes.Kind.DISPUTE, "dispute", note)
    if isinstance(opened, DisputeRefused):
        return opened
    found, text, kind = opened
    record_status = "removed" if outcome is DisputeOutcome.REMOVED else "active"
    return await _decide(
        info, "resolveDispute", found, disputes.Status(outcome.value), record_status, text, kind
    )


async def _open_case(
    info: Info, case_id: str, kind: disputes.Kind, noun: str, note: str
) -> tuple[disputes.Dispute, str, EntityKind] | DisputeRefused:
    """Where a registrar's decision starts: the open case of ``kind``, the note, the kind."""
    found = await disputes.by_id(info.context.graph, case_id)
    if found is None or found.kind is not kind:
        return DisputeRefused(field="id", message=f"no {noun} with this id")
    if found.status is not disputes.Status.OPEN:
        word = "dispute" if kind is disputes.Kind.DISPUTE else "request"
        return DisputeRefused(field="id", message=f"the {word} is already {found.status.value}")
    text = _text("note", note)
    if isinstance(text, DisputeRefused):
        return text
    _, subject_kind = await _record_subject(info, info.context.graph, found.record_id)
    return found, text, subject_kind


async def _decide(
    info: Info,
    operation: str,
    found: disputes.Dispute,
    status: disputes.Status,
    record_status: str,
    note: str,
    kind: EntityKind,
) -> DisputeResult:
    async def work(graph: Graph) -> disputes.Dispute | None:
        decided = await disputes.decide(
            graph, found.dispute_id, status, record_status, note, info.context.caller.key_id
        )
        if decided is not None:
            await _notify(
                graph, watch.EventKind.DISPUTE_DECIDED, found.subject_key, found.record_id
            )
            await _rescore(info, graph, found.subject_key, kind)
        return decided

    args = {"id": found.dispute_id, "status": status.value, "note": note}
    decided = await audited(info, operation, args, lambda _: [found.subject_key], work)
    if decided is None:
        return DisputeRefused(field="id", message="the dispute was decided meanwhile")
    return DisputeType.of(decided)


async def request_restoration(info: Info, record_id: str, reason: str) -> DisputeResult:
    subject, kind = await _record_subject(info, info.context.graph, record_id)
    text = _text("reason", reason)
    if isinstance(text, DisputeRefused):
        return text
    record = (await records_by_id(info.context.graph, [record_id]))[0]
    assert record is not None
    if record.polarity.value != "warning" or record.status.value != "active":
        return DisputeRefused(
            field="recordId", message="only an active warning record can be restored early"
        )
    from api.scores import scheme_for

    scheme = scheme_for(info, kind, None)
    months = scheme.restoration[record.severity.value]
    earliest = add_months(record.decided_on, months)
    if date.today() < earliest:
        return DisputeRefused(
            field="recordId",
            message=f"{scheme.id} publishes a {record.severity.value} record at least {months} "
            f"months: restoration can be asked for from {earliest.isoformat()}",
        )
    if await disputes.open_of_record(info.context.graph, record_id):
        return DisputeRefused(field="recordId", message="a request for this record is already open")

    async def work(graph: Graph) -> disputes.Dispute:
        return await disputes.open_dispute(
            graph, disputes.Kind.RESTORATION, record_id, subject, text, info.context.caller.key_id
        )

    args = {"recordId": record_id, "reason": text}
    return DisputeType.of(
        await audited(info, "requestRestoration", args, lambda _: [subject], work)
    )


async def decide_restoration(
    info: Info, request_id: str, approve: bool, note: str
) -> DisputeResult:
    opened = await _open_case(
        info, request_id, disputes.Kind.RESTORATION, "restoration request", note
    )
    if isinstance(opened, DisputeRefused):
        return opened
    found, text, kind = opened
    status = disputes.Status.APPROVED if approve else disputes.Status.REFUSED
    return await _decide(
        info, "decideRestoration", found, status, "restored" if approve else "active", text, kind
    )


async def dispute_list(
    info: Info,
    status: DisputeStatus | None,
    kind: DisputeKind | None,
    overdue: bool,
    first: int | None,
    after: str | None,
) -> DisputeConnection:
    caller = info.context.caller
    subject = None
    if not allowed(info, Can.RESOLVE_DISPUTES):
        require(info, Can.DISPUTE, caller.subject)
        subject = caller.subject  # a subject sees its own
    size, start = page_size(first), parse_offset(after)
    found, total = await disputes.listing(
        info.context.graph,
        status=disputes.Status(status.value) if status else None,
        kind=disputes.Kind(kind.value) if kind else None,
        subject=subject,
        overdue_on=date.today() if overdue else None,
        skip=start,
        limit=size,
    )
    edges = [
        DisputeEdge(cursor=offset_cursor(start + i), node=DisputeType.of(d))
        for i, d in enumerate(found)
    ]
    return DisputeConnection(
        edges=edges,
        page_info=page_info(edges, has_next=start + size < total, has_previous=start > 0),
        total_count=total,
    )
