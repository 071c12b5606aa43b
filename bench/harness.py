"""Throwaway graph servers, timing helpers and the results files shared by the benchmarks.

Every benchmark runs on the backend chosen with ``on_backend`` (``python -m bench --backend``):
the embedded ArcadeDB or the local Neo4j, each started fresh on free ports; a figure's results
file names its backend, so the report can set the two side by side.
"""

from __future__ import annotations

import json
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from config.settings import Backend, Settings

OUT = Path(__file__).resolve().parent / "out"
BACKENDS = (Backend.ARCADEDB, Backend.NEO4J)
_in_use: list[Backend] = [Backend.ARCADEDB]


@contextmanager
def on_backend(backend: Backend) -> Iterator[None]:
    """Run the benchmarks inside on ``backend``'s servers (and save their results as its)."""
    _in_use.append(backend)
    try:
        yield
    finally:
        _in_use.pop()


def backend_in_use() -> Backend:
    return _in_use[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_server(folder: Path, heap: str = "6g", page_cache: str = "6g") -> Iterator[Settings]:
    """A new server of the backend in use on free ports, and Settings pointing at it: sized
    alike, a heap for each (ArcadeDB caches in it) and for Neo4j a page cache as large, as its
    operations manual sizes one (the store's files in memory), not the 512 MiB of ``make run``."""
    settings = Settings(
        _env_file=None,
        neo4j_uri=None,
        backend=backend_in_use(),
        data_dir=folder,
        db_bolt_port=free_port(),
        db_http_port=free_port(),
        db_password="bench-secret-1",
        db_heap=heap,
        db_page_cache=page_cache,
        query_timeout=600,
    )
    server = settings.embedded_server()
    server.start()
    try:
        yield settings
    finally:
        server.stop()


@dataclass
class Figure:
    """One measured figure with its baseline, ratio and goal."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    goal: str | None = None
    met: bool | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values)


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def results_file(name: str, backend: Backend) -> Path:
    """Where a section's latest results on ``backend`` are kept."""
    return OUT / (f"{name}.json" if backend is Backend.ARCADEDB else f"{name}.{backend}.json")


def save(name: str, figures: list[Figure], extra: dict[str, Any]) -> Path:
    OUT.mkdir(exist_ok=True)
    backend = backend_in_use()
    path = results_file(name, backend)
    payload = {
        "backend": str(backend),
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **extra,
        "figures": [asdict(f) for f in figures],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    return path


def show(figures: list[Figure]) -> None:
    for f in figures:
        base = f" | baseline {f.baseline:,.2f}" if f.baseline is not None else ""
        ratio = f" | ratio {f.ratio:.2f}" if f.ratio is not None else ""
        goal = f" | goal {f.goal}: {'met' if f.met else 'NOT met'}" if f.goal else ""
        print(f"{f.name}: {f.value:,.2f} {f.unit}{base}{ratio}{goal}")
        if f.notes:
            print("    " + ", ".join(f"{k}={v}" for k, v in f.notes.items()))


@contextmanager
def serving(settings: Settings, extra_env: dict[str, str] | None = None) -> Iterator[int]:
    """``credgraph serve`` in a process of its own against the server of ``settings``, as
    deployed (production: no GraphiQL, no access log); yields its port once it is ready."""
    with serving_process(settings, extra_env) as (port, _):
        yield port


def graph_env(settings: Settings) -> dict[str, str]:
    """The environment that points a credgraph process of the benchmark at its graph server."""
    config = settings.graph_config()
    return {
        "NEO4J_URI": config.uri,
        "NEO4J_USER": config.user,
        "NEO4J_PASSWORD": config.password,
        "NEO4J_DATABASE": config.database,
        "CREDGRAPH_GRAPH_DIALECT": str(config.dialect),
        **({"CREDGRAPH_ARCADEDB_HTTP_URL": config.http_url} if config.http_url else {}),
    }


@contextmanager
def serving_process(
    settings: Settings, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """As ``serving``, yielding the port and the API's process (for its CPU time and memory)."""
    import httpx

    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "CREDGRAPH_ENV": "production",
        "CREDGRAPH_ALLOW_WRITES": "false",
        **graph_env(settings),
        **(extra_env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("credgraph serve did not become ready")
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(30)


def load_and_score(settings: Settings, folder: Path) -> None:
    """Migrate, import the generated ``folder`` and score everything, as ``make run`` would."""
    import asyncio
    from datetime import date

    from rich.console import Console
    from rich.progress import Progress

    from cli.score_command import score_all
    from graph.driver import Graph
    from graph.migrate import apply_migrations, load_migrations
    from ingest.importer import Importer
    from ingest.readers import expand_paths
    from scoring.scheme import load_schemes

    async def load() -> None:
        graph = await Graph.connect(settings.graph_config())
        try:
            await apply_migrations(graph, load_migrations(settings.migrations_dir))
            await Importer(graph).run(expand_paths([folder]))
        finally:
            await graph.close()

    asyncio.run(load())
    with Progress(console=Console(quiet=True)) as progress:
        asyncio.run(
            score_all(
                settings.graph_config(), load_schemes(settings.schemes_dir), date.today(), progress
            )
        )


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process ``pid`` has used so far (all its threads)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The most resident memory the process ``pid`` has held so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")
