"""Load: 32 clients for 60 seconds against ``credgraph serve`` on a generated 100k graph, from a
second process on loopback (``bench.loadclient``), mixing lookups, searches, scores and paths.
Goal: no errors; reported: throughput and p50/p95/p99 per kind of query."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from bench.harness import Figure, fresh_server, load_and_score, percentile, serving
from bench.investigation import _ids, _pick
from cli.shards import generate
from cli.synthetic import Spec
from graph.driver import Graph
from graph.models import EntityKind
from graph.repositories import keys

NAMES = "UNWIND $keys AS key MATCH (c:Company {uscc: key}) RETURN c.name AS name"


async def _plan(settings: Any, spec: Spec, seed: int) -> tuple[dict[str, Any], str]:
    rng = random.Random(seed)
    graph = await Graph.connect(settings.graph_config())
    try:
        pairs, roots = await _pick(graph, spec, 60, rng)
        wanted = [(a, ka) for a, ka, _, _ in pairs] + [(b, kb) for _, _, b, kb in pairs]
        ids = await _ids(graph, wanted)
        codes = sorted(
            {a for a, _, _, _ in pairs} | {k for k, kind in roots if kind is EntityKind.COMPANY}
        )
        names = [r["name"] for r in await graph.read(NAMES, {"keys": codes})]
        words = sorted({name[2:5] for name in names if len(name) > 5})
        _, key = await keys.create(graph, "load test", keys.Role.INVESTIGATOR, None)
        plan = {
            "codes": codes,
            "words": words,
            "pairs": [(ids[a], ids[b]) for a, _, b, _ in pairs if a in ids and b in ids],
        }
        return plan, key
    finally:
        await graph.close()


def run(
    entities: int = 100_000,
    duration: float = 60,
    concurrency: int = 32,
    seed: int = 1,
    workers: tuple[int, ...] = (1, 2),
) -> tuple[list[Figure], dict[str, Any]]:
    """The load test once per API worker count, on one loaded and scored graph."""
    companies = int(entities * 0.4)
    spec = Spec(companies=companies, persons=entities - companies, seed=seed)
    figures: list[Figure] = []
    latencies: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="credgraph-bench-load-") as tmp:
        root = Path(tmp)
        generate(spec, root / "data")
        with fresh_server(root / "graph") as settings:
            load_and_score(settings, root / "data")
            plan, key = asyncio.run(_plan(settings, spec, seed))
            (root / "plan.json").write_bytes(orjson.dumps(plan))
            for count in workers:
                # The limit guards production; here one key is the whole crowd.
                env = {
                    "CREDGRAPH_RATE_LIMIT": "100000000",
                    "CREDGRAPH_COST_LIMIT": "1000000000",
                    "CREDGRAPH_WORKERS": str(count),
                }
                out = root / f"load-{count}.json"
                with serving(settings, env) as port:
                    subprocess.run(
                        [sys.executable, "-m", "bench.loadclient", "--port", str(port),
                         "--key", key, "--plan", str(root / "plan.json"),
                         "--duration", str(duration), "--concurrency", str(concurrency),
                         "--out", str(out)],
                        check=True,
                    )  # fmt: skip
                result = orjson.loads(out.read_bytes())
                figures += _figures(result, concurrency, duration, entities, count)
                latencies[f"{count} worker{'s' if count > 1 else ''}"] = result["latencies"]
    return figures, {"latencies": latencies, "entities": entities, "workers": list(workers)}


def _figures(
    result: dict[str, Any], concurrency: int, duration: float, entities: int, workers: int
) -> list[Figure]:
    seconds = result["seconds"]
    served = f"{workers} API worker{'s' if workers > 1 else ''}"
    figures = []
    total = 0
    for kind, values in result["latencies"].items():
        total += len(values)
        figures.append(
            Figure(
                f"load: {kind} under {concurrency} clients, {served}, p95",
                percentile(values, 95) if values else float("nan"),
                "ms",
                notes={
                    "requests": len(values),
                    "per_second": round(len(values) / seconds, 1),
                    "p50_ms": round(percentile(values, 50), 2) if values else None,
                    "p99_ms": round(percentile(values, 99), 2) if values else None,
                },
            )
        )
    failures = result["failures"]
    figures.append(
        Figure(
            f"load: all kinds, {concurrency} clients for {duration:.0f} s, {served}",
            total / seconds,
            "req/s",
            goal="no errors",
            met=not failures,
            notes={"errors": len(failures), "first_errors": failures[:3], "entities": entities},
        )
    )
    return figures
