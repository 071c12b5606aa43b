"""The peer: credgraph beside @neo4j/graphql (Neo4j's own GraphQL library, on Apollo Server) on
the same graph server, the same data and the same load client.

The data is the issue's: ``credgraph generate --companies 2000 --persons 3000 --seed 5``, imported
and scored by credgraph. The peer's type definitions (``bench/neo4j-graphql/typedefs.mjs``) map
our labels directly; it runs from the npm lock file in that folder. Both servers are one process
each; the load client is autocannon (``bench/neo4j-graphql/load.mjs``), one keep-alive connection
a client, a closed loop. Three queries, each asked the same way of both: the lookup a relying
party makes (a company by USCC with its legal representative's name and its first 5 records), a
nested one (the company's shareholders, their holdings and each holding's first 3 records), and a
name search (ours ranked full-text; the peer's nearest equivalent is a ``contains`` filter).
The lookup is ours twice: as the issue asks it (the representative as a person, a read of a
person that a relying party's read entry records before the answer leaves, a second round trip
to the graph) and with the name the company itself gives (no person read, no entry), each beside
the peer's one lookup.

For every query and server: 2,000 requests one at a time, then 32 clients for 20 s, in rounds
that alternate which server goes first; the CPU time the server process used during the load
run, divided by the requests it answered; the server's peak resident memory at the end. Figures
are credgraph's with the peer's in the baseline column, the ratio credgraph / peer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    Figure,
    backend_in_use,
    cpu_seconds,
    free_port,
    fresh_server,
    load_and_score,
    peak_rss_mb,
    percentile,
    serving_process,
)
from cli.shards import generate
from cli.synthetic import Spec
from config.settings import Backend, Settings
from graph.driver import Graph
from graph.repositories import keys

PEER = Path(__file__).resolve().parent / "neo4j-graphql"
PEER_VERSION = "@neo4j/graphql 7.6.3"

_RECORDS_5 = "records(first: 5) { edges { node { recordId code decidedOn } } }"
_HOLDINGS = "holdings { company { name records(first: 3) { edges { node { recordId code } } } } }"
OURS = {
    "lookup": "query($u: String!) { company(uscc: $u) { uscc name legalRepresentative { name } "
    f"{_RECORDS_5} }} }}",
    "nested": "query($u: String!) { company(uscc: $u) { name shareholders { stake holder { "
    f"name ... on Company {{ {_HOLDINGS} }} ... on Person {{ {_HOLDINGS} }} }} }} }} }}",
    "search": "query($q: String!) { search(query: $q, kind: COMPANY, first: 10) { "
    "edges { node { entity { name } } } } }",
}
_PEER_RECORDS_5 = "records(limit: 5, sort: [{decidedOn: DESC}]) { recordId code decidedOn }"
_PEER_HOLDINGS = "holdings { name records(limit: 3, sort: [{decidedOn: DESC}]) { recordId code } }"
THEIRS = {
    "lookup": "query($u: String!) { companies(where: {uscc: {eq: $u}}) { uscc name "
    f"legalRepresentative {{ name }} {_PEER_RECORDS_5} }} }}",
    "nested": "query($u: String!) { companies(where: {uscc: {eq: $u}}) { name "
    "shareholdersConnection(sort: [{edge: {stake: DESC}}]) { edges { properties { stake } "
    f"node {{ ... on Company {{ name {_PEER_HOLDINGS} }} "
    f"... on Person {{ name {_PEER_HOLDINGS} }} }} }} }} }} }}",
    "search": "query($q: String!) { companies(where: {name: {contains: $q}}, limit: 10) { name } }",
}
# The lookup once more, with the representative's name as the company gives it
# (``legalRepresentativeName``, public as a registry shows it) instead of the person
# (``legalRepresentative { name }``): no person is read, so no read entry is appended before
# the answer. It answers what the peer's lookup answers; beside the audited lookup it shows
# what the audit's round trip costs. Reported, with the peer's lookup as its baseline.
NAME_ONLY = "lookup, the representative's name from the company (no person read, no entry)"
OURS[NAME_ONLY] = (
    "query($u: String!) { company(uscc: $u) { uscc name legalRepresentativeName "
    f"{_RECORDS_5} }} }}"
)
PEER_QUERY = {NAME_ONLY: "lookup"}  # the peer's query a variant of ours is compared with
# The floor of our own stack (``bench.bare``: uvicorn, Starlette, the driver, one statement, no
# GraphQL and none of our guarantees), for the lookup only.
BARE = {"lookup": OURS["lookup"]}
GOALS = ("lookup", "nested")  # the queries the goal applies to; search is reported only
WORKER_RSS_MB = 500  # an API worker's peak resident memory under the load (#16)

SHAREHELD = """
MATCH (c:Company)<-[:SHAREHOLDER_OF]-()
WITH DISTINCT c
RETURN c.uscc AS uscc, c.name AS name ORDER BY uscc
"""
ALL = "MATCH (c:Company) RETURN c.uscc AS uscc, c.name AS name ORDER BY uscc"


def run(
    companies: int = 2000,
    persons: int = 3000,
    seed: int = 5,
    rounds: int = 2,
    sequential: int = 2000,
    duration: float = 20,
    concurrency: int = 32,
) -> tuple[list[Figure], dict[str, Any]]:
    """Both servers on one loaded and scored graph, ``rounds`` alternating rounds."""
    spec = Spec(companies=companies, persons=persons, seed=seed)
    with tempfile.TemporaryDirectory(prefix="credgraph-bench-peer-") as tmp:
        root = Path(tmp)
        generate(spec, root / "data")
        with fresh_server(root / "graph") as settings:
            load_and_score(settings, root / "data")
            plan, key = asyncio.run(_plan(settings, seed))
            env = {"CREDGRAPH_RATE_LIMIT": "100000000", "CREDGRAPH_COST_LIMIT": "1000000000"}
            with (
                serving_process(settings, env) as (port, api),
                _peer(settings) as (peer_port, peer),
                _bare(settings) as (bare_port, bare),
            ):
                servers = {
                    "credgraph": Server(
                        f"http://127.0.0.1:{port}/graphql", {"authorization": f"Bearer {key}"},
                        OURS, api.pid,
                    ),
                    "peer": Server(f"http://127.0.0.1:{peer_port}/", {}, THEIRS, peer.pid),
                    "bare": Server(f"http://127.0.0.1:{bare_port}/graphql", {}, BARE, bare.pid),
                }  # fmt: skip
                for server in servers.values():  # warm all (the peer's JIT, our caches)
                    for query in server.queries:
                        server.drive(root, query, plan[query], amount=300)
                measured: dict[str, dict[str, list[dict[str, Any]]]] = {
                    name: {query: [] for query in server.queries}
                    for name, server in servers.items()
                }
                for round_ in range(rounds):
                    order = list(servers) if round_ % 2 == 0 else list(reversed(servers))
                    for query in OURS:
                        for name in order:
                            server = servers[name]
                            if query not in server.queries:
                                continue
                            alone = server.drive(root, query, plan[query], amount=sequential)
                            loaded = server.drive(
                                root, query, plan[query], duration=duration, clients=concurrency
                            )
                            measured[name][query].append({"alone": alone, "loaded": loaded})
                # Where credgraph's CPU goes: its lookup sampled with py-spy under the same load.
                from bench import profile

                where = profile.sample(
                    servers["credgraph"],
                    root,
                    plan["lookup"],
                    argparse.Namespace(
                        query="lookup",
                        backend=str(backend_in_use()),
                        duration=15,
                        clients=concurrency,
                        out=root / "profile",
                    ),
                )
                rss = {name: peak_rss_mb(server.pid) for name, server in servers.items()}
    figures = _figures(measured, rss, concurrency)
    extra = {
        "peer": PEER_VERSION,
        "entities": companies + persons,
        "rounds": rounds,
        "sequential": sequential,
        "duration": duration,
        "concurrency": concurrency,
        "profile": where,
    }
    return figures, extra


class Server:
    """One GraphQL server as the load client sees it."""

    def __init__(self, url: str, headers: dict[str, str], queries: dict[str, str], pid: int):
        self.url, self.headers, self.queries, self.pid = url, headers, queries, pid

    def drive(
        self,
        root: Path,
        query: str,
        variables: list[dict[str, str]],
        amount: int | None = None,
        duration: float | None = None,
        clients: int = 1,
    ) -> dict[str, Any]:
        """One run of the load client; its latencies, failures, seconds and our CPU time."""
        out = root / "run.json"
        job = {
            "url": self.url,
            "headers": self.headers,
            "query": self.queries[query],
            "variables": variables,
            "connections": clients,
            **({"amount": amount} if amount else {"duration": duration}),
            "out": str(out),
        }
        (root / "job.json").write_text(json.dumps(job, ensure_ascii=False))
        cpu = cpu_seconds(self.pid)
        subprocess.run(["node", str(PEER / "load.mjs"), str(root / "job.json")], check=True)
        result: dict[str, Any] = json.loads(out.read_text())
        result["cpu_s"] = cpu_seconds(self.pid) - cpu
        if result["failures"]:
            raise RuntimeError(f"{self.url} failed {query}: {result['failures'][:2]}")
        return result


async def _plan(settings: Settings, seed: int) -> tuple[dict[str, list[dict[str, str]]], str]:
    """What the clients ask for, the same of both servers: codes, codes of companies with
    shareholders, and name fragments; and a relying party's key for credgraph."""
    rng = random.Random(seed)
    graph = await Graph.connect(settings.graph_config())
    try:
        every = await graph.read(ALL, {})
        held = await graph.read(SHAREHELD, {})
        _, key = await keys.create(graph, "peer benchmark", keys.Role.RELYING_PARTY, None)
    finally:
        await graph.close()
    codes = [r["uscc"] for r in every]
    rng.shuffle(codes)
    nested = [r["uscc"] for r in held]
    rng.shuffle(nested)
    # The brand in the middle of a generated name (山西[东腾]物流有限公司).
    words = sorted({r["name"][2:4] for r in every if len(r["name"]) > 5})
    rng.shuffle(words)
    plan = {
        "lookup": [{"u": c} for c in codes],
        NAME_ONLY: [{"u": c} for c in codes],
        "nested": [{"u": c} for c in nested],
        "search": [{"q": w} for w in words[:500]],
    }
    return plan, key


