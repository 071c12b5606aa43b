"""Bystander: how a relying party's lookups fare while an anonymous client sends the heaviest
request the limits admit, against ``credgraph serve`` with its production limits.

The attacker has no key: it sends, from four connections at once, a batch whose operations ask
for live scores of 100 companies each, as many as the cost budget admits (checked with the same
cost model before it is sent), and is held to ``CREDGRAPH_PUBLIC_RATE_LIMIT``. The bystander
looks companies up one after the other (the lookup a bank makes) for ``duration`` seconds, first
alone, then under the attack. Reported: the bystander's p50, p99 and errors in both phases, and
how many of the attacker's requests were admitted and refused.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from graphql import parse
from strawberry import relay

from api.cost import BUDGET, operation_cost
from api.schema import build_schema
from bench.harness import Figure, fresh_server, load_and_score, percentile, serving
from cli.shards import generate
from cli.synthetic import Spec
from graph.driver import Graph
from graph.repositories import keys

LOOKUP = """query($u: String!) { company(uscc: $u) { name status legalRepresentativeName
  records(first: 5) { edges { node { code decidedOn } } } } }"""
HEAVY_ITEM = "a%d: nodes(ids: $ids) { ... on Company { name score { value level } } }"
CODES = "MATCH (c:Company) RETURN c.uscc AS uscc ORDER BY c.uscc LIMIT 2000"


def heaviest(ids: list[str]) -> list[dict[str, Any]]:
    """The batch of the most live scores the cost budget admits: whole operations of 100 ids
    with as many aliases as fit, as many operations as fit."""
    schema = build_schema(production=True)._schema

    def query(aliases: int) -> str:
        return "query($ids: [ID!]!) { " + " ".join(HEAVY_ITEM % i for i in range(aliases)) + " }"

    def cost(aliases: int) -> int:
        return operation_cost(schema, parse(query(aliases)), None, {"ids": ids})

    aliases = 1
    while cost(aliases + 1) <= BUDGET:
        aliases += 1
    operations = max(1, BUDGET // cost(aliases))
    return [{"query": query(aliases), "variables": {"ids": ids}}] * operations


async def _codes(settings: Any) -> tuple[list[str], str]:
    graph = await Graph.connect(settings.graph_config())
    try:
        codes = [r["uscc"] for r in await graph.read(CODES)]
        _, key = await keys.create(graph, "bystander bench", keys.Role.RELYING_PARTY, None)
        return codes, key
    finally:
        await graph.close()


async def _bystander(base: str, key: str, codes: list[str], seconds: float) -> dict[str, Any]:
    rng = random.Random(7)
    latencies: list[float] = []
    errors: list[str] = []
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = await client.post(
                "/graphql", json={"query": LOOKUP, "variables": {"u": rng.choice(codes)}}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            body = response.json() if response.status_code == 200 else {}
            if response.status_code != 200 or body.get("errors"):
                errors.append(f"{response.status_code}: {response.text[:120]}")
    return {"latencies": latencies, "errors": errors}


async def _attacker(base: str, batch: list[dict[str, Any]], stop: asyncio.Event) -> dict[str, int]:
    counts = {"admitted": 0, "refused": 0, "failed": 0}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while not stop.is_set():
            response = await client.post("/graphql", json=batch)
            if response.status_code == 200:
                counts["admitted"] += 1
            elif response.status_code == 429:
                counts["refused"] += 1
                await asyncio.sleep(min(5.0, float(response.headers.get("retry-after", "1"))))
            else:
                counts["failed"] += 1
    return counts


async def _phases(base: str, key: str, codes: list[str], seconds: float) -> dict[str, Any]:
    alone = await _bystander(base, key, codes, seconds)
    ids = [str(relay.GlobalID("Company", code)) for code in codes[:100]]
    batch = heaviest(ids)
    stop = asyncio.Event()
    attackers = [asyncio.create_task(_attacker(base, batch, stop)) for _ in range(4)]
    await asyncio.sleep(1.0)  # the attack is under way before the bystander starts
    attacked = await _bystander(base, key, codes, seconds)
    stop.set()
    counts = [await a for a in attackers]
    totals = {k: sum(c[k] for c in counts) for k in ("admitted", "refused", "failed")}
    return {"alone": alone, "attacked": attacked, "attack": totals, "batch": len(batch)}


def run(entities: int = 20_000, seconds: float = 20, seed: int = 1) -> list[Figure]:
    companies = int(entities * 0.4)
    spec = Spec(companies=companies, persons=entities - companies, seed=seed)
    with tempfile.TemporaryDirectory(prefix="credgraph-bench-bystander-") as tmp:
        root = Path(tmp)
        generate(spec, root / "data")
        with fresh_server(root / "graph") as settings:
            load_and_score(settings, root / "data")
            codes, key = asyncio.run(_codes(settings))
            # Production limits for the public; the bystander's key is not the one limited.
            env = {"CREDGRAPH_RATE_LIMIT": "100000000", "CREDGRAPH_COST_LIMIT": "1000000000"}
            with serving(settings, env) as port:
                found = asyncio.run(_phases(f"http://127.0.0.1:{port}", key, codes, seconds))
    return _figures(found, entities)


def _figures(found: dict[str, Any], entities: int) -> list[Figure]:
    alone, attacked = found["alone"]["latencies"], found["attacked"]["latencies"]
    notes = {
        "entities": entities,
        "alone_p50_ms": round(percentile(alone, 50), 2),
        "alone_p99_ms": round(percentile(alone, 99), 2),
        "attacked_p50_ms": round(percentile(attacked, 50), 2),
        "attacked_p99_ms": round(percentile(attacked, 99), 2),
        "attacked_errors": len(found["attacked"]["errors"]),
        "first_errors": found["attacked"]["errors"][:3],
        "attack_operations_per_request": found["batch"],
        "attack_requests": found["attack"],
    }
    p99 = percentile(attacked, 99)
    return [
        Figure(
            "bystander: company lookup p99 while an anonymous client sends the heaviest "
            "admitted request",
            p99,
            "ms",
            baseline=percentile(alone, 99),
            ratio=p99 / percentile(alone, 99),
            goal="no errors, p99 under 1 s",
            met=not found["attacked"]["errors"] and p99 < 1000,
            notes=notes,
        )
    ]
