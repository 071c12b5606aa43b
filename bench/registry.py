"""Registry benchmarks: bulk import against a bare UNWIND, and an HTTP lookup against bare Cypher.

1. Import rate: a generated set is imported by ``ingest.importer`` into a fresh server, and the
   same rows are written by the simplest ``UNWIND ... MERGE`` statements through the bare driver
   into another fresh server (no checks, no counts, no rejects); the two take turns, twice, and
   the best of each counts. Goal: at least 0.8 of it.
2. Lookup: ``company(uscc:)`` over HTTP against ``credgraph serve``, and the Cypher it runs sent
   through the bare driver, both sequential on a warm server. Goal: median at most 1.5x.
"""

from __future__ import annotations

import asyncio
import http.client
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from neo4j import AsyncGraphDatabase

from bench.harness import Figure, Timer, fresh_server, median, percentile, serving
from cli.shards import generate
from cli.synthetic import Spec
from config.settings import Settings
from graph.driver import Graph
from graph.migrate import apply_migrations, load_migrations
from graph.repositories.entities import COMPANIES_BY_USCC
from ingest.importer import Importer
from ingest.readers import expand_paths

BATCH = 5000
IMPORT_ROUNDS = 2

BARE_COMPANIES = """UNWIND $rows AS row MERGE (c:Company {uscc: row.uscc}) SET c += row.props"""
BARE_PERSONS = (
    """UNWIND $rows AS row MERGE (p:Person {idNumber: row.id_number}) SET p += row.props"""
)
BARE_LINK_PERSON = {
    "LEGAL_REPRESENTATIVE_OF": """UNWIND $rows AS row MATCH (a:Person {idNumber: row.from})
MATCH (b:Company {uscc: row.to}) MERGE (a)-[r:LEGAL_REPRESENTATIVE_OF]->(b) SET r += row.props""",
    "OFFICER_OF": """UNWIND $rows AS row MATCH (a:Person {idNumber: row.from})
MATCH (b:Company {uscc: row.to}) MERGE (a)-[r:OFFICER_OF {role: row.role}]->(b) SET r += row.props""",
    "SHAREHOLDER_OF": """UNWIND $rows AS row MATCH (a:Person {idNumber: row.from})
MATCH (b:Company {uscc: row.to}) MERGE (a)-[r:SHAREHOLDER_OF]->(b) SET r += row.props""",
}
BARE_LINK_COMPANY = {
    "SHAREHOLDER_OF": """UNWIND $rows AS row MATCH (a:Company {uscc: row.from})
MATCH (b:Company {uscc: row.to}) MERGE (a)-[r:SHAREHOLDER_OF]->(b) SET r += row.props""",
    "BRANCH_OF": """UNWIND $rows AS row MATCH (a:Company {uscc: row.from})
MATCH (b:Company {uscc: row.to}) MERGE (a)-[r:BRANCH_OF]->(b) SET r += row.props""",
}
BARE_RECORDS = {
    "P": """UNWIND $rows AS row MATCH (s:Person {idNumber: row.subject})
MERGE (r:Record {recordId: row.record_id}) SET r += row.props
MERGE (r)-[:CONCERNS]->(s) MERGE (a:Authority {name: row.authority}) MERGE (r)-[:ISSUED_BY]->(a)""",
    "C": """UNWIND $rows AS row MATCH (s:Company {uscc: row.subject})
MERGE (r:Record {recordId: row.record_id}) SET r += row.props
MERGE (r)-[:CONCERNS]->(s) MERGE (a:Authority {name: row.authority}) MERGE (r)-[:ISSUED_BY]->(a)""",
}
KEYS = {
    "type",
    "uscc",
    "id_number",
    "from",
    "to",
    "rel",
    "role",
    "subject",
    "record_id",
    "authority",
}


async def _migrate(settings: Settings) -> Graph:
    graph = await Graph.connect(settings.graph_config())
    await apply_migrations(graph, load_migrations(settings.migrations_dir))
    return graph


async def import_with_credgraph(settings: Settings, files: list[Path]) -> tuple[float, int]:
    graph = await _migrate(settings)
    try:
        with Timer() as t:
            report = await Importer(graph, batch_size=BATCH).run(files)
        written = sum(c.created + c.updated + c.unchanged for c in report.counts.values())
        return t.seconds, written
    finally:
        await graph.close()


