"""Score snapshots: each change of a subject's score under a scheme, kept with its history.

A snapshot is written only when the value, the level or the blacklist standing changed since the
latest one, so the history shows changes, not repetitions. ``subjectScheme`` (subject key and
scheme id) finds a subject's history; ``blacklistedIn`` (the scheme id, set only on the latest
snapshot of a blacklisted subject) lists a scheme's blacklist through an index.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from graph.driver import Graph, bound
from graph.repositories import convert
from graph.repositories.seals import Tracked, seal_columns
from scoring.arrays import Bools, GraphData, Ints
from scoring.batch import BatchResult
from scoring.engine import Score


@dataclass(frozen=True)
class ScoreSummary:
    """What a snapshot stores of a score (the engine's or the whole-graph pass's)."""

    subject: str
    scheme_id: str
    scheme_version: str
    value: float
    level: str
    blacklisted: bool
    blacklist_reasons: tuple[str, ...]
    as_of: date

    @classmethod
    def of(cls, score: Score) -> ScoreSummary:
        """The stored form of a score the engine computed."""
        return cls(
            subject=score.subject,
            scheme_id=score.scheme_id,
            scheme_version=score.scheme_version,
            value=score.value,
            level=score.level,
            blacklisted=score.blacklisted,
            blacklist_reasons=score.blacklist_reasons,
            as_of=score.as_of,
        )


def from_batch(
    data: GraphData, result: BatchResult, as_of: date, keep: Callable[[str], bool] | None = None
) -> list[ScoreSummary]:
    """The stored form of the scores in a whole-graph (or subgraph) result, optionally only for
    the entities ``keep`` accepts."""
    return [
        summary_at(data, result, i, as_of)
        for i, key in enumerate(data.keys)
        if result.scored[i] and (keep is None or keep(key))
    ]


def summary_at(data: GraphData, result: BatchResult, i: int, as_of: date) -> ScoreSummary:
    """The stored form of entity ``i``'s score in a whole-graph (or subgraph) result."""
    blacklisted = bool(result.blacklisted[i])
    return ScoreSummary(
        subject=data.keys[i],
        scheme_id=result.scheme_id,
        scheme_version=result.scheme_version,
        value=float(result.values[i]),
        level=result.level(i),
        blacklisted=blacklisted,
        blacklist_reasons=tuple(result.reasons_for(i)) if blacklisted else (),
        as_of=as_of,
    )


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    subject_key: str
    scheme_id: str
    scheme_version: str
    value: float
    level: str
    blacklisted: bool
    blacklist_reasons: tuple[str, ...]
    as_of: date
    computed_at: datetime
    latest: bool


LATEST = """
UNWIND $keys AS key
MATCH (s:ScoreSnapshot {subjectScheme: key})
WHERE s.latest
RETURN key, s.value AS value, s.level AS level, s.blacklisted AS blacklisted
"""
# A new snapshot replaces the subject's latest: the old one steps down in the same transaction.
STEP_DOWN = """
UNWIND $keys AS key
MATCH (old:ScoreSnapshot {subjectScheme: key})
WHERE old.latest
SET old.latest = false, old.blacklistedIn = null
RETURN collect(old.snapshotId) AS stepped, collect(properties(old)) AS stored
"""
# Properties listed one by one: ArcadeDB runs ``SET s = map`` about four times slower. A
# snapshot names its subject by key (``subjectKey``, indexed through ``subjectScheme``) and has
# no relationship to it: an edge per snapshot costs a third of the write and would grow every
# entity's relationship list with each day its score changes, slowing every traversal over it.
# The snapshots come as columns, with what they share (scheme, version, day, time) given once:
# a list of maps costs both ends of Bolt several times more than the same values in lists
# (lab, 100k snapshots: the statement -20 to -40 %, the client's packing -75 %).
CREATE_SNAPSHOTS = """
UNWIND range(0, size($ids) - 1) AS i
CREATE (s:ScoreSnapshot {
  snapshotId: $ids[i], subjectKey: $subjects[i], subjectScheme: $keys[i], schemeId: $scheme,
  schemeVersion: $version, value: $values[i], level: $levels[i], blacklisted: $blacklisted[i],
  blacklistReasons: $reasons[i], blacklistedIn: $blacklistedIn[i], asOf: $asOf,
  computedAt: $computedAt, latest: true
})
RETURN count(s) AS written
"""
HISTORY = """
MATCH (s:ScoreSnapshot {subjectScheme: $key})
RETURN properties(s) AS props
ORDER BY s.computedAt DESC
SKIP $skip LIMIT $limit
"""
HISTORY_COUNT = "MATCH (s:ScoreSnapshot {subjectScheme: $key}) RETURN count(s) AS n"
BLACKLIST = """
MATCH (s:ScoreSnapshot {blacklistedIn: $scheme})
RETURN properties(s) AS props
ORDER BY s.subjectKey
SKIP $skip LIMIT $limit
"""
BLACKLIST_COUNT = "MATCH (s:ScoreSnapshot {blacklistedIn: $scheme}) RETURN count(s) AS n"


