"""Score snapshots: each change of a subject's score under a scheme, kept with its history.

A snapshot is written only when the value, the level or the blacklist standing changed since the
latest one, so the history shows changes, not repetitions. ``subjectScheme`` (subject key and
scheme id) finds a subject's history; ``blacklistedIn`` (the scheme id, set only on the latest
snapshot of a blacklisted subject) lists a scheme's blacklist through an index.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

from graph.driver import Graph
from graph.repositories import convert, watch
from scoring.batch import BatchResult, GraphData
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
    contributions: str | None = None  # JSON, when the engine computed it

    @classmethod
    def of(cls, score: Score) -> ScoreSummary:
        return cls(
            subject=score.subject,
            scheme_id=score.scheme_id,
            scheme_version=score.scheme_version,
            value=score.value,
            level=score.level,
            blacklisted=score.blacklisted,
            blacklist_reasons=score.blacklist_reasons,
            as_of=score.as_of,
            contributions=orjson.dumps(
                [(c.kind, c.record_id, c.rule_id, c.points) for c in score.contributions]
            ).decode(),
        )


def from_batch(
    data: GraphData, result: BatchResult, as_of: date, keep: Callable[[str], bool] | None = None
) -> list[ScoreSummary]:
    """The stored form of the scores in a whole-graph (or subgraph) result, optionally only for
    the entities ``keep`` accepts."""
    out = []
    for i, key in enumerate(data.keys):
        if not result.scored[i] or (keep is not None and not keep(key)):
            continue
        out.append(
            ScoreSummary(
                subject=key,
                scheme_id=result.scheme_id,
                scheme_version=result.scheme_version,
                value=float(result.values[i]),
                level=result.levels[i],
                blacklisted=bool(result.blacklisted[i]),
                blacklist_reasons=tuple(result.reasons.get(i, ())),
                as_of=as_of,
            )
        )
    return out


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
# The previous latest snapshot steps down in the same statement that writes the new one.
WRITE = """
UNWIND $rows AS row
OPTIONAL MATCH (old:ScoreSnapshot {subjectScheme: row.subjectScheme})
WHERE old.latest
SET old.latest = false, old.blacklistedIn = null
WITH DISTINCT row
CREATE (s:ScoreSnapshot)
SET s = row.props
WITH s, row
OPTIONAL MATCH (p:Person {idNumber: row.subject})
OPTIONAL MATCH (c:Company {uscc: row.subject})
WITH s, coalesce(p, c) AS subject
WHERE subject IS NOT NULL
CREATE (s)-[:SCORE_OF]->(subject)
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


async def record_scores(graph: Graph, scores: Sequence[Score | ScoreSummary]) -> int:
    """Store the scores that differ from their subject's latest snapshot; returns how many."""
    summaries = [s if isinstance(s, ScoreSummary) else ScoreSummary.of(s) for s in scores]
    return await record_summaries(graph, summaries)


async def record_summaries(graph: Graph, scores: Sequence[ScoreSummary]) -> int:
    """Store the summaries that differ from their subject's latest snapshot; returns how many."""
    if not scores:
        return 0
    keys = [subject_scheme(s.subject, s.scheme_id) for s in scores]
    latest = {row["key"]: row for row in await graph.read(LATEST, {"keys": keys})}
    now = datetime.now(UTC)
    rows = []
    events: list[watch.Event] = []
    for key, score in zip(keys, scores, strict=True):
        last = latest.get(key)
        if last and (last["value"], last["level"], last["blacklisted"]) == (
            score.value,
            score.level,
            score.blacklisted,
        ):
            continue
        events += _changes(score, last, now)
        rows.append(
            {
                "subject": score.subject,
                "subjectScheme": key,
                "props": {
                    "snapshotId": str(uuid.uuid4()),
                    "subjectKey": score.subject,
                    "subjectScheme": key,
                    "schemeId": score.scheme_id,
                    "schemeVersion": score.scheme_version,
                    "value": score.value,
                    "level": score.level,
                    "blacklisted": score.blacklisted,
                    "blacklistReasons": list(score.blacklist_reasons),
                    "blacklistedIn": score.scheme_id if score.blacklisted else None,
                    "asOf": score.as_of,
                    "computedAt": now,
                    "latest": True,
                    "contributions": score.contributions,
                },
            }
        )
    if not rows:
        return 0
    result = await graph.write(WRITE, {"rows": rows})
    if events and await watch.anyone_watches(graph):
        await watch.append(graph, events)
    return int(result[0]["written"]) if result else 0


def _changes(score: ScoreSummary, last: dict[str, Any] | None, now: datetime) -> list[watch.Event]:
    """The watch events a new snapshot makes: a level change, a blacklist entry or exit."""
    kinds = []
    if last is not None and last["level"] != score.level:
        kinds.append(watch.EventKind.LEVEL_CHANGED)
    if bool(last and last["blacklisted"]) != score.blacklisted:
        entered = score.blacklisted
        kinds.append(
            watch.EventKind.BLACKLIST_ENTERED if entered else watch.EventKind.BLACKLIST_LEFT
        )
    return [
        watch.Event(
            kind=kind,
            subject_key=score.subject,
            at=now,
            scheme_id=score.scheme_id,
            level=score.level,
            previous_level=last["level"] if last else None,
            value=score.value,
        )
        for kind in kinds
    ]


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
