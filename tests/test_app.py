"""The Starlette app over HTTP: health, readiness through a backend outage, GraphQL GET and POST."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.testclient import TestClient

from api.app import create_app
from backend.local import LocalServer
from config.settings import Settings
from tests.conftest import settings_for


def test_app_healthz_and_readyz(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ready"
        assert body["database"] == "credgraph"
        assert body["migrations"] >= 3


def test_app_graphql_post_and_get(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        posted = client.post("/graphql", json={"query": "{ __typename serviceVersion }"})
        assert posted.status_code == 200
        assert posted.json()["data"]["__typename"] == "Query"
        assert posted.json()["data"]["serviceVersion"]
        got = client.get("/graphql", params={"query": "{ __typename }"})
        assert got.json() == {"data": {"__typename": "Query"}}
        # GraphQL over HTTP: a GET must not run a mutation.
        refused = client.get("/graphql", params={"query": "mutation { __typename }"})
        assert refused.status_code in (400, 405)
        bad = client.post("/graphql", json={"query": "{ nope }"})
        assert bad.status_code == 200
        assert "Cannot query field 'nope'" in bad.json()["errors"][0]["message"]


def test_app_graphiql_only_outside_production(graph_server: LocalServer) -> None:
    html = {"accept": "text/html"}
    with TestClient(create_app(settings_for(graph_server, env="development"))) as client:
        page = client.get("/graphql", headers=html)
        assert page.status_code == 200 and "graphiql" in page.text.lower()
    with TestClient(create_app(settings_for(graph_server, env="production"))) as client:
        assert client.get("/graphql", headers=html).status_code == 404
        introspect = client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        assert "introspection" in introspect.json()["errors"][0]["message"].lower()


def test_app_readyz_follows_the_backend(fresh_server: LocalServer) -> None:
    app = create_app(settings_for(fresh_server))
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200

        fresh_server.stop()
        started = time.monotonic()
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["status"] == "unavailable"
        assert "graph backend" in down.json()["reason"]
        assert time.monotonic() - started < 15  # answers promptly, does not hang

        fresh_server.start()
        deadline = time.monotonic() + 30
        status = 503
        while time.monotonic() < deadline and status != 200:
            status = client.get("/readyz").status_code
            time.sleep(0.2)
        assert status == 200  # recovered by itself, same app, same driver
        answer = client.post("/graphql", json={"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}


def test_app_readyz_reports_pending_migrations(fresh_server: LocalServer) -> None:
    app = create_app(settings_for(fresh_server, migrate_on_start=False))
    with TestClient(app) as client:
        body = client.get("/readyz")
        assert body.status_code == 503
        assert body.json()["status"] == "not_migrated"
        assert "V0001__registry_constraints.cypher" in body.json()["reason"]


def test_app_graphiql_without_a_built_console_says_how_to_build_it(
    graph_server: LocalServer, tmp_path: Path
) -> None:
    settings = settings_for(graph_server, env="development").model_copy(
        update={"console_dir": tmp_path}
    )
    with TestClient(create_app(settings)) as client:
        page = client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 503
        assert "make console" in page.text and "graphiql/graphiql.min.js" in page.text
        # The API itself is unaffected.
        posted = client.post("/graphql", json={"query": "{ __typename }"})
        assert posted.json() == {"data": {"__typename": "Query"}}