def subject_scheme(subject: str, scheme_id: str) -> str:
    return f"{subject}|{scheme_id}"


def _snapshot(p: dict[str, Any]) -> Snapshot:
    as_of = convert.to_date(p["asOf"])
    assert as_of is not None
    computed = p["computedAt"]
    return Snapshot(
        snapshot_id=p["snapshotId"],
        subject_key=p["subjectKey"],
        scheme_id=p["schemeId"],
        scheme_version=p["schemeVersion"],
        value=float(p["value"]),
        level=p["level"],
        blacklisted=bool(p["blacklisted"]),
        blacklist_reasons=tuple(p.get("blacklistReasons") or ()),
        as_of=as_of,
        computed_at=computed.to_native() if hasattr(computed, "to_native") else computed,
        latest=bool(p.get("latest")),
    )


@dataclass(frozen=True)
class Before:
    """A subject's latest snapshot before a new one: what a watcher compares against."""

    level: str | None  # None: a level the scheme no longer has
    blacklisted: bool


@dataclass(frozen=True)
class Move:
    """A snapshot just stored, and the standing it replaced (None: the subject's first)."""

    score: ScoreSummary
    before: Before | None


async def record_summaries(graph: Graph, scores: Sequence[ScoreSummary]) -> list[Move]:
    """Store the summaries that differ from their subject's latest snapshot; returns them, each
    with the standing it replaced."""
    if not scores:
        return []
    keys = [subject_scheme(s.subject, s.scheme_id) for s in scores]
    latest = {row["key"]: row for row in await graph.read(LATEST, {"keys": keys})}
    now = datetime.now(UTC)
    changed: list[tuple[ScoreSummary, bool]] = []
    moves: list[Move] = []
    for key, score in zip(keys, scores, strict=True):
        last = latest.get(key)
        if last and (last["value"], last["level"], last["blacklisted"]) == (
            score.value,
            score.level,
            score.blacklisted,
        ):
            continue
        before = Before(last["level"], bool(last["blacklisted"])) if last else None
        moves.append(Move(score, before))
        changed.append((score, last is not None))
    if not changed:
        return []
    await write_snapshots(graph, grouped(changed), now, SnapshotIds())
    return moves


class SnapshotIds:
    """Snapshot ids: one random prefix per run and a counter, so a batch's ids are unique
    and land next to each other in the id index (random ids scatter its inserts)."""

    def __init__(self) -> None:
        self.prefix = uuid.uuid4().hex[:20]
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"{self.prefix}{self.count:012x}"


@dataclass
class NewSnapshots:
    """New latest snapshots under one scheme version on one day, as columns (one statement)."""

    scheme_id: str
    scheme_version: str
    as_of: date
    subjects: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    blacklisted: list[bool] = field(default_factory=list)
    reasons: list[list[str]] = field(default_factory=list)
    stepping: list[bool] = field(default_factory=list)  # the subject has a latest to step down

    def add(self, score: ScoreSummary, stepping: bool) -> None:
        self.subjects.append(score.subject)
        self.values.append(score.value)
        self.levels.append(score.level)
        self.blacklisted.append(score.blacklisted)
        self.reasons.append(list(score.blacklist_reasons))
        self.stepping.append(stepping)

    @property
    def keys(self) -> list[str]:
        return [subject_scheme(subject, self.scheme_id) for subject in self.subjects]


def grouped(scores: Sequence[tuple[ScoreSummary, bool]]) -> list[NewSnapshots]:
    """Scores to store (each with whether its subject has a latest snapshot), by scheme
    version and day."""
    groups: dict[tuple[str, str, date], NewSnapshots] = {}
    for score, stepping in scores:
        found = (score.scheme_id, score.scheme_version, score.as_of)
        group = groups.get(found)
        if group is None:
            group = groups[found] = NewSnapshots(*found)
        group.add(score, stepping)
    return list(groups.values())


