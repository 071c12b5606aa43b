"""``python -m bench.profile``: where the API's CPU goes for one of the peer benchmark's queries.

It builds the peer benchmark's graph (``bench.peer``: the same data, key and queries), serves
credgraph in its own process, warms it, then samples that process with py-spy while the same
load client drives it (32 clients for 20 s unless told otherwise). It prints the CPU time per
request split two ways: by the stage of the request each sample was in (the innermost stage on
its stack that it knows: parsing, the cost limit, the permission rules, the graph driver, ...),
and by the package of the innermost frame (graphql-core, strawberry, the neo4j driver, our own
code, ...). The flame graph is written beside, for speedscope.app.

    python -m bench.profile --query lookup --backend arcadedb
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import peer
from bench.harness import (
    BACKENDS,
    cpu_seconds,
    fresh_server,
    load_and_score,
    on_backend,
    serving_process,
)
from cli.shards import generate
from cli.synthetic import Spec

# The stages of a request, innermost wins: a sample in the driver under a permission rule counts
# for the driver. Each is (name, a test on one "function (file)" frame).
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("uvicorn: HTTP parsing and the event loop", ("uvicorn/", "asyncio/", "httptools")),
    ("starlette middleware (key, limits, timeout, headers)", ("api/middleware/", "starlette/")),
    ("strawberry view: request decoding and response", ("strawberry/http/", "strawberry/asgi/")),
    ("parse and validate (cached)", ("graphql/language/", "graphql/validation/", "ParserCache",
                                     "ValidationCache", "MaxTokensLimiter")),
    ("cost limit", ("api/cost.py",)),
    ("graphql-core execution", ("graphql/execution/",)),
    # Not under the middleware: a sample in a plan's walk counted for the middleware around it.
    ("compiled lookups (plan walk, arguments, direct answer)", ("api/compiled.py", "api/eager.py",
                                                               "api/direct.py", "api/arguments.py",
                                                               "api/plans.py")),
    ("strawberry field and type machinery", ("strawberry/types/", "strawberry/schema/",
                                             "strawberry/extensions/", "strawberry/relay/")),
    ("credgraph resolvers, loaders and look-ahead", ("api/types/", "api/resolvers/",
                                                     "api/loaders.py", "api/prefetch.py",
                                                     "api/queries.py", "usecases/")),
    ("permission rules and masking", ("api/permissions.py", "api/access.py")),
    ("read audit (entry, chain, appender)", ("api/read_audit.py", "graph/repositories/appender",
                                             "graph/repositories/audit", "scoring/chain")),
    ("neo4j driver (Bolt, packstream)", ("neo4j/",)),
    ("graph layer (statements, records)", ("graph/driver.py", "graph/repositories/")),
    ("JSON (orjson)", ("orjson",)),
]  # fmt: skip
PACKAGES = [
    ("graphql-core", "graphql/"),
    ("strawberry", "strawberry/"),
    ("neo4j driver", "neo4j/"),
    ("uvicorn", "uvicorn/"),
    ("starlette", "starlette/"),
    ("asyncio", "asyncio/"),
    ("credgraph api/", "api/"),
    ("credgraph graph/", "graph/"),
    ("credgraph usecases/", "usecases/"),
    ("credgraph scoring/", "scoring/"),
]


def classify(frames: list[str], rules: list[tuple[str, tuple[str, ...]]]) -> str:
    """The innermost stage named on the stack ``frames`` (outermost first)."""
    for frame in reversed(frames):
        for name, tests in rules:
            if any(test in frame for test in tests):
                return name
    return "other"


def package(frame: str) -> str:
    for name, test in PACKAGES:
        if f"/{test}" in frame or f"({test}" in frame:
            return name
    return "other (stdlib, C)"


def breakdown(collapsed: Path, requests: int, cpu_ms: float) -> dict[str, Any]:
    """py-spy's collapsed stacks as ms of CPU per request, by stage and by package."""
    stages: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        n = int(count)
        total += n
        stages[classify(frames, STAGES)] += n
        packages[package(frames[-1])] += n
    per_request = cpu_ms / max(requests, 1)

    def share(counter: collections.Counter[str]) -> dict[str, float]:
        return {k: round(per_request * n / total, 3) for k, n in counter.most_common()}

    return {
        "requests": requests,
        "cpu_ms_per_request": round(per_request, 3),
        "samples": total,
        "by_stage": share(stages) if total else {},
        "by_package": share(packages) if total else {},
    }


def summarise(found: dict[str, Any]) -> str:
    """``breakdown``'s figures as two tables of text."""
    if not found["samples"]:
        return "py-spy took no samples"
    lines = [
        f"{found['requests']} requests, {found['cpu_ms_per_request']:.2f} ms CPU each "
        f"({found['samples']} samples)",
        "",
    ]
    for title, key in (("by stage", "by_stage"), ("by package (innermost frame)", "by_package")):
        lines.append(f"{title:<56} ms/req   share")
        for name, ms in found[key].items():
            share = 100 * ms / found["cpu_ms_per_request"]
            lines.append(f"  {name:<54} {ms:6.3f}  {share:5.1f}%")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--query", choices=list(peer.OURS), default="lookup")
    parser.add_argument("--backend", choices=[str(b) for b in BACKENDS], default="arcadedb")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=Path("bench/profile"), help="output folder")
    args = parser.parse_args()
    backend = next(b for b in BACKENDS if str(b) == args.backend)
    with on_backend(backend), tempfile.TemporaryDirectory(prefix="credgraph-profile-") as tmp:
        root = Path(tmp)
        generate(Spec(companies=args.companies, persons=args.persons, seed=5), root / "data")
        with fresh_server(root / "graph") as settings:
            load_and_score(settings, root / "data")
            plan, key = asyncio.run(peer._plan(settings, 5))
            env = {"CREDGRAPH_RATE_LIMIT": "100000000", "CREDGRAPH_COST_LIMIT": "1000000000"}
            with serving_process(settings, env) as (port, api):
                server = peer.Server(
                    f"http://127.0.0.1:{port}/graphql",
                    {"authorization": f"Bearer {key}"},
                    peer.OURS,
                    api.pid,
                )
                found = sample(server, root, plan[args.query], args)
                print(f"credgraph {args.query} on {args.backend}, {args.clients} clients")
                print(summarise(found))


def sample(
    server: peer.Server, root: Path, variables: list[dict[str, str]], args: Any
) -> dict[str, Any]:
    """Warm ``server``, then sample it with py-spy while the load client drives it; the
    breakdown, whose summary is written beside the flame graph in ``args.out``."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    args.out.mkdir(parents=True, exist_ok=True)
    server.drive(root, args.query, variables, amount=500)
    stem = args.out / f"{args.backend}-{args.query}"
    collapsed = stem.with_suffix(".txt")
    record = [spy, "record", "--pid", str(server.pid), "--rate", "250", "--nonblocking"]
    record += ["--duration", str(int(args.duration)), "--format", "raw"]
    spying = subprocess.Popen([*record, "--output", str(collapsed)], stdout=subprocess.DEVNULL)
    cpu = cpu_seconds(server.pid)
    result = server.drive(root, args.query, variables, duration=args.duration, clients=args.clients)
    used = cpu_seconds(server.pid) - cpu
    spying.wait()
    found = breakdown(collapsed, len(result["latencies"]), 1000 * used)
    header = f"credgraph {args.query} on {args.backend}, {args.clients} clients\n"
    stem.with_suffix(".summary.txt").write_text(header + summarise(found))
    return found


if __name__ == "__main__":
    main()
