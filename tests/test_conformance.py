"""GraphQL over HTTP: graphql-http's audit suite (``auditServer``, from npm like the console's
packages) against a live server; every audit must pass, the ``application/graphql-response+json``
ones included."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import uvicorn

from api.app import create_app
from backend.local import LocalServer
from tests.conftest import free_port, settings_for
from tests.factories import wait_until_ready

SUITE = Path(__file__).resolve().parent / "conformance"


@pytest.fixture(scope="module")
def base(graph_server: LocalServer) -> Iterator[str]:
    port = free_port()
    # Development settings: four audits send `__type` introspection queries, which production
    # refuses on purpose (tests/test_api_limits.py checks that production is closed).
    app = create_app(settings_for(graph_server))
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(url)
    try:
        yield url
    finally:
        web.should_exit = True
        thread.join(timeout=10)


def suite() -> Path:
    """The audit suite's folder, its npm packages installed from the lock file."""
    if not (SUITE / "node_modules" / "graphql-http").is_dir():
        npm = shutil.which("npm")
        assert npm, (
            "npm is needed for the GraphQL-over-HTTP audit (make test installs nothing else)"
        )
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=SUITE, check=True
        )
    return SUITE


def test_graphql_over_http_audits_all_pass(base: str) -> None:
    node = shutil.which("node")
    assert node, "node is needed for the GraphQL-over-HTTP audit"
    done = subprocess.run(
        [node, "audit.mjs", f"{base}/graphql"],
        cwd=suite(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = [orjson.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(results) > 50  # the whole suite ran
    failing = [r for r in results if r["status"] != "ok"]
    assert failing == [], "\n".join(orjson.dumps(r).decode() for r in failing)