@contextmanager
def _peer(settings: Settings) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The peer's server against the graph server of ``settings``, once it answers."""
    node = shutil.which("node")
    if node is None or not (PEER / "node_modules").is_dir():
        raise RuntimeError(
            "the peer needs Node.js and `make bench-peer` (npm ci in bench/neo4j-graphql)"
        )
    config = settings.graph_config()
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NODE_ENV": "production",
        "PEER_BOLT_URI": config.uri,
        "PEER_USER": config.user,
        "PEER_PASSWORD": config.password,
        "PEER_DATABASE": config.database,
        "PEER_PORT": str(port),
        # ArcadeDB refuses the `CYPHER 5` prefix the peer puts before every statement.
        "PEER_VERSION_PREFIX": "0" if backend_in_use() is Backend.ARCADEDB else "1",
    }
    with _answering(
        [node, str(PEER / "server.mjs")], env, PEER, f"http://127.0.0.1:{port}/",
        {"query": "{ __typename }"}, "the peer's server",
    ) as proc:  # fmt: skip
        yield port, proc


@contextmanager
def _bare(settings: Settings) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``bench.bare`` against the graph server of ``settings``, once it answers."""
    config = settings.graph_config()
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BARE_BOLT_URI": config.uri,
        "BARE_USER": config.user,
        "BARE_PASSWORD": config.password,
        "BARE_DATABASE": config.database,
    }
    command = [sys.executable, "-m", "uvicorn", "bench.bare:app", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    with _answering(
        command, env, Path(__file__).resolve().parent.parent,
        f"http://127.0.0.1:{port}/graphql", {"variables": {"u": "-"}}, "the bare server",
    ) as proc:  # fmt: skip
        yield port, proc


@contextmanager
def _answering(
    command: list[str], env: dict[str, str], cwd: Path, url: str, probe: Any, name: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` running, once a POST of ``probe`` to ``url`` answers 200; stopped after."""
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.post(url, json=probe, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{name} did not become ready")
        yield proc
    finally:
        proc.terminate()
        proc.wait(30)


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's figures for one query over all rounds."""
    alone = [v for r in runs for v in r["alone"]["latencies"]]
    loaded = [v for r in runs for v in r["loaded"]["latencies"]]
    per_s = [len(r["loaded"]["latencies"]) / r["loaded"]["seconds"] for r in runs]
    cpu = [1000 * r["loaded"]["cpu_s"] / len(r["loaded"]["latencies"]) for r in runs]
    return {
        "throughput": statistics.mean(per_s),
        "throughput_runs": [round(v, 1) for v in per_s],
        "p50": percentile(alone, 50),
        "p95": percentile(alone, 95),
        "p99": percentile(alone, 99),
        "load_p50": percentile(loaded, 50),
        "load_p95": percentile(loaded, 95),
        "load_p99": percentile(loaded, 99),
        "cpu_ms": statistics.mean(cpu),
        "cpu_runs": [round(v, 2) for v in cpu],
    }


def _rounded(value: Any) -> Any:
    return round(value, 2) if isinstance(value, float) else value


def _compare(
    query: str,
    label: str,
    ours: dict[str, Any],
    theirs: dict[str, Any],
    key: str,
    unit: str,
    higher_is_better: bool,
    notes: list[str],
) -> Figure:
    """credgraph's figure with the peer's as its baseline (and the goal where it applies)."""
    ratio = ours[key] / theirs[key] if theirs[key] else float("nan")
    goal = query in GOALS
    return Figure(
        f"{query}: {label}",
        ours[key],
        unit,
        baseline=theirs[key],
        ratio=ratio,
        goal=(f"{'at least' if higher_is_better else 'at most'} the peer's" if goal else None),
        met=((ratio >= 1 if higher_is_better else ratio <= 1) if goal else None),
        notes={
            **{k: _rounded(ours[k]) for k in notes},
            **{f"peer_{k}": _rounded(theirs[k]) for k in notes},
        },
    )


def _figures(
    measured: dict[str, dict[str, list[dict[str, Any]]]], rss: dict[str, float], clients: int
) -> list[Figure]:
    figures = []
    for query in OURS:
        ours = _summary(measured["credgraph"][query])
        theirs = _summary(measured["peer"][PEER_QUERY.get(query, query)])
        figures += [
            _compare(query, f"throughput at {clients} clients", ours, theirs, "throughput",
                     "req/s", True, ["throughput_runs"]),
            _compare(query, "sequential p50", ours, theirs, "p50", "ms", False, ["p95", "p99"]),
            _compare(query, f"p50 under {clients} clients", ours, theirs, "load_p50", "ms",
                     False, ["load_p95", "load_p99"]),
            _compare(query, f"server CPU per request under {clients} clients", ours, theirs,
                     "cpu_ms", "ms", False, ["cpu_runs"]),
        ]  # fmt: skip
    for query in BARE:
        bare, theirs = _summary(measured["bare"][query]), _summary(measured["peer"][query])
        for label, key, unit in (
            (f"throughput at {clients} clients", "throughput", "req/s"),
            ("sequential p50", "p50", "ms"),
            (f"server CPU per request under {clients} clients", "cpu_ms", "ms"),
        ):
            figures.append(
                Figure(
                    f"{query}, the bare stack (bench.bare: no GraphQL, rules or audit): {label}",
                    bare[key],
                    unit,
                    baseline=theirs[key],
                    ratio=bare[key] / theirs[key] if theirs[key] else float("nan"),
                )
            )
    figures.append(
        Figure(
            "server peak RSS (whole run)",
            rss["credgraph"],
            "MB",
            baseline=rss["peer"],
            ratio=rss["credgraph"] / rss["peer"],
            goal=f"< {WORKER_RSS_MB} MB",
            met=rss["credgraph"] < WORKER_RSS_MB,
        )
    )
    return figures
