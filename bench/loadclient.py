"""``python -m bench.loadclient``: the load generator, run as a process of its own.

``concurrency`` clients on one event loop, each with its own keep-alive HTTP/1.1 connection,
send a mix of lookups, searches, scores and paths for ``duration`` seconds, one request at a
time each (a closed loop: the next request leaves when the answer is in). Writes every latency
and every failure as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from pathlib import Path
from typing import Any

import orjson

KINDS = ("lookup", "search", "score", "paths")
WEIGHTS = (0.4, 0.25, 0.2, 0.15)
QUERIES = {
    "lookup": "query($u: String!) { company(uscc: $u) { uscc name status "
    "legalRepresentative { name } } }",
    "search": "query($q: String!) { search(query: $q, first: 10) { totalCount "
    "edges { node { entity { name } } } } }",
    "score": "query($u: String!) { company(uscc: $u) { score { value level blacklisted "
    "contributions(first: 10) { totalCount } } } }",
    "paths": "query($a: ID!, $b: ID!) { riskPaths(from: $a, to: $b, maxHops: 4, first: 3) "
    "{ length risk nodes { id } } }",
}


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, body: bytes, key: str
) -> tuple[int, bytes]:
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    writer.write(head + body)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length)


async def client(
    host: str,
    port: int,
    key: str,
    plan: dict[str, Any],
    stop_at: float,
    seed: int,
    out: dict[str, Any],
) -> None:
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < stop_at:
            kind = rng.choices(KINDS, WEIGHTS)[0]
            if kind in ("lookup", "score"):
                variables: dict[str, Any] = {"u": rng.choice(plan["codes"])}
            elif kind == "search":
                variables = {"q": rng.choice(plan["words"])}
            else:
                a, b = rng.choice(plan["pairs"])
                variables = {"a": a, "b": b}
            body = orjson.dumps({"query": QUERIES[kind], "variables": variables})
            started = time.perf_counter()
            try:
                status, answer = await _request(reader, writer, host, body, key)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                out["failures"].append({"kind": kind, "error": repr(exc)})
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            took = (time.perf_counter() - started) * 1000
            parsed = orjson.loads(answer) if answer else {}
            if status != 200 or parsed.get("errors"):
                out["failures"].append(
                    {
                        "kind": kind,
                        "status": status,
                        "errors": parsed.get("errors", answer[:200].decode(errors="replace")),
                    }
                )
            else:
                out["latencies"][kind].append(took)
    finally:
        writer.close()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    plan = orjson.loads(Path(args.plan).read_bytes())
    out: dict[str, Any] = {"latencies": {k: [] for k in KINDS}, "failures": []}
    started = time.monotonic()
    stop_at = started + args.duration
    await asyncio.gather(
        *(
            client(args.host, args.port, args.key, plan, stop_at, i, out)
            for i in range(args.concurrency)
        )
    )
    out["seconds"] = time.monotonic() - started
    out["concurrency"] = args.concurrency
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.loadclient", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--plan", required=True, help="JSON: codes, words, pairs")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    Path(arguments.out).write_bytes(orjson.dumps(asyncio.run(main(arguments))))
