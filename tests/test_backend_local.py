"""A local backend's lifecycle (``backend.local``; the backend under test: ArcadeDB, or Neo4j
with ``--backend neo4j``): start, reuse, stop, a taken port, its secret."""

from __future__ import annotations

import os
import signal
import socket
import stat
import time
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from pydantic import ValidationError

from backend.local import LocalServer, LocalServerConfig, port_is_free
from config.settings import Settings
from graph.errors import EmbeddedServerError, PortInUseError
from tests.conftest import BACKEND, free_port, make_server

USERS = {"arcadedb": "root", "neo4j": "neo4j"}


def test_server_start_reuse_stop(tmp_path: Path) -> None:
    server = make_server(tmp_path / "graph", password=None)
    assert server.start() is True
    try:
        first = server.status()
        assert first.running and first.pid is not None
        assert server.is_ready()
        assert first.bolt_uri == f"bolt://127.0.0.1:{server.config.bolt_port}"
        assert (first.database, first.user) == ("credgraph", USERS[server.backend])
        assert server.log_file.exists()

        # A second handle on the same folder reuses the process instead of starting another.
        again = type(server)(server.config)
        assert again.start() is False
        assert again.status().pid == first.pid

        # The generated root password is kept in the data folder, readable by its owner only.
        secret_file = server.data_dir / "root_password"
        mode = stat.S_IMODE(os.stat(secret_file).st_mode)
        assert mode == 0o600
        assert server.password() == secret_file.read_text().strip()
        assert len(server.password()) >= 20
        # ... and never appears on the process's visible command line.
        cmdline = Path(f"/proc/{first.pid}/cmdline").read_bytes().decode()
        assert server.password() not in cmdline
    finally:
        assert server.stop() is True
    assert server.status().running is False
    assert not (server.data_dir / "server.pid").exists()
    assert port_is_free("127.0.0.1", server.config.bolt_port)
    assert server.stop() is False


def test_server_refuses_taken_port(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        config = LocalServerConfig(data_dir=tmp_path / "g", bolt_port=taken, http_port=free_port())
        server = type(make_server(tmp_path / "g"))(config)
        with pytest.raises(PortInUseError, match=rf"port {taken} \(CREDGRAPH_DB_BOLT_PORT\)"):
            server.start()
    assert server.status().running is False


def test_server_reuse_on_other_ports_is_refused(fresh_server: LocalServer) -> None:
    other = type(fresh_server)(
        LocalServerConfig(
            data_dir=fresh_server.config.data_dir,
            bolt_port=free_port(),
            http_port=free_port(),
            password=fresh_server.config.password,
        )
    )
    with pytest.raises(EmbeddedServerError, match="already runs"):
        other.start()


def test_server_stale_pid_file_is_ignored(tmp_path: Path) -> None:
    server = make_server(tmp_path / "graph")
    server.data_dir.mkdir(parents=True)
    # A pid that belongs to this test process, not to a graph server on that folder.
    server.pid_file.write_text(f'{{"pid": {os.getpid()}}}')
    assert server.running_pid() is None
    assert server.status().running is False


def test_server_stop_leaves_a_replacement_alone(tmp_path: Path) -> None:
    # serve started a server; it died; `credgraph db start` started another on the same folder.
    # When serve exits, it must not stop the replacement or orphan it by deleting its pid file.
    first = make_server(tmp_path / "graph")
    assert first.start() is True
    dead = first.status().pid
    assert dead is not None
    os.kill(dead, signal.SIGKILL)
    replacement = type(first)(first.config)
    deadline = time.monotonic() + 30
    ports = (first.config.bolt_port, first.config.http_port)
    while time.monotonic() < deadline and not all(port_is_free("127.0.0.1", p) for p in ports):
        time.sleep(0.1)  # a killed JVM takes a moment to let go of its ports
    assert replacement.running_pid() is None
    try:
        assert replacement.start() is True
        assert first.stop() is False
        assert replacement.status().running
        assert replacement.pid_file.exists()
    finally:
        assert replacement.stop() is True
    assert not replacement.pid_file.exists()


@pytest.mark.skipif(
    BACKEND != "neo4j", reason="a page cache is the local Neo4j's (ArcadeDB caches in its heap)"
)
def test_the_local_neo4j_gets_the_page_cache_configured(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        backend="neo4j",
        data_dir=tmp_path / "graph",
        db_bolt_port=free_port(),
        db_http_port=free_port(),
        db_password="test-secret-123",
        db_heap="1g",
        db_page_cache="320m",
    )
    server = settings.embedded_server()
    server.start()
    try:
        driver = GraphDatabase.driver(server.status().bolt_uri, auth=("neo4j", "test-secret-123"))
        with driver:
            rows, _, _ = driver.execute_query(
                "SHOW SETTINGS YIELD name, value WHERE name = 'server.memory.pagecache.size' "
                "RETURN value",
                database_="system",
            )
        assert [row["value"] for row in rows] == ["320.00MiB"]
    finally:
        server.stop()
    with pytest.raises(ValidationError, match="db_page_cache"):
        Settings(_env_file=None, db_page_cache="lots")
