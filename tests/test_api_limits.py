"""Limits under attack: cost that bounds the work (lists by their length, the whole batch), the
same limits over WebSocket, a closed schema in production, refusals in their class, and
cursors parsed strictly."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from starlette.testclient import TestClient
from strawberry import relay

from api.app import create_app
from api.cost import BUDGET
from api.schema import CredgraphSchema
from backend.local import LocalServer
from config.settings import Settings
from tests.conftest import settings_for
from tests.factories import api_key, bearer, company_row, graphql_ws, import_rows, uscc, ws_json

FIRST = 720


@pytest.fixture(scope="module")
def seeded(graph_server: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = settings_for(graph_server)
    rows = [company_row(n, phone=f"010-{n:08d}") for n in range(FIRST, FIRST + 100)]
    import_rows(settings, rows, tmp_path_factory.mktemp("limits"))
    return settings


@pytest.fixture(scope="module")
def client(seeded: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(seeded)) as c:
        yield c


def company_ids(count: int) -> list[str]:
    return [str(relay.GlobalID("Company", uscc(n))) for n in range(FIRST, FIRST + count)]


ALIASES = " ".join(
    f"a{i}: nodes(ids: $ids) {{ ... on Company {{ name score {{ value }} }} }}" for i in range(15)
)
HEAVY = f"query($ids: [ID!]!) {{ {ALIASES} }}"


def test_nodes_are_costed_by_their_number_and_refused_before_running(client: TestClient) -> None:
    graph = client.app.state.graph  # type: ignore[attr-defined]
    before = graph.statements
    body = client.post("/graphql", json={"query": HEAVY, "variables": {"ids": company_ids(100)}})
    message = body.json()["errors"][0]["message"]
    assert message.startswith("the operation would cost ") and f"budget is {BUDGET:,}" in message
    assert int(message.split()[4].replace(",", "")) > 15 * 100 * 50
    assert graph.statements == before  # nothing ran
    # The same shape for a few ids is within the budget and runs.
    ok = client.post("/graphql", json={"query": HEAVY, "variables": {"ids": company_ids(2)}})
    assert "errors" not in ok.json(), ok.json()
    assert len(ok.json()["data"]["a14"]) == 2


def test_a_batch_is_costed_as_a_whole(client: TestClient) -> None:
    one = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Company { name score { value } } } }"
    item = {"query": one, "variables": {"ids": company_ids(50)}}
    # Each operation is within the budget, the ten together are not: none of them runs.
    assert "errors" not in client.post("/graphql", json=item).json()
    graph = client.app.state.graph  # type: ignore[attr-defined]
    before = graph.statements
    refused = client.post("/graphql", json=[item] * 10)
    assert refused.status_code == 400
    assert refused.json()["error"] == "cost_exceeded"
    assert refused.json()["reason"].startswith("the batch would cost ")
    assert graph.statements == before


def test_websocket_operations_are_rate_limited_and_timed_out(seeded: Settings) -> None:
    limited = settings_for_ws(seeded, public_rate_limit=5)
    query = {"query": "{ serviceVersion }"}
    with TestClient(create_app(limited)) as client, graphql_ws(client) as ws:
        answers = []
        for n in range(7):
            ws.send_json({"id": str(n), "type": "subscribe", "payload": query})
            message = ws_json(ws)
            if message["type"] == "next":
                assert ws_json(ws)["type"] == "complete"
            answers.append(message)
        kinds = [a["type"] for a in answers]
        assert kinds == ["next"] * 5 + ["error"] * 2
        refusal = answers[-1]["payload"][0]
        assert refusal["extensions"]["code"] == "RATE_LIMITED"
        assert refusal["message"].startswith("too many requests for this address")
    slow = settings_for_ws(seeded, request_timeout=0.001)
    heavy = {"query": '{ search(query: "北京测试有限公司", first: 50) { totalCount } }'}
    with TestClient(create_app(slow)) as client, graphql_ws(client) as ws:
        ws.send_json({"id": "1", "type": "subscribe", "payload": heavy})
        message = ws_json(ws)
        assert message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "TIMEOUT"
        # The connection stays usable.
        ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": "{ serviceVersion }"}})
        assert ws_json(ws)["type"] in ("next", "error")


def test_websocket_operations_are_costed(client: TestClient) -> None:
    with graphql_ws(client) as ws:
        payload = {"query": HEAVY, "variables": {"ids": company_ids(100)}}
        ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        message = ws_json(ws)
        text = str(message["payload"])
        assert "the operation would cost" in text and "budget" in text


def test_a_key_holds_few_websocket_connections_and_operations(seeded: Settings) -> None:
    capped = settings_for_ws(seeded, ws_connections=2, ws_subscriptions=2)
    key = api_key(seeded, "relying_party", name="many sockets")
    init = {"type": "connection_init", "payload": bearer(key)}
    subscribe = "subscription { watchEvents { kind } }"
    with TestClient(create_app(capped)) as client:
        connect = client.websocket_connect
        proto = ["graphql-transport-ws"]
        with (
            connect("/graphql", subprotocols=proto) as a,
            connect("/graphql", subprotocols=proto) as b,
        ):
            for ws in (a, b):
                ws.send_json(init)
                assert ws_json(ws)["type"] == "connection_ack"
            with connect("/graphql", subprotocols=proto) as c:
                c.send_json(init)
                closed = c.receive()
                assert closed["type"] == "websocket.close" and closed["code"] == 4403
            for n in range(2):
                a.send_json({"id": str(n), "type": "subscribe", "payload": {"query": subscribe}})
            b.send_json({"id": "9", "type": "subscribe", "payload": {"query": subscribe}})
            refused = ws_json(b)
            assert refused["type"] == "error" and "at most 2 WebSocket operations" in str(refused)
            # Ending one frees its place: as soon as the server has ended it (the cap is given
            # back when the operation's task finishes, a moment after the complete message).
            a.send_json({"id": "0", "type": "complete"})
            answer: dict[str, Any] = {}
            for attempt in range(50):
                query = {"query": "{ serviceVersion }"}
                b.send_json({"id": f"1{attempt}", "type": "subscribe", "payload": query})
                answer = ws_json(b)
                if answer["type"] != "error" or "at most 2" not in str(answer):
                    break
                time.sleep(0.1)
            assert answer["type"] == "next", answer
        # Closed connections give their places back.
        with connect("/graphql", subprotocols=proto) as d:
            d.send_json(init)
            assert ws_json(d)["type"] == "connection_ack"


def settings_for_ws(seeded: Settings, **overrides: Any) -> Settings:
    values = seeded.model_dump()
    values.update(overrides)
    return Settings(_env_file=None, **values)


PROBES = [
    '{ compan(uscc: "x") { name } }',
    '{ company(usc: "x") { name } }',
    '{ search(query: "x", kind: PERSO) { totalCount } }',
    '{ node(id: "x") { ... on Compan { name } } }',
    '{ company(uscc: "x") { nam } }',
]


@pytest.mark.parametrize("probe", PROBES)
def test_production_suggests_nothing(seeded: Settings, probe: str) -> None:
    production = settings_for_ws(seeded, env="production")
    with TestClient(create_app(production)) as client:
        body = client.post("/graphql", json={"query": probe}).json()
        assert body["errors"], body
        assert "Did you mean" not in str(body)
        with graphql_ws(client) as ws:
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": probe}})
            answer = ws_json(ws)
            assert answer["type"] == "error" and "Did you mean" not in str(answer)
    with TestClient(create_app(seeded)) as client:  # development keeps them: they help
        assert "Did you mean" in str(client.post("/graphql", json={"query": probe}).json())


def test_graphql_answers_are_never_cached_or_sniffed(client: TestClient) -> None:
    for response in (
        client.post("/graphql", json={"query": "{ serviceVersion }"}),
        client.post("/graphql", json={"query": "{ nothing }"}),
        client.post(
            "/graphql",
            json={"query": "{ serviceVersion }"},
            headers={"Authorization": "Bearer cg_bad_key"},
        ),
        client.get("/graphql?query=%7BserviceVersion%7D"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.text
        assert response.headers["cache-control"] == "no-store"
    assert client.get("/console/console.js.map").status_code == 404


def test_unknown_keys_are_rate_limited_per_address(seeded: Settings) -> None:
    limited = settings_for_ws(seeded, bad_key_limit=3)
    good = api_key(seeded, "relying_party", name="known")
    query = {"query": "{ serviceVersion }"}
    with TestClient(create_app(limited)) as client:
        assert client.post("/graphql", json=query, headers=bearer(good)).status_code == 200
        codes = [
            client.post("/graphql", json=query, headers=bearer(f"cg_guess_{n}")).status_code
            for n in range(6)
        ]
        assert codes == [401, 401, 401, 429, 429, 429]
        refused = client.post("/graphql", json=query, headers=bearer("cg_guess_x"))
        assert (
            refused.json()["error"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1
        )
        # A key the worker checked a moment ago still works; the public is not blocked.
        assert client.post("/graphql", json=query, headers=bearer(good)).status_code == 200
        assert client.post("/graphql", json=query).status_code == 200


def test_an_unknown_key_while_the_graph_is_down_gets_503_json(
    fresh_server: LocalServer,
) -> None:
    settings = settings_for(fresh_server)
    with TestClient(create_app(settings)) as client:
        fresh_server.stop()
        answer = client.post("/graphql", json={"query": "{ serviceVersion }"},
                             headers=bearer("cg_unknown_key"))  # fmt: skip
        assert answer.status_code == 503
        assert answer.json()["error"] == "unavailable"
        assert answer.json()["code"] == "UNAVAILABLE"
        assert "could not be checked" in answer.json()["reason"]


CURSORS = ["٣", "３", "1" * 26, "9" * 5000, "o:-1", "o:1_0", " 1"]


@pytest.mark.parametrize("raw", CURSORS, ids=range(len(CURSORS)))
def test_cursors_are_parsed_strictly(
    client: TestClient, raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    import base64

    encoded = base64.urlsafe_b64encode(f"o:{raw}".encode()).decode().rstrip("=")
    query = 'query($a: String) { search(query: "北京", after: $a) { totalCount } }'
    with caplog.at_level(logging.ERROR, logger="credgraph.api"):
        for after in (raw, encoded):
            body = client.post("/graphql", json={"query": query, "variables": {"a": after}}).json()
            assert body["errors"][0]["message"].startswith("after: not a cursor"), body
        audit = "query($a: String) { auditLog(after: $a) { edges { cursor } } }"
        settings = client.app.state.settings  # type: ignore[attr-defined]
        auditor = bearer(api_key(settings, "auditor", name="cursor audit"))
        body = client.post("/graphql", json={"query": audit, "variables": {"a": raw}},
                           headers=auditor).json()  # fmt: skip
        assert body["errors"][0]["message"].startswith("after: not a cursor"), body
    assert caplog.records == []  # a client's mistake, not ours: nothing logged


@strawberry.type
class BrokenItem:
    @strawberry.field
    def broken(self) -> str | None:
        raise RuntimeError("a bug of ours")


@strawberry.type
class BrokenQuery:
    @strawberry.field
    def items(self) -> list[BrokenItem]:
        return [BrokenItem() for _ in range(500)]


def test_unexpected_errors_are_logged_once_per_request(caplog: pytest.LogCaptureFixture) -> None:
    schema = CredgraphSchema(query=BrokenQuery)

    class Context:
        logged_error = False

    with caplog.at_level(logging.ERROR, logger="credgraph.api"):
        result = schema.execute_sync("query Many { items { broken } }", context_value=Context())
    assert result.errors is not None and len(result.errors) == 500
    ours = [r for r in caplog.records if r.name == "credgraph.api"]
    assert len(ours) == 1
    assert "operation Many: 500 unexpected error(s)" in ours[0].getMessage()
    assert ours[0].exc_info is not None


def test_production_answers_a_repeated_validation_error_once(seeded: Settings) -> None:
    # graphql-cop's directive overloading: ten copies of one unknown directive.
    production = settings_for_ws(seeded, env="production")
    query = "query { __typename " + "@aa" * 10 + " }"
    with TestClient(create_app(production)) as client:
        body = client.post("/graphql", json={"query": query}).json()
    assert [e["message"] for e in body["errors"]] == ["Unknown directive '@aa'."]


def test_a_callers_cost_a_minute_is_bounded_over_http_and_websocket(seeded: Settings) -> None:
    limited = settings_for_ws(seeded, public_cost_limit=20_000)
    # About 15,000: within one request's budget, not twice within a minute's.
    three = (
        "query($ids: [ID!]!) { "
        + " ".join(
            f"a{i}: nodes(ids: $ids) {{ ... on Company {{ name score {{ value }} }} }}"
            for i in range(3)
        )
        + " }"
    )
    heavy = {"query": three, "variables": {"ids": company_ids(100)}}
    with TestClient(create_app(limited)) as client:
        first = client.post("/graphql", json=heavy)
        assert first.status_code == 200 and "errors" not in first.json()
        second = client.post("/graphql", json=heavy)
        assert second.status_code == 429
        assert "spent its cost budget of 20,000 a minute" in second.json()["reason"]
        assert int(second.headers["retry-after"]) >= 30
        # Light requests still go through: the budget is in cost, not in requests.
        assert client.post("/graphql", json={"query": "{ serviceVersion }"}).status_code == 200
        # A batch is charged once, as a whole.
        batch = client.post("/graphql", json=[heavy, heavy])
        assert batch.status_code == 400 and batch.json()["error"] == "cost_exceeded"
        with graphql_ws(client) as ws:
            ws.send_json({"id": "1", "type": "subscribe", "payload": heavy})
            message = ws_json(ws)
            assert "spent its cost budget" in str(message["payload"]), message
            assert "RATE_LIMITED" in str(message["payload"])