def from_result(
    data: GraphData, result: BatchResult, indexes: Ints, had: Bools, as_of: date
) -> NewSnapshots:
    """The scores of entities ``indexes`` in a whole-graph result, as columns (``had``: each
    one has a latest snapshot), made from the arrays in bulk rather than score by score."""
    chosen = indexes.astype(np.int64, copy=False)
    blacklisted: list[bool] = result.blacklisted[chosen].tolist()
    names = result.level_names
    return NewSnapshots(
        result.scheme_id,
        result.scheme_version,
        as_of,
        subjects=[data.keys[i] for i in chosen.tolist()],
        values=result.values[chosen].tolist(),
        levels=[names[code] for code in result.level_codes[chosen].tolist()],
        blacklisted=blacklisted,
        reasons=[
            result.reasons_for(i) if black else []
            for i, black in zip(chosen.tolist(), blacklisted, strict=True)
        ],
        stepping=had.tolist(),
    )


async def write_snapshots(
    graph: Graph, groups: Sequence[NewSnapshots], now: datetime, ids: SnapshotIds
) -> int:
    """Write new latest snapshots in one transaction, stepping down the latest ones they
    replace; returns how many were written."""
    graph.require_audited(Tracked.SNAPSHOT)
    keyed = [(group, group.keys) for group in groups]  # each subject's key, made once
    stepping = [
        key
        for group, keys in keyed
        for key, steps in zip(keys, group.stepping, strict=True)
        if steps
    ]
    written = 0
    async with bound(graph) as tx:
        if stepping:
            stepped = await tx.write(STEP_DOWN, {"keys": stepping})
            if stepped:
                _touch_stored(tx, stepped[0]["stored"])
        for group, keys in keyed:
            made = [ids.next() for _ in group.subjects]
            same = {
                "schemeId": group.scheme_id,
                "schemeVersion": group.scheme_version,
                "asOf": group.as_of,
                "computedAt": now,
                "latest": True,
            }
            columns: dict[str, list[Any]] = {
                "snapshotId": made,
                "subjectKey": group.subjects,
                "subjectScheme": keys,
                "value": group.values,
                "level": group.levels,
                "blacklisted": group.blacklisted,
                "blacklistReasons": group.reasons,
                "blacklistedIn": [group.scheme_id if b else None for b in group.blacklisted],
            }
            created = await tx.write(
                CREATE_SNAPSHOTS,
                {
                    "ids": made,
                    "subjects": group.subjects,
                    "keys": keys,
                    "values": group.values,
                    "levels": group.levels,
                    "blacklisted": group.blacklisted,
                    "reasons": group.reasons,
                    "blacklistedIn": columns["blacklistedIn"],
                    "scheme": group.scheme_id,
                    "version": group.scheme_version,
                    "asOf": group.as_of,
                    "computedAt": now,
                },
            )
            written += int(created[0]["written"]) if created else 0
            # A new snapshot holds exactly what CREATE_SNAPSHOTS set (a null is not stored):
            # its seal is made from the columns sent, not from a row shipped back.
            tx.touch(Tracked.SNAPSHOT, made, seal_columns(Tracked.SNAPSHOT, made, same, columns))
    return written


def _touch_stored(graph: Graph, stored: list[dict[str, Any]]) -> None:
    """Note snapshots for the audit entry to seal, as the statement returned them."""
    graph.touch(
        Tracked.SNAPSHOT, [str(p["snapshotId"]) for p in stored], ({"props": p} for p in stored)
    )


async def history(
    graph: Graph, subject: str, scheme_id: str, skip: int, limit: int
) -> tuple[list[Snapshot], int]:
    """A subject's snapshots under a scheme, newest first, and how many there are."""
    key = subject_scheme(subject, scheme_id)
    rows = await graph.read(HISTORY, {"key": key, "skip": skip, "limit": limit})
    total = await graph.read(HISTORY_COUNT, {"key": key})
    return [_snapshot(r["props"]) for r in rows], int(total[0]["n"])


async def blacklist(
    graph: Graph, scheme_id: str, skip: int, limit: int
) -> tuple[list[Snapshot], int]:
    """The subjects whose latest snapshot under the scheme is blacklisted, by key."""
    rows = await graph.read(BLACKLIST, {"scheme": scheme_id, "skip": skip, "limit": limit})
    total = await graph.read(BLACKLIST_COUNT, {"scheme": scheme_id})
    return [_snapshot(r["props"]) for r in rows], int(total[0]["n"])


@dataclass(frozen=True)
class Standing:
    """A subject's latest stored value, level and blacklist standing under one scheme."""

    value: float
    level: str
    blacklisted: bool


async def latest(graph: Graph, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Standing]:
    """The latest snapshot of each (subject, scheme id) pair that has one."""
    if not pairs:
        return {}
    wanted = {subject_scheme(s, scheme): (s, scheme) for s, scheme in pairs}
    rows = await graph.read(LATEST, {"keys": list(wanted)})
    return {
        wanted[row["key"]]: Standing(float(row["value"]), row["level"], bool(row["blacklisted"]))
        for row in rows
    }
