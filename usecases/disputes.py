"""Disputes: the subject of a record (or a registrar) disputes it, a registrar decides.

Opening a dispute makes the record DISPUTED (its points are suspended as its scheme says) and
sets the day a registrar must decide by: ``DECISION_DAYS`` after it was opened. The decision
(UPHELD or AMENDED keep the record, REMOVED takes it out of the score and of public view)
rescores everything within the hop limit. Each step is one audited transaction with its watch
event. Restoration requests (``usecases.restoration``) share the decision step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from graph.driver import Graph
from graph.models import EntityKind, Record, RecordStatus
from graph.repositories import disputes
from graph.repositories.disputes import Dispute, Kind, Status
from graph.repositories.entities import entities_by_key
from graph.repositories.records import records_by_id
from graph.rows import RowError, check_text
from usecases import events
from usecases.errors import NotFound, Refusal
from usecases.scores import rescore_around
from usecases.session import Session

DECISION_DAYS = 30  # a registrar decides a dispute or a restoration request within this
MAX_TEXT = 2000  # characters of a reason or a registrar's note

# How a registrar's decision leaves the record.
RECORD_AFTER: dict[Status, RecordStatus] = {
    Status.UPHELD: RecordStatus.ACTIVE,
    Status.AMENDED: RecordStatus.ACTIVE,
    Status.REMOVED: RecordStatus.REMOVED,
    Status.APPROVED: RecordStatus.RESTORED,
    Status.REFUSED: RecordStatus.ACTIVE,
}
OUTCOMES = {Kind.DISPUTE: (Status.UPHELD, Status.AMENDED, Status.REMOVED)}


def due_on(opened: date) -> date:
    """The day a registrar must decide a case opened on ``opened`` by."""
    return opened + timedelta(days=DECISION_DAYS)


def is_overdue(case: Dispute, today: date) -> bool:
    """Still open after its due day."""
    return case.status is Status.OPEN and today > case.due_on


@dataclass(frozen=True)
class Subject:
    """A record with the entity it concerns."""

    record: Record
    key: str
    kind: EntityKind


async def subject_of(graph: Graph, record_id: str) -> Subject:
    """The record ``record_id`` and whom it concerns; ``NotFound`` (``recordId``) when the
    registry holds no such record."""
    found = (await records_by_id(graph, [record_id]))[0]
    if found is None:
        raise NotFound("recordId", f"no record {record_id!r} in the registry")
    entity = (await entities_by_key(graph, [found.subject_key]))[0]
    assert entity is not None  # a record always concerns an entity
    return Subject(found, found.subject_key, entity.kind)


def checked_text(field: str, value: str) -> str:
    """A reason or a note, trimmed: not empty, at most ``MAX_TEXT`` characters, plain text."""
    text = value.strip()
    if not text:
        raise Refusal(field, "must not be empty")
    if len(text) > MAX_TEXT:
        raise Refusal(field, f"at most {MAX_TEXT} characters")
    try:
        return check_text(field, text, prose=True)
    except RowError as exc:
        raise Refusal(field, exc.reason) from None


async def open_case(
    session: Session, operation: str, kind: Kind, subject: Subject, reason: str
) -> Dispute:
    """Open a dispute or a restoration request of ``subject``'s record, audited; a dispute
    suspends the record (DISPUTED) and rescores around it."""
    if await disputes.open_of_record(session.graph, subject.record.record_id):
        what = "dispute of" if kind is Kind.DISPUTE else "request for"
        raise Refusal("recordId", f"a {what} this record is already open")
    record_id = subject.record.record_id

    async def work(graph: Graph) -> Dispute:
        now = datetime.now(UTC)
        opened = await disputes.open_dispute(
            graph,
            kind,
            record_id,
            subject.key,
            reason,
            session.caller.key_id,
            opened_at=now,
            due_on=due_on(now.date()),
        )
        if kind is Kind.DISPUTE:
            await events.emit(graph, events.record_disputed(subject.key, record_id))
            await rescore_around(graph, session.schemes, subject.key, subject.kind, date.today())
        return opened

    args = {"recordId": record_id, "reason": reason}
    return await session.audited(operation, args, lambda _: [subject.key], work)


async def dispute_record(session: Session, record_id: str, reason: str) -> Dispute:
    """Dispute an active record: it becomes DISPUTED until a registrar decides."""
    subject = await subject_of(session.graph, record_id)
    text = checked_text("reason", reason)
    if subject.record.status is not RecordStatus.ACTIVE:
        raise Refusal(
            "recordId",
            f"only an active record can be disputed; it is {subject.record.status.value}",
        )
    return await open_case(session, "disputeRecord", Kind.DISPUTE, subject, text)


async def open_case_of(session: Session, case_id: str, kind: Kind, noun: str) -> Dispute:
    """The open case ``case_id`` of ``kind``, where a registrar's decision starts."""
    found = await disputes.by_id(session.graph, case_id)
    if found is None or found.kind is not kind:
        raise Refusal("id", f"no {noun} with this id")
    if found.status is not Status.OPEN:
        word = "dispute" if kind is Kind.DISPUTE else "request"
        raise Refusal("id", f"the {word} is already {found.status.value}")
    return found


async def decide(
    session: Session, operation: str, case: Dispute, status: Status, note: str
) -> Dispute:
    """Close an open case with ``status`` (the record as ``RECORD_AFTER`` says), audited, with
    its watch event and the rescoring around the record's subject."""
    subject = await subject_of(session.graph, case.record_id)

    async def work(graph: Graph) -> Dispute | None:
        decided = await disputes.decide(
            graph, case.dispute_id, status, RECORD_AFTER[status].value, note, session.caller.key_id
        )
        if decided is not None:
            await events.emit(graph, events.dispute_decided(case.subject_key, case.record_id))
            await rescore_around(graph, session.schemes, subject.key, subject.kind, date.today())
        return decided

    args = {"id": case.dispute_id, "status": status.value, "note": note}
    decided = await session.audited(operation, args, lambda _: [case.subject_key], work)
    if decided is None:
        raise Refusal("id", "the dispute was decided meanwhile")
    return decided


async def resolve_dispute(session: Session, dispute_id: str, outcome: Status, note: str) -> Dispute:
    """A registrar decides a dispute: UPHELD, AMENDED or REMOVED."""
    if outcome not in OUTCOMES[Kind.DISPUTE]:
        raise Refusal("outcome", "a dispute is UPHELD, AMENDED or REMOVED")
    case = await open_case_of(session, dispute_id, Kind.DISPUTE, "dispute")
    text = checked_text("note", note)
    return await decide(session, "resolveDispute", case, outcome, text)


@dataclass(frozen=True)
class CaseFilter:
    status: Status | None = None
    kind: Kind | None = None
    overdue: bool = False


async def list_cases(
    session: Session, wanted: CaseFilter, subject: str | None, skip: int, limit: int
) -> tuple[list[Dispute], int]:
    """Disputes and restoration requests, newest first, and how many match: every one for a
    registrar, a subject's own (``subject``) otherwise."""
    return await disputes.listing(
        session.graph,
        status=wanted.status,
        kind=wanted.kind,
        subject=subject,
        overdue_on=date.today() if wanted.overdue else None,
        skip=skip,
        limit=limit,
    )
