"""The ``credgraph`` command end to end, as a user runs it: real processes, real HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.local import LocalServer
from tests.conftest import free_port
from tests.factories import wait_until_ready

CREDGRAPH = [sys.executable, "-m", "cli.main"]


def env_for(server: LocalServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CREDGRAPH_"))}
    env.update(
        CREDGRAPH_DATA_DIR=str(server.config.data_dir),
        CREDGRAPH_DB_BOLT_PORT=str(server.config.bolt_port),
        CREDGRAPH_DB_HTTP_PORT=str(server.config.http_port),
        CREDGRAPH_DB_PASSWORD=server.config.password or "",
        CREDGRAPH_DB_HEAP="1g",
        CREDGRAPH_BACKEND=server.backend,
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        CREDGRAPH + args, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_cli_help_describes_every_command() -> None:
    env = dict(os.environ)
    top = run(["--help"], env)
    assert top.returncode == 0
    for command in ("serve", "migrate", "db"):
        assert command in top.stdout
    for sub in (["serve"], ["migrate"], ["db"], ["db", "start"], ["db", "stop"], ["db", "status"]):
        result = run([*sub, "--help"], env)
        assert result.returncode == 0, sub
        assert "Usage" in result.stdout


def test_cli_bad_setting_is_one_clear_line(graph_server: LocalServer) -> None:
    result = run(["migrate"], env_for(graph_server, CREDGRAPH_DB_BOLT_PORT="seventy"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "CREDGRAPH_DB_BOLT_PORT" in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_migrate_status_and_db_status(graph_server: LocalServer) -> None:
    env = env_for(graph_server)
    assert run(["migrate"], env).returncode == 0
    status = run(["migrate", "--status"], env)
    assert status.returncode == 0, status.stderr
    assert "V0001" in status.stdout and "registry constraints" in status.stdout
    assert "pending" not in status.stdout
    db = run(["db", "status"], env)
    assert db.returncode == 0
    assert f"bolt://127.0.0.1:{graph_server.config.bolt_port}" in db.stdout
    assert "credgraph" in db.stdout and "root" in db.stdout


def test_cli_db_status_when_stopped_exits_non_zero(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CREDGRAPH_"))}
    env["CREDGRAPH_DATA_DIR"] = str(tmp_path / "nothing")
    result = run(["db", "status"], env)
    assert result.returncode == 3
    assert "running:   no" in result.stdout


def test_cli_unreachable_neo4j_uri_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CREDGRAPH_"))}
    env.update(NEO4J_URI=f"bolt://127.0.0.1:{free_port()}", NEO4J_PASSWORD="x")
    result = run(["migrate", "--status"], env)
    assert result.returncode == 1
    assert result.stderr.startswith("error:")
    assert "unavailable" in result.stderr or "unreachable" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def served(graph_server: LocalServer, tmp_path: Path) -> Iterator[str]:
    """``credgraph serve`` in its own process, pointed at the test backend through NEO4J_URI."""
    port = free_port()
    arcadedb = graph_server.backend == "arcadedb"
    env = env_for(
        graph_server,
        NEO4J_URI=graph_server.bolt_uri,
        NEO4J_USER=graph_server.user,
        NEO4J_PASSWORD=graph_server.config.password or "",
        NEO4J_DATABASE=graph_server.database,
        CREDGRAPH_GRAPH_DIALECT="arcadedb" if arcadedb else "neo4j",
        CREDGRAPH_ARCADEDB_HTTP_URL=graph_server.http_url if arcadedb else "",
    )
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [*CREDGRAPH, "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"serve exited: {log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) in (0, 143, -15)


def test_cli_serve_answers_graphql_over_http(served: str) -> None:
    answer = httpx.post(f"{served}/graphql", json={"query": "{ __typename }"}, timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert httpx.get(f"{served}/readyz", timeout=10).json()["status"] == "ready"


def test_cli_imports_a_national_format(graph_server: LocalServer, tmp_path: Path) -> None:
    import shutil

    import orjson

    samples = Path(__file__).resolve().parent.parent / "ingest" / "samples"
    env = env_for(graph_server)
    registry = shutil.copy(samples / "registry.jsonl", tmp_path / "registry.jsonl")
    assert run(["import", str(registry)], env).returncode == 0
    # GB18030, as many government exports are.
    penalties = tmp_path / "penalties.csv"
    penalties.write_bytes(
        (samples / "shuanggongshi-penalty.csv").read_text(encoding="utf-8").encode("gb18030")
    )
    done = run(["import", "--format", "shuanggongshi-penalty", str(penalties)], env)
    assert done.returncode == 3, done.stderr  # some rows were not matched
    assert "record" in done.stdout and "penalties.csv.rejects.jsonl" in done.stdout
    written = (tmp_path / "penalties.csv.rejects.jsonl").read_bytes()
    rejects = [orjson.loads(line) for line in written.splitlines()]
    assert [r["line"] for r in rejects] == [6, 7, 8]
    assert "not matched" in rejects[0]["reason"]
    assert "2 rows naming no registered party kept in" in done.stdout
    assert "penalties.csv.unmatched.jsonl" in done.stdout
    again = run(["import", "--format", "shuanggongshi-penalty", str(penalties)], env)
    assert again.returncode == 3, again.stderr
    unknown = run(["import", "--format", "gazette", str(penalties)], env)
    assert unknown.returncode == 2 and "gazette" in unknown.stderr


def test_cli_import_exit_codes_and_summary(graph_server: LocalServer, tmp_path: Path) -> None:
    import orjson

    from tests.factories import company_row, uscc

    good = tmp_path / "good.jsonl"
    good.write_bytes(b"\n".join(orjson.dumps(company_row(n)) for n in range(900, 903)))
    env = env_for(graph_server)
    first = run(["import", str(good)], env)
    assert first.returncode == 0, first.stderr
    assert "company" in first.stdout and "3" in first.stdout
    again = run(["import", str(tmp_path)], env)  # a folder works too
    assert again.returncode == 0
    assert "nothing changed" in again.stdout

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(
        orjson.dumps(company_row(904)) + b"\n" + orjson.dumps(company_row(905, uscc="x"))
    )
    some = run(["import", str(bad)], env)
    assert some.returncode == 3
    assert "bad.jsonl.rejects.jsonl" in some.stdout
    rejects = (tmp_path / "bad.jsonl.rejects.jsonl").read_text()
    assert '"line":2' in rejects and "uscc:" in rejects
    assert uscc(904)

    missing = run(["import", str(tmp_path / "nope.jsonl")], env)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error:") and "nope.jsonl" in missing.stderr


def test_serve_with_two_workers(graph_server: LocalServer) -> None:
    """``serve --workers 2``: two API processes share the port, each building its app from the
    environment, and they answer; SIGTERM stops them all cleanly."""
    port = free_port()
    proc = subprocess.Popen(
        [*CREDGRAPH, "serve", "--workers", "2", "--port", str(port)],
        env=env_for(graph_server, CREDGRAPH_ACCESS_LOG="false"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, 60)
        workers = _children(proc.pid)
        assert len(workers) == 2, workers
        query = {"query": '{ company(uscc: "91110105MA01234567") { name } }'}
        answers = [httpx.post(f"{base}/graphql", json=query, timeout=10) for _ in range(20)]
        assert {a.status_code for a in answers} == {200}
        assert all(a.json() == {"data": {"company": None}} for a in answers)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert not any(_cmdline(pid) for pid in workers)  # no worker outlived the supervisor


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [int(c) for c in children]
    # uvicorn's supervisor may start a resource tracker as well; workers run the app.
    return [c for c in found if "multiprocessing.resource_tracker" not in _cmdline(c)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except FileNotFoundError:
        return ""
