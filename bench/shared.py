"""Workers sharing Redis: two ``credgraph serve`` processes (two hosts behind a load balancer, on
one machine here) on one graph and one Redis (``CREDGRAPH_REDIS_URL``), then the same two
without Redis.

- **A key's limit in total.** One key sends requests as fast as 16 connections allow, spread
  over both workers, for ``seconds``; its limit is ``LIMIT`` a minute. Reported: how many were
  admitted (with Redis the limit holds in total; without, each worker admits its own).
- **A watch event on both workers.** ``SUBSCRIBERS`` WebSocket subscriptions on each worker
  watch one company; a registrar adds a record through the first worker. Reported: when the
  event reached every subscriber on each worker, counted from the write's answer (each worker's
  hub reads it once for all its subscribers: ``tests/test_shared_state.py`` counts the reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import websockets

from backend.redis_server import RedisServer
from bench.harness import Figure, fresh_server, load_and_score, percentile, serving
from cli.shards import generate
from cli.synthetic import Spec
from graph.driver import Graph
from graph.repositories import keys

LIMIT = 600  # requests a minute for the key
SUBSCRIBERS = 50  # per worker
CODES = "MATCH (c:Company) RETURN c.uscc AS uscc ORDER BY c.uscc LIMIT 200"
LOOKUP = "query($u: String!) { company(uscc: $u) { name } }"
EVENTS = "subscription { watchEvents { kind record { recordId } } }"
ID = "query($u: String!) { company(uscc: $u) { id } }"
WATCH = "mutation($id: ID!) { watch(id: $id) { since } }"
ADD = "mutation($input: AddRecordInput!) { addRecord(input: $input) { __typename } }"


async def _setup(settings: Any) -> tuple[list[str], dict[str, str]]:
    graph = await Graph.connect(settings.graph_config())
    try:
        codes = [r["uscc"] for r in await graph.read(CODES)]
        made = {}
        for name, role in (
            ("rate", keys.Role.INVESTIGATOR),
            ("desk", keys.Role.INVESTIGATOR),
            ("registry", keys.Role.REGISTRAR),
        ):
            _, made[name] = await keys.create(graph, f"shared bench {name}", role, None)
        return codes, made
    finally:
        await graph.close()


async def _flood(ports: list[int], key: str, codes: list[str], seconds: float) -> dict[str, int]:
    """Requests from 16 connections, alternating between the workers, for ``seconds``."""
    counts = {"admitted": 0, "refused": 0, "failed": 0}
    rng = random.Random(3)
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + seconds

    async def one(port: int) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as c:
            while time.monotonic() < deadline:
                body = {"query": LOOKUP, "variables": {"u": rng.choice(codes)}}
                answer = await c.post("/graphql", json=body, timeout=30)
                if answer.status_code == 200:
                    counts["admitted"] += 1
                elif answer.status_code == 429:
                    counts["refused"] += 1
                else:
                    counts["failed"] += 1

    await asyncio.gather(*(one(ports[i % len(ports)]) for i in range(16)))
    return counts


async def _post(port: int, key: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        answer = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    body: dict[str, Any] = answer.json()
    if answer.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{query[:40]}: {answer.status_code} {answer.text[:300]}")
    data: dict[str, Any] = body["data"]
    return data


async def _subscriber(port: int, key: str, ready: asyncio.Event, count: list[int]) -> float:
    """One subscription; the moment its first RECORD_ADDED arrived."""
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
    ) as ws:
        await ws.send(
            orjson.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
            ).decode()
        )
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}).decode()
        )
        count[0] += 1
        if count[0] == 2 * SUBSCRIBERS:
            ready.set()
        while True:
            message = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=120))
            if message["type"] != "next":
                raise RuntimeError(f"subscription: {message}")
            event = message["payload"]["data"]["watchEvents"]
            if event["kind"] == "RECORD_ADDED":
                return time.perf_counter()


async def _fan_out(ports: list[int], made: dict[str, str], code: str) -> dict[str, Any]:
    company = (await _post(ports[0], made["desk"], ID, u=code))["company"]["id"]
    await _post(ports[0], made["desk"], WATCH, id=company)
    ready, count = asyncio.Event(), [0]
    subscribers = [
        asyncio.create_task(_subscriber(port, made["desk"], ready, count))
        for port in ports
        for _ in range(SUBSCRIBERS)
    ]
    try:
        await asyncio.wait_for(ready.wait(), timeout=120)
    except TimeoutError:
        failed = [t.exception() for t in subscribers if t.done() and t.exception()]
        for task in subscribers:
            task.cancel()
        raise RuntimeError(f"subscriptions did not all start: {failed[:1]}") from None
    await asyncio.sleep(1.0)  # the last subscriptions are with their hubs
    record = {
        "recordId": f"SHARED-BENCH-{time.time_ns()}",
        "subject": code,
        "authority": "北京市朝阳区人民法院",
        "caseNumber": "(2026)京0105执9999号",
        "category": "JUDICIAL",
        "code": "JUDGMENT_DEFAULT",
        "polarity": "WARNING",
        "severity": "SERIOUS",
        "decidedOn": "2026-11-01",
    }
    await _post(ports[0], made["registry"], ADD, input=record)
    written = time.perf_counter()
    arrived = await asyncio.gather(*subscribers)
    per_worker = [arrived[i * SUBSCRIBERS : (i + 1) * SUBSCRIBERS] for i in range(len(ports))]
    return {
        "worker_ms": [[round((t - written) * 1000, 1) for t in times] for times in per_worker],
    }


def _run_workers(settings: Any, env: dict[str, str], body: Any) -> Any:
    with serving(settings, env) as first, serving(settings, env) as second:
        return asyncio.run(body([first, second]))


def run(entities: int = 5_000, seconds: float = 20, seed: int = 1) -> list[Figure]:
    companies = int(entities * 0.4)
    spec = Spec(companies=companies, persons=entities - companies, seed=seed)
    with tempfile.TemporaryDirectory(prefix="credgraph-bench-shared-") as tmp:
        root = Path(tmp)
        generate(spec, root / "data")
        redis = RedisServer(root / "redis").start()
        try:
            with fresh_server(root / "graph", heap="2g", page_cache="1g") as settings:
                load_and_score(settings, root / "data")
                codes, made = asyncio.run(_setup(settings))
                env = {
                    "CREDGRAPH_RATE_LIMIT": str(LIMIT),
                    "CREDGRAPH_COST_LIMIT": "1000000000",
                    "CREDGRAPH_ALLOW_WRITES": "true",
                    # One key holds every subscription of the run.
                    "CREDGRAPH_WS_CONNECTIONS": str(SUBSCRIBERS),
                    "CREDGRAPH_WS_SUBSCRIPTIONS": str(SUBSCRIBERS),
                }
                shared = _run_workers(
                    settings,
                    env | {"CREDGRAPH_REDIS_URL": redis.url},
                    lambda ports: _measure(ports, made, codes, seconds),
                )
                redis.flush()
                alone = _run_workers(
                    settings, env, lambda ports: _flood(ports, made["desk"], codes, seconds)
                )
        finally:
            redis.stop()
    return _figures(shared, alone, seconds)


async def _measure(
    ports: list[int], made: dict[str, str], codes: list[str], seconds: float
) -> dict[str, Any]:
    flood = await _flood(ports, made["rate"], codes, seconds)
    fan = await _fan_out(ports, made, codes[0])
    return {"flood": flood, **fan}


def _figures(shared: dict[str, Any], alone: dict[str, int], seconds: float) -> list[Figure]:
    allowed = LIMIT * (seconds + 60) / 60  # a minute's worth, and what the window refills
    admitted = shared["flood"]["admitted"]
    firsts, lasts = (
        [min(ms) for ms in shared["worker_ms"]],
        [max(ms) for ms in shared["worker_ms"]],
    )
    every = [ms for times in shared["worker_ms"] for ms in times]
    return [
        Figure(
            f"shared limits: one key's requests admitted in {seconds:.0f} s by 2 workers "
            f"sharing Redis, limit {LIMIT} a minute (baseline: the same 2 workers without Redis)",
            admitted,
            "requests",
            baseline=alone["admitted"],
            ratio=admitted / alone["admitted"] if alone["admitted"] else None,
            goal=f"at most {LIMIT} a minute in total (≤ {allowed:.0f} over the run)",
            met=admitted <= allowed and not shared["flood"]["failed"],
            notes={"with_redis": shared["flood"], "without_redis": alone},
        ),
        Figure(
            f"shared events: a watch event reaches all {SUBSCRIBERS} subscribers on each of "
            "2 workers, after the write's answer, p99",
            percentile(every, 99),
            "ms",
            goal="reaches every subscriber on both workers",
            met=len(every) == 2 * SUBSCRIBERS,
            notes={
                "first_ms_per_worker": firsts,
                "last_ms_per_worker": lasts,
                "p50_ms": round(percentile(every, 50), 1),
            },
        ),
    ]


if __name__ == "__main__":
    from bench.harness import show

    with contextlib.suppress(KeyboardInterrupt):
        show(run())
