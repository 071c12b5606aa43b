"""Fixture strategy.

Tests of code that talks to the graph run against a real server, never a mock: the embedded
ArcadeDB by default, a local Neo4j Community with ``--backend neo4j`` (or
``CREDGRAPH_TEST_BACKEND=neo4j``; ``make test`` runs the suite on both):

- ``graph_server`` (session): one throwaway server on free ports in a temporary folder, migrated
  once; most tests share it and keep to their own keys, or clean the graph with ``clean_graph``.
- ``fresh_server`` (function): a server of its own, for tests that stop it or need an empty
  migration history (lifecycle, migrations, readiness). Each costs a JVM start, about 3 s.
- ``settings_for(server)``: Settings built from arguments only, so the developer's environment
  (a NEO4J_URI in their shell, a .env file) never leaks into a test.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from backend.embedded import EmbeddedServer
from backend.local import LocalServer, LocalServerConfig
from backend.local_neo4j import LocalNeo4j
from backend.redis_server import RedisServer
from config.settings import Settings
from graph.driver import Graph
from graph.migrate import apply_migrations, load_migrations

TEST_HEAP = "1g"
BACKENDS = ("arcadedb", "neo4j")
BACKEND = os.environ.get("CREDGRAPH_TEST_BACKEND", "arcadedb")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="the graph server the tests run against (default: CREDGRAPH_TEST_BACKEND, or arcadedb)",
    )


def pytest_configure(config: pytest.Config) -> None:
    global BACKEND
    BACKEND = config.getoption("--backend") or BACKEND
    config.addinivalue_line("markers", "arcadedb_only(reason): runs on the embedded backend only")


def pytest_report_header(config: pytest.Config) -> str:
    return f"graph backend: {BACKEND}"


SERVER_FIXTURES = {"graph_server", "fresh_server"}


def _touches_the_graph(item: pytest.Item) -> bool:
    """Whether a test talks to a graph server: through the server fixtures (directly or through
    the fixtures it uses), or by starting one of its own."""
    if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    source = Path(str(item.fspath)).read_text()
    return "running_server(" in source or "make_server(" in source


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("arcadedb_only")
        if marker is not None and BACKEND != "arcadedb":
            item.add_marker(pytest.mark.skip(reason=f"ArcadeDB only: {marker.args[0]}"))
    if BACKEND != "arcadedb":
        # The second backend's run: what never reaches a graph ran on the first one already.
        pure = [item for item in items if not _touches_the_graph(item)]
        if pure:
            config.hook.pytest_deselected(items=pure)
            items[:] = [item for item in items if _touches_the_graph(item)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_server(folder: Path, password: str | None = "test-secret-123") -> LocalServer:
    """A server of the backend under test."""
    config = LocalServerConfig(
        data_dir=folder,
        bolt_port=free_port(),
        http_port=free_port(),
        password=password,
        heap=TEST_HEAP,
    )
    return LocalNeo4j(config) if BACKEND == "neo4j" else EmbeddedServer(config)


@contextmanager
def running_server(folder: Path) -> Iterator[LocalServer]:
    """A server of a test module's own (one that breaks its graph on purpose), stopped after."""
    server = make_server(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def settings_for(server: LocalServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "neo4j_uri": None,
        "data_dir": server.config.data_dir,
        "db_bolt_port": server.config.bolt_port,
        "db_http_port": server.config.http_port,
        "db_password": server.config.password,
        "db_heap": TEST_HEAP,
        "backend": server.backend,
        # Tests send hundreds of requests a minute from one address; tests/test_api_hardening.py
        # checks the limits with small ones.
        "rate_limit": 1_000_000,
        "public_rate_limit": 1_000_000,
        "cost_limit": 1_000_000_000,
        "public_cost_limit": 1_000_000_000,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def graph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    server = make_server(tmp_path_factory.mktemp("graph"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LocalServer]:
    server = make_server(tmp_path / "graph")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def settings(graph_server: LocalServer) -> Settings:
    return settings_for(graph_server)


@pytest.fixture(scope="session")
async def graph(settings: Settings) -> AsyncIterator[Graph]:
    connected = await Graph.connect(settings.graph_config())
    await apply_migrations(connected, load_migrations(settings.migrations_dir))
    try:
        yield connected
    finally:
        await connected.close()


@pytest.fixture
async def clean_graph(graph: Graph) -> Graph:
    """The shared graph with every node but the migration history removed."""
    await graph.write("MATCH (n) WHERE NOT n:__Neo4jMigration DETACH DELETE n")
    return graph


@pytest.fixture
def settings_factory() -> Callable[..., Settings]:
    return settings_for


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real Redis (Debian's redis-server, which ``make test`` installs) for the tests of state
    shared across workers; each test that takes ``redis_url`` starts from an empty one."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url
