"""``credgraph score --all``: read the whole graph, score it with sparse matrices, store changes."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph.driver import Graph, GraphConfig
from graph.errors import CredgraphError
from graph.repositories import bulk, score_store
from scoring.batch import MAX_HOPS, BatchResult, evaluate_all, handles
from scoring.scheme import Scheme


@dataclass
class SchemeSummary:
    scheme_id: str
    scored: int = 0
    written: int = 0
    blacklisted: int = 0
    levels: Counter[str] = field(default_factory=Counter)


@dataclass
class ScoreRun:
    read_seconds: float = 0.0
    compute_seconds: float = 0.0
    write_seconds: float = 0.0
    entities: int = 0
    links: int = 0
    records: int = 0
    schemes: list[SchemeSummary] = field(default_factory=list)


async def score_all(
    config: GraphConfig,
    schemes: dict[str, Scheme],
    as_of: date,
    progress: Progress,
    batch_size: int = score_store.WRITE_BATCH,
) -> ScoreRun:
    """The whole-graph pass: bulk read, compute per scheme, write snapshots in batches."""
    for scheme in schemes.values():
        if not handles(scheme):
            raise CredgraphError(
                f"scheme {scheme.id}: propagation.max_hops is {scheme.propagation.max_hops}; "
                f"the whole-graph pass computes at most {MAX_HOPS} hops exactly, so score --all "
                "cannot store its scores (the API computes them live, and rescores the "
                "neighbourhood of each new record)"
            )
    run = ScoreRun()
    graph = await Graph.connect(config)
    try:
        reading = progress.add_task("reading the graph", total=None)
        started = time.perf_counter()
        data = await bulk.load_graph(graph, lambda stage, rows: progress.advance(reading, rows))
        run.read_seconds = time.perf_counter() - started
        run.entities, run.links, run.records = data.size, data.links, data.records
        progress.update(reading, total=1, completed=1)
        computed: list[BatchResult] = []
        started = time.perf_counter()
        for scheme_id in sorted(schemes):
            computed.append(evaluate_all(data, schemes[scheme_id], as_of))
        run.compute_seconds = time.perf_counter() - started
        total = sum(int(result.scored.sum()) for result in computed)
        writing = progress.add_task("storing changed scores", total=max(total, 1))
        started = time.perf_counter()
        for result in computed:
            stored = await score_store.store_batch(
                graph, data, result, as_of, lambda rows: progress.advance(writing, rows), batch_size
            )
            run.schemes.append(
                SchemeSummary(
                    result.scheme_id,
                    scored=stored.scored,
                    written=stored.written,
                    blacklisted=stored.blacklisted,
                    levels=stored.levels,
                )
            )
        progress.update(writing, completed=max(total, 1))
        run.write_seconds = time.perf_counter() - started
    finally:
        await graph.close()
    return run


def run_score_all(
    config: GraphConfig,
    schemes: dict[str, Scheme],
    as_of: date,
    console: Console,
    batch_size: int = score_store.WRITE_BATCH,
) -> ScoreRun:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        return asyncio.run(score_all(config, schemes, as_of, progress, batch_size))


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
