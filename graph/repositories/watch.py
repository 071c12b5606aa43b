"""Watches and watch events: who follows which entity, and what happened to it.

Events are nodes in the graph, written in the same transaction as the change they report where
there is one (a record written) and right after the snapshots otherwise (a level change, a move
onto or off a blacklist). Keeping them in the graph, not in one worker's memory, lets any API
worker deliver them: each worker's hub (``api.watch_hub``) reads them for all its subscribers
when a writer announces them (``graph.notices``), and now and then on its own.
Only watched entities get events, and checking that costs one indexed lookup per change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from graph.driver import Graph, Transaction
from graph.repositories import convert


class EventKind(StrEnum):
    RECORD_ADDED = "record_added"
    LEVEL_CHANGED = "level_changed"
    BLACKLIST_ENTERED = "blacklist_entered"
    BLACKLIST_LEFT = "blacklist_left"
    RECORD_DISPUTED = "record_disputed"
    DISPUTE_DECIDED = "dispute_decided"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    subject_key: str
    at: datetime
    event_id: str = ""
    record_id: str | None = None
    scheme_id: str | None = None
    level: str | None = None
    previous_level: str | None = None
    value: float | None = None

    def props(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id or str(uuid.uuid4()),
            "kind": self.kind.value,
            "subjectKey": self.subject_key,
            "at": self.at,
            "recordId": self.record_id,
            "schemeId": self.scheme_id,
            "level": self.level,
            "previousLevel": self.previous_level,
            "value": self.value,
        }


@dataclass(frozen=True)
class Watch:
    subject_key: str
    created_at: datetime


WATCH = """
MERGE (w:Watch {watchId: $watchId})
ON CREATE SET w.watcher = $watcher, w.subjectKey = $key, w.createdAt = $now
RETURN w.createdAt AS createdAt
"""
UNWATCH = """
MATCH (w:Watch {watchId: $watchId})
WITH w, w.subjectKey AS key
DELETE w
RETURN key
"""
WATCHLIST = """
MATCH (w:Watch {watcher: $watcher})
RETURN w.subjectKey AS key, w.createdAt AS createdAt
ORDER BY w.createdAt, w.subjectKey
"""
WATCHLISTS = """
UNWIND $watchers AS watcher
MATCH (w:Watch {watcher: watcher})
RETURN watcher, collect(w.subjectKey) AS keys
"""
ANY_WATCH = "MATCH (w:Watch) RETURN w.watchId AS id LIMIT 1"
WATCHED = "MATCH (w:Watch) RETURN collect(DISTINCT w.subjectKey) AS keys"
# Events go only to watched subjects: the MATCH drops the others.
APPEND = """
UNWIND $events AS e
MATCH (w:Watch {subjectKey: e.subjectKey})
WITH DISTINCT e
CREATE (x:WatchEvent)
SET x = e
RETURN count(x) AS written
"""
SINCE = """
UNWIND $keys AS key
MATCH (e:WatchEvent {subjectKey: key})
WHERE e.at > $since
RETURN properties(e) AS props
ORDER BY e.at, e.eventId
LIMIT $limit
"""


def _watch_id(watcher: str, key: str) -> str:
    return f"{watcher}|{key}"


async def watch(graph: Graph, watcher: str, key: str) -> Watch:
    """Start watching ``key`` (watching twice changes nothing)."""
    now = datetime.now(UTC)
    rows = await graph.write(
        WATCH, {"watchId": _watch_id(watcher, key), "watcher": watcher, "key": key, "now": now}
    )
    return Watch(key, convert.to_datetime(rows[0]["createdAt"]))


async def unwatch(graph: Graph, watcher: str, key: str) -> bool:
    """Stop watching ``key``; False when it was not watched."""
    rows = await graph.write(UNWATCH, {"watchId": _watch_id(watcher, key)})
    return bool(rows)


async def watchlist(graph: Graph, watcher: str) -> list[Watch]:
    rows = await graph.read(WATCHLIST, {"watcher": watcher})
    return [Watch(row["key"], convert.to_datetime(row["createdAt"])) for row in rows]


async def append(target: Graph | Transaction, events: Sequence[Event]) -> int:
    """Store the events whose subject someone watches; returns how many were stored."""
    if not events:
        return 0
    if isinstance(target, Graph):
        rows = await target.write(APPEND, {"events": [e.props() for e in events]})
    else:
        rows = await target.run(APPEND, {"events": [e.props() for e in events]})
    return int(rows[0]["written"]) if rows else 0


async def anyone_watches(target: Graph | Transaction) -> bool:
    """Whether any watch exists (imports skip event work when none does)."""
    if isinstance(target, Graph):
        return bool(await target.read(ANY_WATCH))
    return bool(await target.run(ANY_WATCH))


async def watchlists(graph: Graph, watchers: Sequence[str]) -> dict[str, set[str]]:
    """The subjects each of ``watchers`` watches (every one of them a key, perhaps empty)."""
    found: dict[str, set[str]] = {watcher: set() for watcher in watchers}
    if watchers:
        for row in await graph.read(WATCHLISTS, {"watchers": list(found)}):
            found[row["watcher"]] = set(row["keys"])
    return found


async def watched_keys(graph: Graph) -> set[str]:
    """Every subject someone watches."""
    rows = await graph.read(WATCHED)
    return set(rows[0]["keys"]) if rows else set()


def _event(p: dict[str, Any]) -> Event:
    value = p.get("value")
    return Event(
        kind=EventKind(p["kind"]),
        subject_key=p["subjectKey"],
        at=convert.to_datetime(p["at"]),
        event_id=p["eventId"],
        record_id=p.get("recordId"),
        scheme_id=p.get("schemeId"),
        level=p.get("level"),
        previous_level=p.get("previousLevel"),
        value=float(value) if value is not None else None,
    )


async def events_since(
    graph: Graph, keys: Sequence[str], since: datetime, limit: int = 1000
) -> list[Event]:
    """Events of ``keys`` after ``since``, oldest first."""
    if not keys:
        return []
    rows = await graph.read(SINCE, {"keys": list(keys), "since": since, "limit": limit})
    return [_event(row["props"]) for row in rows]
