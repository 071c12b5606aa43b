"""Audit throughput: how many audited writes and audited reads a second the service sustains.

Every audited act appends to one hash chain through one head node, so audited acts are
serialised (in a worker by a lock, across workers by the head's compare-and-set). 32 clients
on loopback against ``credgraph serve`` for ``seconds``: half write (``upsertCompany`` with a
registrar key: one entry each), half read a person (a company's legal representative with a
relying party's key: one read entry each). Reported: entries a second, and p50/p95 of each.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import Figure, fresh_server, load_and_score, percentile, serving
from cli.shards import generate
from cli.synthetic import Spec
from graph.driver import Graph
from graph.repositories import keys

WRITE = (
    "mutation($u: String!, $n: String!) { upsertCompany(input: {uscc: $u, name: $n}) "
    "{ __typename } }"
)
READ = "query($u: String!) { company(uscc: $u) { legalRepresentative { name idNumber } } }"
AUDITED = "MATCH (h:AuditHead) RETURN h.seq AS seq"
# Companies with a legal representative: each read answers a person, so it is audited.
CODES = """
MATCH (p:Person)-[:LEGAL_REPRESENTATIVE_OF]->(c:Company)
RETURN DISTINCT c.uscc AS uscc LIMIT 2000
"""


async def _setup(settings: Any) -> tuple[list[str], str, str]:
    graph = await Graph.connect(settings.graph_config())
    try:
        codes = [r["uscc"] for r in await graph.read(CODES)]
        _, registrar = await keys.create(graph, "audit bench", keys.Role.REGISTRAR, None)
        _, reader = await keys.create(graph, "audit bench", keys.Role.RELYING_PARTY, None)
        return codes, registrar, reader
    finally:
        await graph.close()


async def _head(settings: Any) -> int:
    graph = await Graph.connect(settings.graph_config())
    try:
        rows = await graph.read(AUDITED)
        return int(rows[0]["seq"]) if rows else 0
    finally:
        await graph.close()


async def _client(
    base: str, key: str, query: str, codes: list[str], offset: int, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        deadline, n = time.monotonic() + seconds, offset
        while time.monotonic() < deadline:
            code = codes[n % len(codes)]
            n += 16
            started = time.perf_counter()
            response = await client.post(
                "/graphql", json={"query": query, "variables": {"u": code, "n": f"审计压测{n}"}}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            body = response.json() if response.status_code == 200 else {}
            if response.status_code != 200 or body.get("errors"):
                errors.append(f"{response.status_code}: {response.text[:120]}")
    return {"latencies": latencies, "errors": errors}


async def _run(base: str, codes: list[str], registrar: str, reader: str, seconds: float) -> Any:
    writers = [_client(base, registrar, WRITE, codes, i, seconds) for i in range(16)]
    readers = [_client(base, reader, READ, codes, i, seconds) for i in range(16)]
    results = await asyncio.gather(*writers, *readers)
    return results[:16], results[16:]


def run(entities: int = 20_000, seconds: float = 20, seed: int = 1) -> list[Figure]:
    companies = int(entities * 0.4)
    spec = Spec(companies=companies, persons=entities - companies, seed=seed)
    with tempfile.TemporaryDirectory(prefix="credgraph-bench-audit-") as tmp:
        root = Path(tmp)
        generate(spec, root / "data")
        with fresh_server(root / "graph") as settings:
            load_and_score(settings, root / "data")
            codes, registrar, reader = asyncio.run(_setup(settings))
            env = {
                "CREDGRAPH_ALLOW_WRITES": "true",
                "CREDGRAPH_RATE_LIMIT": "100000000",
                "CREDGRAPH_COST_LIMIT": "1000000000",
            }
            before = asyncio.run(_head(settings))
            with serving(settings, env) as port:
                writes, reads = asyncio.run(
                    _run(f"http://127.0.0.1:{port}", codes, registrar, reader, seconds)
                )
            entries = asyncio.run(_head(settings)) - before
    return _figures(writes, reads, entries, seconds, entities)


def _figures(
    writes: list[dict[str, Any]],
    reads: list[dict[str, Any]],
    entries: int,
    seconds: float,
    entities: int,
) -> list[Figure]:
    def merged(group: list[dict[str, Any]], part: str) -> list[Any]:
        return [item for result in group for item in result[part]]

    figures = []
    for name, group in (("writes", writes), ("reads", reads)):
        latencies = merged(group, "latencies")
        errors = merged(group, "errors")
        figures.append(
            Figure(
                f"audit: audited {name} a second, 16 clients of 32",
                len(latencies) / seconds,
                "req/s",
                goal="no errors",
                met=not errors,
                notes={
                    "p50_ms": round(percentile(latencies, 50), 2),
                    "p95_ms": round(percentile(latencies, 95), 2),
                    "errors": len(errors),
                    "first_errors": errors[:3],
                },
            )
        )
    answered = sum(len(r["latencies"]) for r in writes + reads)
    figures.append(
        Figure(
            "audit: entries appended a second (32 clients, one worker)",
            entries / seconds,
            "entries/s",
            goal="one entry per audited request",
            met=entries == answered,
            notes={"entries": entries, "requests": answered, "entities": entities},
        )
    )
    return figures
