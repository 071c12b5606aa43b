"""``usecases.disputes`` and ``usecases.restoration`` on the real graph: the due day set when a
case opens, the record's status through the workflow, watchers told, refusals with their field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from graph.driver import Graph
from graph.models import EntityKind, RecordStatus
from graph.repositories import watch
from graph.repositories.disputes import Dispute, Kind, Status
from graph.repositories.records import records_by_id
from scoring.policy import add_months
from tests.factories import company_row, record_row, uscc
from tests.usecase_helpers import RELYING_PARTY, last_entry, row, session
from usecases import disputes, registry, restoration, watching
from usecases.errors import NotFound, Refusal

C = uscc(1501)


async def _company_with_records(graph: Graph) -> None:
    s = session(graph)
    await registry.upsert_company(s, row(company_row(1501)), "test")
    # Over a year old (restorable), well within a serious record's 36 months (still counting).
    old = (date.today() - timedelta(days=400)).isoformat()
    await registry.add_record(s, row(record_row("D-OLD", C, decided_on=old)), "test")
    recent = (date.today() - timedelta(days=20)).isoformat()
    await registry.add_record(s, row(record_row("D-NEW", C, decided_on=recent)), "test")


async def _status(graph: Graph, record_id: str) -> RecordStatus:
    (found,) = await records_by_id(graph, [record_id])
    assert found is not None
    return found.status


async def test_disputes_opening_sets_the_due_day_and_suspends_the_record(
    clean_graph: Graph,
) -> None:
    await _company_with_records(clean_graph)
    await watching.watch(session(clean_graph, RELYING_PARTY), C, {"id": C})
    since = datetime.now(UTC) - timedelta(minutes=1)
    case = await disputes.dispute_record(session(clean_graph), "D-OLD", "  判决已履行  ")
    assert case.reason == "判决已履行"
    assert case.due_on == case.opened_at.date() + timedelta(days=disputes.DECISION_DAYS)
    assert (case.kind, case.status) == (Kind.DISPUTE, Status.OPEN)
    assert await _status(clean_graph, "D-OLD") is RecordStatus.DISPUTED
    entry = await last_entry(clean_graph)
    assert (entry.operation, entry.subjects) == ("disputeRecord", (C,))
    heard = [e.kind for e in await watch.events_since(clean_graph, [C], since)]
    assert watch.EventKind.RECORD_DISPUTED in heard

    with pytest.raises(Refusal) as twice:
        await disputes.dispute_record(session(clean_graph), "D-OLD", "again")
    assert (twice.value.field, twice.value.reason) == (
        "recordId",
        "only an active record can be disputed; it is disputed",
    )


async def test_disputes_decision_sets_the_record_and_cannot_be_taken_twice(
    clean_graph: Graph,
) -> None:
    await _company_with_records(clean_graph)
    case = await disputes.dispute_record(session(clean_graph), "D-OLD", "wrong subject")
    decided = await disputes.resolve_dispute(
        session(clean_graph), case.dispute_id, Status.REMOVED, "the court confirmed it"
    )
    assert decided.status is Status.REMOVED
    assert await _status(clean_graph, "D-OLD") is RecordStatus.REMOVED
    with pytest.raises(Refusal) as again:
        await disputes.resolve_dispute(session(clean_graph), case.dispute_id, Status.UPHELD, "x")
    assert (again.value.field, again.value.reason) == ("id", "the dispute is already removed")


async def test_disputes_unknown_record_and_empty_reason(clean_graph: Graph) -> None:
    await _company_with_records(clean_graph)
    with pytest.raises(NotFound) as missing:
        await disputes.dispute_record(session(clean_graph), "NO-SUCH", "why")
    assert missing.value.field == "recordId"
    with pytest.raises(Refusal) as empty:
        await disputes.dispute_record(session(clean_graph), "D-OLD", "   ")
    assert (empty.value.field, empty.value.reason) == ("reason", "must not be empty")


async def test_restoration_waits_for_the_schemes_minimum(clean_graph: Graph) -> None:
    await _company_with_records(clean_graph)
    s = session(clean_graph)
    months = s.schemes.choose(EntityKind.COMPANY).restoration["serious"]
    with pytest.raises(Refusal) as early:
        await restoration.request_restoration(s, "D-NEW", "corrected")
    earliest = add_months(date.today() - timedelta(days=20), months)
    assert early.value.field == "recordId"
    assert early.value.reason.endswith(f"restoration can be asked for from {earliest.isoformat()}")
    asked = await restoration.request_restoration(s, "D-OLD", "corrected")
    assert asked.kind is Kind.RESTORATION
    assert await _status(clean_graph, "D-OLD") is RecordStatus.ACTIVE  # counts until decided
    approved = await restoration.decide_restoration(s, asked.dispute_id, True, "paid in full")
    assert approved.status is Status.APPROVED
    assert await _status(clean_graph, "D-OLD") is RecordStatus.RESTORED


def _case(status: Status, due: date) -> Dispute:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Dispute("d", Kind.DISPUTE, "r", "s", "why", status, now, due, None, None, None, None)


@pytest.mark.parametrize(
    ("status", "due", "today", "overdue"),
    [
        (Status.OPEN, date(2026, 1, 31), date(2026, 1, 31), False),  # the due day itself
        (Status.OPEN, date(2026, 1, 31), date(2026, 2, 1), True),
        (Status.UPHELD, date(2026, 1, 31), date(2026, 3, 1), False),  # decided: never overdue
    ],
)
def test_disputes_overdue_only_open_cases_past_their_day(
    status: Status, due: date, today: date, overdue: bool
) -> None:
    assert disputes.is_overdue(_case(status, due), today) is overdue
    assert disputes.due_on(date(2026, 1, 1)) == date(2026, 1, 31)
