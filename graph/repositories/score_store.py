"""Storing a whole-graph scoring result: only the scores that changed since the latest snapshots.

The latest snapshots are read by key ranges as columns (``bulk.ranged``) and compared with the
result as arrays, so a day on which little changed costs a read, not a statement per subject.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from graph.driver import Graph
from graph.repositories import audit, bulk, watch
from graph.repositories.snapshots import (
    Before,
    Move,
    NewSnapshots,
    SnapshotIds,
    from_result,
    summary_at,
    write_snapshots,
)
from scoring.arrays import GraphData
from scoring.batch import BatchResult

# The latest snapshots of a scheme for a range of subject keys (``subjectScheme`` is the key,
# "|" and the scheme id, so the key range is a range of that index).
LATEST_IN_RANGE = """
MATCH (s:ScoreSnapshot)
WHERE s.subjectScheme >= $lo AND s.subjectScheme < $hi AND s.latest AND s.schemeId = $scheme
RETURN collect(s.subjectKey) AS keys, collect(s.value) AS values, collect(s.level) AS levels,
       collect(s.blacklisted) AS blacklisted
"""


@dataclass
class Stored:
    """What storing a whole-graph result did."""

    scored: int
    written: int
    blacklisted: int
    levels: Counter[str]
    moves: list[Move] = field(default_factory=list)  # the watched subjects' new snapshots


WRITE_BATCH = 10_000


async def store_batch(
    graph: Graph,
    data: GraphData,
    result: BatchResult,
    as_of: date,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = WRITE_BATCH,
    actor: audit.Actor = audit.OPERATOR,
) -> Stored:
    """Store a whole-graph result: the scores that differ from their subject's latest snapshot.

    The latest snapshots are read by key ranges as columns and compared as arrays, so a day on
    which little changed costs a read, not a statement per subject; the changed ones are
    written in batches, each its own audited transaction (an interrupted run leaves whole
    batches, and running it again writes the rest). A batch's entry seals the snapshots it
    wrote and those it replaced, and names no subjects: a scoring run is the registry's own
    computation, not someone's act on a file.
    """
    tick = on_progress or (lambda rows: None)
    n = data.size
    scored = np.flatnonzero(result.scored)
    had = np.zeros(n, dtype=bool)
    value = np.full(n, np.nan)
    level = np.full(n, -1, dtype=np.int64)
    black = np.zeros(n, dtype=bool)
    lookup = data.index.get
    level_index = {name: i for i, name in enumerate(result.level_names)}.get

    def take(_: int, chunk: dict[str, Any]) -> None:
        where = np.fromiter((lookup(k, -1) for k in chunk["keys"]), dtype=np.int64)
        known = where >= 0
        where = where[known]
        had[where] = True
        value[where] = np.asarray(chunk["values"], dtype=np.float64)[known]
        level[where] = np.fromiter((level_index(v, -1) for v in chunk["levels"]), dtype=np.int64)[
            known
        ]
        black[where] = np.asarray(chunk["blacklisted"], dtype=bool)[known]

    ranges = bulk.key_ranges(data.keys[i] for i in scored)
    await bulk.ranged(graph, LATEST_IN_RANGE, ranges, take, {"scheme": result.scheme_id})
    same = (
        had
        & (value == result.values)
        & (level == result.level_codes)
        & (black == result.blacklisted)
    )
    changed = np.flatnonzero(result.scored & ~same)
    now = datetime.now(UTC)
    ids = SnapshotIds()
    written = 0
    for start in range(0, len(changed), batch_size):
        chunk = changed[start : start + batch_size]
        new = from_result(data, result, chunk, had[chunk], as_of)
        args = {"scheme": result.scheme_id, "asOf": as_of, "subjects": len(chunk)}

        async def work(tx: Graph, new: NewSnapshots = new) -> int:
            return await write_snapshots(tx, [new], now, ids)

        written += await audit.act(graph, actor, "scoreAll", args, work)
        tick(len(chunk))
    moves: list[Move] = []
    if len(changed) and await watch.anyone_watches(graph):
        watched = await watch.watched_keys(graph)
        for i in changed:
            if data.keys[i] not in watched:
                continue
            before = None
            if had[i]:
                name = result.level_names[level[i]] if level[i] >= 0 else None
                before = Before(name, bool(black[i]))
            moves.append(Move(summary_at(data, result, int(i), as_of), before))
    counts = np.bincount(result.level_codes[scored], minlength=len(result.level_names))
    return Stored(
        scored=len(scored),
        written=written,
        blacklisted=int(result.blacklisted[scored].sum()),
        levels=Counter(dict(zip(result.level_names, (int(c) for c in counts), strict=True))),
        moves=moves,
    )
