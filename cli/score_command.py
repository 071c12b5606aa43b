"""``credgraph score --all``: the whole-graph pass (``usecases.scores.score_all``) with progress
bars and a summary table."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph.driver import Graph, GraphConfig
from graph.repositories import score_store
from scoring.scheme import Scheme
from usecases import scores
from usecases.scores import ScoreRun


class _Bars:
    """A whole-graph pass's progress as rich bars: reading, then storing."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.reading = progress.add_task("reading the graph", total=None)
        self.writing: TaskID | None = None
        self.total = 1

    def read(self, rows: int) -> None:
        self.progress.advance(self.reading, rows)

    def computed(self, to_store: int) -> None:
        self.progress.update(self.reading, total=1, completed=1)
        self.total = max(to_store, 1)
        self.writing = self.progress.add_task("storing changed scores", total=self.total)

    def stored(self, rows: int) -> None:
        if self.writing is not None:
            self.progress.advance(self.writing, rows)

    def done(self) -> None:
        if self.writing is not None:
            self.progress.update(self.writing, completed=self.total)


@dataclass(frozen=True)
class SparkOptions:
    """Where the Spark pass runs: ``master`` (None: local mode, every core here) and the folder
    for its tables (None: a temporary one; for a cluster, storage every executor reaches)."""

    master: str | None = None
    workdir: Path | None = None


async def score_all(
    config: GraphConfig,
    schemes: dict[str, Scheme],
    as_of: date,
    progress: Progress,
    batch_size: int = score_store.WRITE_BATCH,
    spark: SparkOptions | None = None,
) -> ScoreRun:
    """The whole-graph pass (``usecases.scores.score_all``, or ``usecases.spark_scores`` with
    ``spark``) on its own connection."""
    graph = await Graph.connect(config)
    try:
        bars = _Bars(progress)
        if spark is not None:
            from usecases.spark_scores import score_all_spark

            run = await score_all_spark(
                graph, schemes, as_of, bars, batch_size, spark.master, spark.workdir
            )
        else:
            run = await scores.score_all(graph, schemes, as_of, bars, batch_size)
        bars.done()
        return run
    finally:
        await graph.close()


def run_score_all(
    config: GraphConfig,
    schemes: dict[str, Scheme],
    as_of: date,
    console: Console,
    batch_size: int = score_store.WRITE_BATCH,
    spark: SparkOptions | None = None,
) -> ScoreRun:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        return asyncio.run(score_all(config, schemes, as_of, progress, batch_size, spark))


def summary_table(run: ScoreRun, schemes: dict[str, Scheme]) -> Table:
    table = Table(
        "scheme",
        "scored",
        "snapshots written",
        "blacklisted",
        "levels",
        title=f"scores as of the run ({run.entities:,} entities, {run.links:,} links, "
        f"{run.records:,} records)",
    )
    for summary in run.schemes:
        order = [level.name for level in schemes[summary.scheme_id].levels]
        levels = "  ".join(f"{name} {summary.levels.get(name, 0):,}" for name in order)
        table.add_row(
            summary.scheme_id,
            f"{summary.scored:,}",
            f"{summary.written:,}",
            f"{summary.blacklisted:,}",
            levels,
        )
    return table
