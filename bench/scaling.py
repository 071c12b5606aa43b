"""How the whole-graph recompute grows with the graph: ``score --all`` at 10k and 100k entities
(the 1M point comes from ``bench.scoring.run_recompute`` in the same ``make bench``)."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from bench.harness import Figure, fresh_server
from bench.scoring import _import, _spec
from cli.score_command import score_all
from cli.shards import generate
from scoring.scheme import load_schemes


def run(sizes: tuple[int, ...] = (10_000, 100_000), seed: int = 1) -> list[Figure]:
    figures = []
    for entities in sizes:
        spec = _spec(entities, seed)
        with tempfile.TemporaryDirectory(prefix="credgraph-bench-scaling-") as tmp:
            root = Path(tmp)
            generate(spec, root / "data")
            with fresh_server(root / "graph") as settings:
                asyncio.run(_import(settings, root / "data"))
                with Progress(console=Console(quiet=True)) as progress:
                    result = asyncio.run(
                        score_all(settings.graph_config(), load_schemes(), date.today(), progress)
                    )
        total = result.read_seconds + result.compute_seconds + result.write_seconds
        figures.append(
            Figure(
                f"score --all at {entities:,} entities (first run)",
                total,
                "s",
                notes={
                    "entities": entities,
                    "read_s": round(result.read_seconds, 2),
                    "compute_s": round(result.compute_seconds, 2),
                    "write_s": round(result.write_seconds, 2),
                },
            )
        )
    return figures