async def import_bare(settings: Settings, files: list[Path]) -> tuple[float, int]:
    graph = await _migrate(settings)
    await graph.close()
    config = settings.graph_config()
    driver = AsyncGraphDatabase.driver(config.uri, auth=config.auth)
    sent = 0

    async def flush(query: str, rows: list[dict[str, Any]]) -> None:
        nonlocal sent
        if rows:
            await driver.execute_query(query, {"rows": rows}, database_=config.database)
            sent += len(rows)

    try:
        with Timer() as t:
            for wanted in (("company", "person"), ("link", "record")):
                groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
                queries: dict[str, str] = {}
                for path in files:
                    with path.open("rb") as handle:
                        for line in handle:
                            row = orjson.loads(line)
                            kind = row["type"]
                            if kind not in wanted:
                                continue
                            row["props"] = {k: v for k, v in row.items() if k not in KEYS}
                            if kind == "company":
                                group, query = "c", BARE_COMPANIES
                            elif kind == "person":
                                group, query = "p", BARE_PERSONS
                            elif kind == "record":
                                group = "r" + row["record_id"][0]
                                query = BARE_RECORDS[row["record_id"][0]]
                            else:
                                # A cheap guess of the start's label; good enough for a baseline.
                                person = (
                                    row["rel"] in BARE_LINK_PERSON and row["from"][:17].isdigit()
                                )
                                table = BARE_LINK_PERSON if person else BARE_LINK_COMPANY
                                group = ("lp" if person else "lc") + row["rel"]
                                query = table[row["rel"]]
                            groups[group].append(row)
                            queries[group] = query
                            if len(groups[group]) >= BATCH:
                                await flush(query, groups.pop(group))
                for group, rows in groups.items():
                    await flush(queries[group], rows)
        return t.seconds, sent
    finally:
        await driver.close()


def lookup_latencies(settings: Settings, codes: list[str], rounds: int) -> dict[str, list[float]]:
    """``company(uscc:)`` over HTTP and the same Cypher through the bare driver, alternating.

    The two kinds of request take turns, one at a time, so both see the same machine: on two
    cores shared by the client, the API and the graph server, separate runs differ by more than
    the overhead being measured.
    """
    config = settings.graph_config()
    query = "query($u: String!) { company(uscc: $u) { uscc name status foundedOn } }"
    headers = {"Content-Type": "application/json"}

    async def measure(port: int) -> dict[str, list[float]]:
        # A lean keep-alive client, so that the figure is the server's time, not a client's.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        driver = AsyncGraphDatabase.driver(config.uri, auth=config.auth)
        times: dict[str, list[float]] = {"http": [], "bare": []}
        try:
            for i in range(rounds):
                code = codes[i % len(codes)]
                payload = orjson.dumps({"query": query, "variables": {"u": code}})
                started = time.perf_counter()
                connection.request("POST", "/graphql", body=payload, headers=headers)
                body = connection.getresponse().read()
                over_http = time.perf_counter() - started
                assert orjson.loads(body)["data"]["company"]["uscc"] == code
                started = time.perf_counter()
                result = await driver.execute_query(
                    COMPANIES_BY_USCC, {"keys": [code]}, database_=config.database
                )
                bare = time.perf_counter() - started
                assert result.records[0]["key"] == code
                if i >= 100:  # warm-up
                    times["http"].append(over_http * 1000)
                    times["bare"].append(bare * 1000)
        finally:
            connection.close()
            await driver.close()
        return times

    # A public caller (no key), as a lookup site is; the per-address limit (120 a minute) is
    # lifted so the figure is the request's time, not the limiter's refusals.
    unlimited = {
        "CREDGRAPH_PUBLIC_RATE_LIMIT": "100000000",
        "CREDGRAPH_PUBLIC_COST_LIMIT": "1000000000",
    }
    with serving(settings, unlimited) as port:
        return asyncio.run(measure(port))


