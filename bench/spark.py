"""The whole-graph pass on Spark beside the scipy pass: ``score --all`` and ``score --all --engine
spark`` on the same generated graph, at 100k and 1M entities, each storing every score (a first
run: the snapshots of the other are removed before it). Spark runs in local mode on this
machine's cores, so it does not win here; what the figures show is the ratio, where each pass
spends its time (read or export, compute, store) and how each grows from 100k to 1M.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from bench.harness import Figure, fresh_server
from bench.scoring import _import, _spec
from cli.score_command import SparkOptions, score_all
from cli.shards import generate
from config.settings import Settings
from graph.driver import Graph
from scoring.scheme import load_schemes
from usecases.scores import ScoreRun

FORGET = """
MATCH (s:ScoreSnapshot)
CALL { WITH s DETACH DELETE s } IN TRANSACTIONS OF 10000 ROWS
"""


async def _forget_scores(settings: Settings) -> None:
    graph = await Graph.connect(settings.graph_config())
    try:
        await graph.write_in_batches(FORGET, timeout=3600)
    finally:
        await graph.close()


def _pass(settings: Settings, spark: SparkOptions | None) -> ScoreRun:
    with Progress(console=Console(quiet=True)) as progress:
        return asyncio.run(
            score_all(
                settings.graph_config(),
                load_schemes(),
                date.today(),
                progress,
                spark=spark,
            )
        )


def _seconds(run: ScoreRun) -> float:
    return run.read_seconds + run.compute_seconds + run.write_seconds


def run(sizes: tuple[int, ...] = (100_000, 1_000_000), seed: int = 1) -> list[Figure]:
    figures = []
    for entities in sizes:
        spec = _spec(entities, seed)
        with tempfile.TemporaryDirectory(prefix="credgraph-bench-spark-") as tmp:
            root = Path(tmp)
            generate(spec, root / "data")
            with fresh_server(root / "graph") as settings:
                asyncio.run(_import(settings, root / "data"))
                scipy = _pass(settings, None)
                asyncio.run(_forget_scores(settings))
                spark = _pass(settings, SparkOptions(workdir=root / "spark"))
        written = sum(s.written for s in spark.schemes)
        figures.append(
            Figure(
                f"score --all --engine spark at {entities:,} entities, local mode on this "
                "machine (baseline: the scipy pass on the same graph)",
                _seconds(spark),
                "s",
                baseline=_seconds(scipy),
                ratio=_seconds(spark) / _seconds(scipy),
                goal="the same scores (tests/test_spark_pass.py); time reported, not a goal here",
                met=written == sum(s.written for s in scipy.schemes),
                notes={
                    "entities": entities,
                    "links": spark.links,
                    "records": spark.records,
                    "spark_export_s": round(spark.read_seconds, 1),
                    "spark_compute_s": round(spark.compute_seconds, 1),
                    "spark_store_s": round(spark.write_seconds, 1),
                    "scipy_read_s": round(scipy.read_seconds, 1),
                    "scipy_compute_s": round(scipy.compute_seconds, 1),
                    "scipy_store_s": round(scipy.write_seconds, 1),
                    "snapshots_written": written,
                },
            )
        )
    return figures
