"""``score --all --engine spark``: the whole-graph pass with Spark doing the computing.

Three steps, none of which holds the graph in one process: the graph is exported as tables, a
range at a time (``graph.repositories.export``); the Spark job scores every scheme from them
(``jobs.spark_score``, its maths ``scoring.spark_pass``; local mode on this machine, or a
cluster's master); its rows are read back a batch at a time and each batch stores the scores
that changed, in an audited transaction of its own (``snapshots.record_summaries``), as the
scipy pass does. Watchers hear of the level and blacklist moves.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from graph.driver import Graph
from graph.repositories import audit, export, score_store, snapshots, watch
from scoring.scheme import Scheme
from usecases import events
from usecases.scores import SchemeSummary, ScoreProgress, ScoreRun, refuse_unhandled


def _rows(folder: Path) -> Iterator[dict[str, Any]]:
    """The job's rows for one scheme, part file by part file."""
    for part in sorted(folder.glob("part-*.json")):
        with part.open("rb") as lines:
            for line in lines:
                if line.strip():
                    yield orjson.loads(line)


async def _store(
    graph: Graph,
    scheme: Scheme,
    as_of: date,
    rows: Iterator[dict[str, Any]],
    progress: ScoreProgress,
    batch_size: int,
) -> tuple[SchemeSummary, list[snapshots.Move]]:
    summary = SchemeSummary(scheme.id, scored=0, written=0, blacklisted=0, levels=Counter())
    watched = await watch.watched_keys(graph) if await watch.anyone_watches(graph) else set()
    moved: list[snapshots.Move] = []
    while chunk := list(itertools.islice(rows, batch_size)):
        scores = [
            snapshots.ScoreSummary(
                subject=row["key"],
                scheme_id=scheme.id,
                scheme_version=scheme.version,
                value=float(row["value"]),
                level=row["level"],
                blacklisted=bool(row["blacklisted"]),
                blacklist_reasons=tuple(row.get("reasons") or ()),
                as_of=as_of,
            )
            for row in chunk
        ]
        args = {"scheme": scheme.id, "asOf": as_of, "subjects": len(scores)}

        async def work(
            tx: Graph, scores: list[snapshots.ScoreSummary] = scores
        ) -> list[snapshots.Move]:
            return await snapshots.record_summaries(tx, scores)

        moves = await audit.act(graph, audit.OPERATOR, "scoreAll", args, work)
        summary.scored += len(scores)
        summary.written += len(moves)
        summary.blacklisted += sum(s.blacklisted for s in scores)
        summary.levels.update(s.level for s in scores)
        moved += [m for m in moves if m.score.subject in watched]
        progress.stored(len(scores))
    return summary, moved


async def score_all_spark(
    graph: Graph,
    schemes: Mapping[str, Scheme],
    as_of: date,
    progress: ScoreProgress,
    batch_size: int = score_store.WRITE_BATCH,
    master: str | None = None,
    workdir: Path | None = None,
) -> ScoreRun:
    """The whole-graph pass with Spark computing: export, the job, the changed scores stored.
    ``workdir`` holds the tables and the job's output (on storage the cluster reaches, for a
    cluster); by default a temporary folder, removed after."""
    refuse_unhandled(schemes)
    from jobs import spark_score  # pyspark is needed here only

    run = ScoreRun()
    with tempfile.TemporaryDirectory(prefix="credgraph-spark-") as temporary:
        root = workdir or Path(temporary)
        started = time.perf_counter()
        exported = await export.export_tables(graph, root / "tables", progress.read)
        run.read_seconds = time.perf_counter() - started
        run.entities, run.links, run.records = exported.entities, exported.links, exported.records
        started = time.perf_counter()
        spark = spark_score.session(master)
        try:
            written = spark_score.run_job(
                spark, str(root / "tables"), str(root / "scores"), schemes, as_of
            )
        finally:
            spark.stop()
        run.compute_seconds = time.perf_counter() - started
        progress.computed(exported.entities * len(schemes))  # at most: the schemes' subjects
        started = time.perf_counter()
        for scheme_id in sorted(written):
            summary, moved = await _store(
                graph, schemes[scheme_id], as_of, _rows(Path(written[scheme_id])), progress,
                batch_size,
            )  # fmt: skip
            await events.emit(graph, events.score_moved(moved, datetime.now(UTC)))
            run.schemes.append(summary)
        run.write_seconds = time.perf_counter() - started
    return run