def run(entities: int, seed: int = 1) -> tuple[list[Figure], dict[str, Any]]:
    companies = int(entities * 0.4)
    spec = Spec(companies=companies, persons=entities - companies, seed=seed)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="credgraph-bench-") as tmp:
        root = Path(tmp)
        with Timer() as gen:
            totals = generate(spec, root / "data")
        rows = sum(totals.values())
        figures.append(
            Figure(
                "generate",
                rows / gen.seconds,
                "rows/s",
                notes={"rows": rows, "seconds": round(gen.seconds, 2), **totals},
            )
        )
        files = expand_paths([root / "data"])
        # Each import into a fresh server, the two kinds taking turns, best of IMPORT_ROUNDS
        # each: on this machine one run of either differs from the next by 10-20 %.
        bare_runs: list[float] = []
        ours_runs: list[float] = []
        for turn in range(IMPORT_ROUNDS):
            with fresh_server(root / f"bare-{turn}") as settings:
                bare_seconds, bare_rows = asyncio.run(import_bare(settings, files))
                bare_runs.append(bare_seconds)
            shutil.rmtree(root / f"bare-{turn}", ignore_errors=True)
            if turn < IMPORT_ROUNDS - 1:
                with fresh_server(root / f"ours-{turn}") as settings:
                    ours_runs.append(asyncio.run(import_with_credgraph(settings, files))[0])
                shutil.rmtree(root / f"ours-{turn}", ignore_errors=True)
        with fresh_server(root / "ours") as settings:  # the lookups run against this one
            ours_seconds, ours_rows = asyncio.run(import_with_credgraph(settings, files))
            ours_runs.append(ours_seconds)
            ours_seconds, bare_seconds = min(ours_runs), min(bare_runs)
            ours_rate, bare_rate = ours_rows / ours_seconds, bare_rows / bare_seconds
            figures.append(
                Figure(
                    "import",
                    ours_rate,
                    "rows/s",
                    baseline=bare_rate,
                    ratio=ours_rate / bare_rate,
                    goal=">= 0.8 of bare UNWIND",
                    met=ours_rate / bare_rate >= 0.8,
                    notes={
                        "rows": ours_rows,
                        "seconds": round(ours_seconds, 2),
                        "bare_rows": bare_rows,
                        "bare_seconds": round(bare_seconds, 2),
                        "runs_s": [round(x, 1) for x in ours_runs],
                        "bare_runs_s": [round(x, 1) for x in bare_runs],
                    },
                )
            )
            rng = random.Random(seed)
            codes = [c for c in (_code(spec, rng.randrange(companies)) for _ in range(200)) if c]
            lat = lookup_latencies(settings, codes, rounds=1050)
            http_median, bare_median = median(lat["http"]), median(lat["bare"])
            figures.append(
                Figure(
                    "company lookup over HTTP (median)",
                    http_median,
                    "ms",
                    baseline=bare_median,
                    ratio=http_median / bare_median,
                    goal="<= 1.5x bare Cypher",
                    met=http_median / bare_median <= 1.5,
                    notes={
                        "http_p95": percentile(lat["http"], 95),
                        "bare_p95": percentile(lat["bare"], 95),
                        "requests": len(lat["http"]),
                    },
                )
            )
    return figures, {"entities": entities, "seed": seed}


_GENERATE_MILLION = """
import resource, sys, time
from pathlib import Path
from cli.synthetic import Spec
from cli.shards import generate
started = time.perf_counter()
totals = generate(Spec(companies=400_000, persons=600_000, seed=int(sys.argv[2])), Path(sys.argv[1]))
seconds = time.perf_counter() - started
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(seconds, peak, sum(totals.values()), totals["links"], totals["records"])
"""


def generate_million(seed: int = 1) -> Figure:
    """One million entities with their links and records, in a process of its own so that its
    peak memory (the largest of it and its workers) is its own."""
    with tempfile.TemporaryDirectory(prefix="credgraph-gen-") as tmp:
        out = subprocess.run(
            [sys.executable, "-c", _GENERATE_MILLION, tmp, str(seed)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    seconds, peak_kib, rows, links, records = float(out[0]), int(out[1]), *map(int, out[2:])
    return Figure(
        "generate 1M entities",
        seconds,
        "s",
        goal="< 120 s",
        met=seconds < 120,
        notes={"rows": rows, "links": links, "records": records, "peak_rss_mib": peak_kib // 1024},
    )


def _code(spec: Spec, i: int) -> str | None:
    from cli.synthetic import company_code
    from graph.identifiers import parse_uscc

    code = company_code(spec, i)
    return code if parse_uscc(code) else None
