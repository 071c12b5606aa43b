"""Watch events: every event the registry emits is made here, and written by ``emit``.

An event is written in the transaction of the change it reports (a record added, disputed or
decided; a level change or a blacklist move found when snapshots are stored), and only when
someone watches anything (one indexed lookup). Subscriptions read them back
(``graph.repositories.watch.events_since``), so any worker can deliver them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from graph.driver import Graph
from graph.models import RecordInput
from graph.notices import Channel
from graph.repositories import snapshots, watch
from graph.repositories.watch import Event, EventKind


def records_added(records: Iterable[RecordInput], at: datetime) -> list[Event]:
    """RECORD_ADDED for each record created (not for one amended)."""
    return [
        Event(kind=EventKind.RECORD_ADDED, subject_key=r.subject, at=at, record_id=r.record_id)
        for r in records
    ]


def record_disputed(subject: str, record_id: str) -> list[Event]:
    """RECORD_DISPUTED, when a dispute of the record is opened."""
    return [_about_record(EventKind.RECORD_DISPUTED, subject, record_id)]


def dispute_decided(subject: str, record_id: str) -> list[Event]:
    """DISPUTE_DECIDED, when a registrar decides a dispute or a restoration request."""
    return [_about_record(EventKind.DISPUTE_DECIDED, subject, record_id)]


def _about_record(kind: EventKind, subject: str, record_id: str) -> Event:
    return Event(kind=kind, subject_key=subject, at=datetime.now(UTC), record_id=record_id)


def score_moved(moves: Sequence[snapshots.Move], at: datetime) -> list[Event]:
    """LEVEL_CHANGED, BLACKLIST_ENTERED and BLACKLIST_LEFT for the snapshots just stored."""
    out = []
    for move in moves:
        score, before = move.score, move.before
        kinds = []
        if before is not None and before.level != score.level:
            kinds.append(EventKind.LEVEL_CHANGED)
        if bool(before and before.blacklisted) != score.blacklisted:
            kinds.append(
                EventKind.BLACKLIST_ENTERED if score.blacklisted else EventKind.BLACKLIST_LEFT
            )
        out += [
            Event(
                kind=kind,
                subject_key=score.subject,
                at=at,
                scheme_id=score.scheme_id,
                level=score.level,
                previous_level=before.level if before else None,
                value=score.value,
            )
            for kind in kinds
        ]
    return out


async def emit(graph: Graph, events: Sequence[Event]) -> int:
    """Write ``events`` (in the caller's transaction when ``graph`` is bound to one), unless
    nobody watches anything; returns how many were written."""
    if not events or not await watch.anyone_watches(graph):
        return 0
    written = await watch.append(graph, list(events))
    if written:
        # Every worker's hub hears which subjects have news, once this commits.
        await graph.announce(Channel.EVENTS, sorted({event.subject_key for event in events}))
    return written
