"""``usecases.events``: which watch events a change makes (every event is made there)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from graph.models import Category, EntityKind, Polarity, RecordInput, Severity
from graph.repositories.snapshots import Before, Move, ScoreSummary
from graph.repositories.watch import EventKind
from usecases import events

AT = datetime(2026, 12, 1, tzinfo=UTC)


def _summary(level: str, blacklisted: bool) -> ScoreSummary:
    return ScoreSummary(
        "S", "enterprise", "2026.1", 700.0, level, blacklisted, (), date(2026, 12, 1)
    )


@pytest.mark.parametrize(
    ("before", "level", "blacklisted", "kinds"),
    [
        (None, "A", False, []),  # a first snapshot is nobody's news
        (None, "D", True, [EventKind.BLACKLIST_ENTERED]),
        (Before("A", False), "A", False, []),
        (Before("A", False), "B", False, [EventKind.LEVEL_CHANGED]),
        (Before("C", False), "D", True, [EventKind.LEVEL_CHANGED, EventKind.BLACKLIST_ENTERED]),
        (Before("D", True), "D", False, [EventKind.BLACKLIST_LEFT]),
        (Before(None, False), "A", False, [EventKind.LEVEL_CHANGED]),  # a level gone from it
    ],
)
def test_events_score_moves(
    before: Before | None, level: str, blacklisted: bool, kinds: list[EventKind]
) -> None:
    made = events.score_moved([Move(_summary(level, blacklisted), before)], AT)
    assert [e.kind for e in made] == kinds
    for event in made:
        assert (event.subject_key, event.scheme_id, event.level, event.at) == (
            "S",
            "enterprise",
            level,
            AT,
        )
        assert event.previous_level == (before.level if before else None)


def test_events_records_added_and_dispute_events_name_the_record() -> None:
    record = RecordInput(
        record_id="R-9",
        subject="S",
        subject_kind=EntityKind.COMPANY,
        authority="某局",
        category=Category.ADMINISTRATIVE,
        code="FALSE_ANNUAL_REPORT",
        polarity=Polarity.WARNING,
        severity=Severity.MINOR,
        decided_on=date(2026, 1, 1),
    )
    (added,) = events.records_added([record], AT)
    assert (added.kind, added.subject_key, added.record_id, added.at) == (
        EventKind.RECORD_ADDED,
        "S",
        "R-9",
        AT,
    )
    (disputed,) = events.record_disputed("S", "R-9")
    (decided,) = events.dispute_decided("S", "R-9")
    assert (disputed.kind, decided.kind) == (EventKind.RECORD_DISPUTED, EventKind.DISPUTE_DECIDED)
    assert disputed.record_id == decided.record_id == "R-9"
