"""Investigation benchmarks: ``riskPaths`` (at most 4 hops) and ``linkage`` (2 hops, limit 200)
over HTTP against ``credgraph serve``, each beside bare Cypher through the driver, interleaved.

Two baselines per query, both in the same run and on the same warm server:
- "statements": the Cypher the resolver sends (one statement per hop and label, then the
  entities and their standings), sent through the bare neo4j driver: what the API adds on top.
- "one statement": what a user would write by hand, a single variable-length pattern
  (``MATCH p = (a)-[*1..4]-(b) ... ORDER BY length(p) LIMIT 5``; ``(a)-[*1..2]-(n) ... LIMIT 200``).

Pairs for ``riskPaths`` are what investigators ask about: three in four are entities 3 to 4 links
apart (found by a walk from a random company), one in four is two random companies (usually no
path: the search must rule out every route).
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import random
import tempfile
import time
from pathlib import Path
from typing import Any, LiteralString

import orjson
from neo4j import AsyncGraphDatabase

from bench.harness import Figure, fresh_server, load_and_score, median, percentile, serving
from cli.shards import generate
from cli.synthetic import Spec, company_code
from config.settings import Settings
from graph import traversal
from graph.driver import Graph
from graph.identifiers import IdentifierError, parse_uscc
from graph.models import EntityKind, RelType
from graph.repositories import keys, network
from graph.traversal import simple_paths

RELS = "LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF"
ONE_PATHS: dict[tuple[EntityKind, EntityKind], LiteralString] = {}
_ANCHORS: dict[EntityKind, tuple[LiteralString, LiteralString]] = {
    EntityKind.COMPANY: ("MATCH (a:Company {uscc: $a}) ", "MATCH (b:Company {uscc: $b}) "),
    EntityKind.PERSON: ("MATCH (a:Person {idNumber: $a}) ", "MATCH (b:Person {idNumber: $b}) "),
}
for _ka in EntityKind:
    for _kb in EntityKind:
        ONE_PATHS[_ka, _kb] = (
            _ANCHORS[_ka][0]
            + _ANCHORS[_kb][1]
            + "MATCH p = (a)-[:"
            + RELS
            + "*1..4]-(b) RETURN p ORDER BY length(p) LIMIT 5"
        )
ONE_LINKAGE: dict[EntityKind, LiteralString] = {
    EntityKind.COMPANY: "MATCH (a:Company {uscc: $a})-[:"
    + RELS
    + "*1..2]-(n) WITH DISTINCT n LIMIT 200 RETURN properties(n) AS props",
    EntityKind.PERSON: "MATCH (a:Person {idNumber: $a})-[:"
    + RELS
    + "*1..2]-(n) WITH DISTINCT n LIMIT 200 RETURN properties(n) AS props",
}
STANDINGS = """
UNWIND $keys AS key
MATCH (s:ScoreSnapshot {subjectScheme: key}) WHERE s.latest
RETURN key, s.value AS value, s.level AS level
"""
ENTITIES = """
UNWIND $keys AS key
OPTIONAL MATCH (p:Person {idNumber: key})
OPTIONAL MATCH (c:Company {uscc: key})
RETURN key, properties(p) AS person, properties(c) AS company
"""
PERSON_UID = "UNWIND $keys AS key MATCH (p:Person {idNumber: key}) RETURN key, p.uid AS uid"

PATHS_QUERY = """query($a: ID!, $b: ID!) { riskPaths(from: $a, to: $b, maxHops: 4, first: 5) {
  length risk nodes { id hops standing { level value } entity { name } }
  edges { type direction relationship { startId endId stake role } } } }"""
LINKAGE_QUERY = """query($a: ID!) { linkage(id: $a, hops: 2, limit: 200) {
  truncated nodes { id hops standing { level value } entity { name } }
  edges { type startId endId stake role } hubs { id } } }"""
ONE_STATEMENT_TIMEOUT = 10.0


def _global_id(kind: EntityKind, key: str) -> str:
    return base64.b64encode(f"{kind.value}:{key}".encode()).decode()


async def _pick(
    graph: Graph, spec: Spec, samples: int, rng: random.Random
) -> tuple[list[tuple[str, EntityKind, str, EntityKind]], list[tuple[str, EntityKind]]]:
    """Pairs for riskPaths and roots for linkage."""
    pairs: list[tuple[str, EntityKind, str, EntityKind]] = []
    roots: list[tuple[str, EntityKind]] = []

    def company() -> str:
        while True:
            code = company_code(spec, rng.randrange(spec.companies))
            try:
                return parse_uscc(code).code
            except IdentifierError:
                continue

    while len(pairs) < samples:
        start = company()
        if len(pairs) % 4 == 3:
            pairs.append((start, EntityKind.COMPANY, company(), EntityKind.COMPANY))
            continue
        read = network.neighbour_reader(graph, list(RelType))
        ball = await traversal.ball(read, start, EntityKind.COMPANY, 4, 20_000)
        far = [k for k, d in ball.distance.items() if d >= 3]
        if far:
            end = rng.choice(sorted(far))
            pairs.append((start, EntityKind.COMPANY, end, ball.kinds[end]))
        roots.append((start, EntityKind.COMPANY))
        near = [
            k for k, d in ball.distance.items() if d == 1 and ball.kinds[k] is EntityKind.PERSON
        ]
        if near:
            roots.append((rng.choice(sorted(near)), EntityKind.PERSON))
    return pairs, roots[:samples]


async def _ids(graph: Graph, keys: list[tuple[str, EntityKind]]) -> dict[str, str]:
    persons = [k for k, kind in keys if kind is EntityKind.PERSON]
    uids = {r["key"]: r["uid"] for r in await graph.read(PERSON_UID, {"keys": persons})}
    return {
        k: _global_id(kind, uids[k] if kind is EntityKind.PERSON else k)
        for k, kind in keys
        if kind is EntityKind.COMPANY or k in uids
    }


async def _statements_paths(graph: Graph, a: str, ka: EntityKind, b: str, kb: EntityKind) -> None:
    """The graph work of riskPaths, as the resolver does it, without HTTP or GraphQL."""
    read = network.neighbour_reader(graph, list(RelType))
    side_a = await traversal.ball(read, a, ka, 2, 20_000)
    side_b = await traversal.ball(read, b, kb, 2, 20_000)
    adjacency: dict[str, list[traversal.Link]] = {}
    for side in (side_a, side_b):
        for key, links in side.adjacency.items():
            adjacency.setdefault(key, []).extend(links)
    paths = simple_paths(adjacency, a, b, 4, lambda k: side_b.distance.get(k, 3), 500)
    keys = list({k for path in paths for link in path for k in (link.key, link.other)})
    await graph.read(ENTITIES, {"keys": keys})
    await graph.read(STANDINGS, {"keys": [f"{k}|enterprise" for k in keys]})


async def _statements_linkage(graph: Graph, a: str, kind: EntityKind) -> None:
    read = network.neighbour_reader(graph, list(RelType))
    sub = await traversal.linkage(read, a, kind, 2, 200, 50)
    await graph.read(ENTITIES, {"keys": list(sub.kinds)})
    await graph.read(STANDINGS, {"keys": [f"{k}|enterprise" for k in sub.kinds]})


def measure(settings: Settings, spec: Spec, samples: int, seed: int = 1) -> list[Figure]:
    """Both queries over HTTP and their two baselines, interleaved, on a loaded, scored graph."""
    rng = random.Random(seed)
    config = settings.graph_config()

    async def prepare() -> tuple[list[Any], list[Any], dict[str, str]]:
        graph = await Graph.connect(config)
        try:
            pairs, roots = await _pick(graph, spec, samples, rng)
            wanted = [(a, ka) for a, ka, _, _ in pairs] + [(b, kb) for _, _, b, kb in pairs]
            ids = await _ids(graph, wanted + roots)
            _, key = await keys.create(graph, "bench", keys.Role.INVESTIGATOR, None)
            ids["__key__"] = key
            return pairs, roots, ids
        finally:
            await graph.close()

    pairs, roots, ids = asyncio.run(prepare())
    times: dict[str, list[float]] = {
        k: []
        for k in (
            "paths_http",
            "paths_statements",
            "paths_one",
            "linkage_http",
            "linkage_statements",
            "linkage_one",
        )
    }
    found = {"paths": 0, "empty": 0, "one_timeouts": 0, "linkage_nodes": 0}
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {ids['__key__']}"}

    async def run(port: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        graph = await Graph.connect(config)
        driver = AsyncGraphDatabase.driver(config.uri, auth=config.auth)

        def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            payload = orjson.dumps({"query": query, "variables": variables})
            connection.request("POST", "/graphql", body=payload, headers=headers)
            body = orjson.loads(connection.getresponse().read())
            assert "errors" not in body, body
            data: dict[str, Any] = body["data"]
            return data

        async def one(query: LiteralString, params: dict[str, Any]) -> float:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(ONE_STATEMENT_TIMEOUT):
                    await driver.execute_query(query, params, database_=config.database)
            except TimeoutError:
                found["one_timeouts"] += 1
                return ONE_STATEMENT_TIMEOUT * 1000
            return (time.perf_counter() - started) * 1000

        try:
            warm = 10
            for i, (a, ka, b, kb) in enumerate(pairs):
                if a not in ids or b not in ids:
                    continue
                started = time.perf_counter()
                data = post(PATHS_QUERY, {"a": ids[a], "b": ids[b]})
                http_ms = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                await _statements_paths(graph, a, ka, b, kb)
                statements_ms = (time.perf_counter() - started) * 1000
                one_ms = await one(ONE_PATHS[ka, kb], {"a": a, "b": b})
                if i >= warm:
                    times["paths_http"].append(http_ms)
                    times["paths_statements"].append(statements_ms)
                    times["paths_one"].append(one_ms)
                    found["paths" if data["riskPaths"] else "empty"] += 1
            for i, (a, kind) in enumerate(roots):
                if a not in ids:
                    continue
                started = time.perf_counter()
                data = post(LINKAGE_QUERY, {"a": ids[a]})
                http_ms = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                await _statements_linkage(graph, a, kind)
                statements_ms = (time.perf_counter() - started) * 1000
                one_ms = await one(ONE_LINKAGE[kind], {"a": a})
                if i >= warm:
                    times["linkage_http"].append(http_ms)
                    times["linkage_statements"].append(statements_ms)
                    times["linkage_one"].append(one_ms)
                    found["linkage_nodes"] += len(data["linkage"]["nodes"])
        finally:
            connection.close()
            await graph.close()
            await driver.close()

    unlimited = {"CREDGRAPH_RATE_LIMIT": "100000000", "CREDGRAPH_COST_LIMIT": "1000000000"}
    with serving(settings, unlimited) as port:
        asyncio.run(run(port))
    figures = []
    for name, label, goal in (
        ("paths", "riskPaths (maxHops 4) over HTTP", 300.0),
        ("linkage", "linkage (2 hops, limit 200) over HTTP", 200.0),
    ):
        ours, statements, single = (times[f"{name}_{k}"] for k in ("http", "statements", "one"))
        p95 = percentile(ours, 95)
        figures.append(
            Figure(
                f"{label}, p95",
                p95,
                "ms",
                baseline=percentile(statements, 95),
                ratio=p95 / percentile(statements, 95),
                goal=f"p95 < {goal:.0f} ms",
                met=p95 < goal,
                notes={
                    "samples": len(ours),
                    "median_ms": round(median(ours), 2),
                    "p99_ms": round(percentile(ours, 99), 2),
                    "baseline": "the resolver's statements through the bare driver",
                    "statements_median_ms": round(median(statements), 2),
                    "one_statement_p95_ms": round(percentile(single, 95), 2),
                    "one_statement_median_ms": round(median(single), 2),
                    "ratio_to_one_statement_p95": round(p95 / percentile(single, 95), 3),
                    **(
                        {"with_paths": found["paths"], "without": found["empty"]}
                        if name == "paths"
                        else {"mean_nodes": round(found["linkage_nodes"] / max(len(ours), 1), 1)}
                    ),
                    "one_statement_timeouts": found["one_timeouts"],
                },
            )
        )
    return figures


def run(entities: int, samples: int = 200, seed: int = 1) -> list[Figure]:
    """Generate, import and score ``entities``, then ``measure``."""
    companies = int(entities * 0.4)
    spec = Spec(companies=companies, persons=entities - companies, seed=seed)
    with tempfile.TemporaryDirectory(prefix="credgraph-bench-investigation-") as tmp:
        root = Path(tmp)
        generate(spec, root / "data")
        with fresh_server(root / "graph") as settings:
            load_and_score(settings, root / "data")
            return measure(settings, spec, samples, seed)
