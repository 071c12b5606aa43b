"""The HTTP middleware, one concern a module, met in the order README gives: security headers,
authentication, rate limit, timeout, body limit, then the view. Each test sends a request that
two of them would refuse and checks that the earlier one answers."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.middleware.body_limit import MAX_BODY
from backend.local import LocalServer
from tests.conftest import settings_for
from tests.factories import api_key

QUERY = {"query": "{ version }"}
HUGE = {"query": "{ version }", "variables": {"pad": "x" * (MAX_BODY + 10)}}
BAD_KEY = {"Authorization": "Bearer not-a-key-we-gave-out"}


@pytest.fixture(scope="module")
def client(graph_server: LocalServer) -> Iterator[TestClient]:
    settings = settings_for(graph_server, public_rate_limit=3, request_timeout=30)
    with TestClient(create_app(settings)) as c:
        yield c


def test_middleware_authentication_comes_before_the_body_limit(client: TestClient) -> None:
    answer = client.post("/graphql", json=HUGE, headers=BAD_KEY)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    # The outermost layer adds its headers to a refusal too.
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_middleware_rate_limit_comes_before_the_body_and_graphql(client: TestClient) -> None:
    # The public's bucket is its address's: three requests a minute here.
    statuses = [client.post("/graphql", json=QUERY).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = client.post("/graphql", json=HUGE)
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    malformed = client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 429  # the view never saw it


def test_middleware_body_limit_answers_json_before_the_view(graph_server: LocalServer) -> None:
    with TestClient(create_app(settings_for(graph_server))) as c:
        graph = c.app.state.graph  # type: ignore[attr-defined]
        before = graph.statements
        answer = c.post("/graphql", json=HUGE)
        assert answer.status_code == 413
        assert answer.json() == {
            "code": "BAD_REQUEST",
            "error": "too_large",
            "reason": f"the request body is larger than {MAX_BODY // 1024} KiB",
        }
        assert answer.headers["cache-control"] == "no-store"
        assert graph.statements == before  # nothing reached the graph


def test_middleware_rate_limit_holds_under_twenty_at_once(graph_server: LocalServer) -> None:
    # Twenty requests race for a bucket of five: exactly five get through, whatever the order,
    # and each of the others is a 429 with its Retry-After (a bucket is taken from atomically).
    settings = settings_for(graph_server, rate_limit=5)
    key = {"Authorization": f"Bearer {api_key(settings, 'relying_party', name='racer')}"}
    with TestClient(create_app(settings)) as c, ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: c.post("/graphql", json=QUERY, headers=key), range(20)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 5 + [429] * 15
    assert all(int(a.headers["retry-after"]) >= 1 for a in answers if a.status_code == 429)
    assert all(a.headers["cache-control"] == "no-store" for a in answers)
