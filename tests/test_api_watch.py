"""API keys (CLI and Bearer auth) and watches: watch, watchlist, unwatch, and watch events
delivered over graphql-transport-ws when a record arrives and the level or blacklist moves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from backend.local import LocalServer
from tests.conftest import settings_for
from tests.factories import company_row, id_number, import_rows, link_row, person_row, uscc
from tests.test_cli import env_for, run

C1, C2, P1 = uscc(650), uscc(651), id_number(650)


@pytest.fixture(scope="module")
def keys(graph_server: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    settings = settings_for(graph_server)
    import_rows(
        settings,
        [
            company_row(650, phone="010-66500000"),
            company_row(651, phone="010-66510000"),
            person_row(650),
            link_row("LEGAL_REPRESENTATIVE_OF", P1, C1),
        ],
        tmp_path_factory.mktemp("watch"),
    )
    env = env_for(graph_server)
    made = {}
    for name, role in (
        ("desk-a", "investigator"),
        ("desk-b", "relying_party"),
        ("registry", "registrar"),
    ):
        result = run(["keys", "create", "--role", role, "--name", name], env)
        assert result.returncode == 0, result.stderr
        made[name] = result.stdout.strip()
        assert made[name].startswith("cg_")
    return made


@pytest.fixture(scope="module")
def api(graph_server: LocalServer, keys: dict[str, str]) -> Iterator[TestClient]:
    settings = settings_for(graph_server, allow_writes=True, watch_poll_seconds=0.1)
    with TestClient(create_app(settings)) as client:
        yield client


def post(client: TestClient, query: str, key: str | None = None, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def ok(client: TestClient, query: str, key: str | None = None, **variables: Any) -> Any:
    body = post(client, query, key, **variables).json()
    assert "errors" not in body, body
    return body["data"]


def company_id(client: TestClient, code: str) -> str:
    return str(
        ok(client, "query($u: String) { company(uscc: $u) { id } }", u=code)["company"]["id"]
    )


def test_keys_cli_lists_without_secrets_and_revokes(
    graph_server: LocalServer, keys: dict[str, str], api: TestClient
) -> None:
    env = env_for(graph_server)
    made = run(["keys", "create", "--role", "auditor", "--name", "audit-desk"], env)
    key_id = made.stdout.strip().split("_")[1]
    listed = run(["keys", "list"], env | {"COLUMNS": "200"})
    assert listed.returncode == 0 and key_id in listed.stdout and "audit-desk" in listed.stdout
    assert made.stdout.strip().split("_", 2)[2] not in listed.stdout  # the secret is never shown
    assert post(api, "{ serviceVersion }", made.stdout.strip()).status_code == 200
    assert run(["keys", "revoke", key_id], env).returncode == 0
    assert "no key" in run(["keys", "revoke", "nope"], env).stderr
    # A fresh app has no cache: the revoked key is refused at once.
    with TestClient(create_app(settings_for(graph_server))) as fresh:
        refused = post(fresh, "{ serviceVersion }", made.stdout.strip())
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "not valid" in refused.json()["reason"]
    bad = run(["keys", "create", "--role", "subject", "--name", "x"], env)
    assert bad.returncode == 1 and "--subject" in bad.stderr
    unknown = run(
        ["keys", "create", "--role", "subject", "--name", "x", "--subject", uscc(659)], env
    )
    assert unknown.returncode == 1 and "holds no person or company" in unknown.stderr
    # Any party's key binds a subject key; it is checked before the graph is asked.
    abroad = run(
        ["keys", "create", "--role", "subject", "--name", "x", "--subject", "passport:us:E9000001"],
        env,
    )
    assert abroad.returncode == 1
    assert "holds no person or company passport:US:E9000001" in abroad.stderr
    nowhere = run(
        ["keys", "create", "--role", "subject", "--name", "x", "--subject", "passport:XX:E9000001"],
        env,
    )
    assert nowhere.returncode == 1 and "--subject: not a party's key: nationality" in nowhere.stderr


def test_bad_keys_get_401_and_no_key_is_public(api: TestClient, keys: dict[str, str]) -> None:
    assert post(api, "{ serviceVersion }").status_code == 200
    for header in ("Bearer cg_nothing_here", "Bearer " + keys["desk-a"] + "x", "Basic abc"):
        response = api.post(
            "/graphql", json={"query": "{ serviceVersion }"}, headers={"Authorization": header}
        )
        assert response.status_code == 401, header
        assert response.json()["error"] == "unauthorized"


WATCH = "mutation($id: ID!) { watch(id: $id) { since entity { name } } }"
UNWATCH = "mutation($id: ID!) { unwatch(id: $id) }"
WATCHLIST = "{ watchlist { entity { ... on Company { uscc } } } }"


def test_watchlist_belongs_to_the_key(api: TestClient, keys: dict[str, str]) -> None:
    c2 = company_id(api, C2)
    refused = post(api, WATCH, None, id=c2).json()
    assert refused["errors"][0]["message"] == (
        "watch: needs the role investigator or registrar or relying_party to watch entities; "
        "the caller's role is public"
    )
    first = ok(api, WATCH, keys["desk-b"], id=c2)["watch"]
    again = ok(api, WATCH, keys["desk-b"], id=c2)["watch"]
    assert first == again  # watching twice changes nothing
    assert ok(api, WATCHLIST, keys["desk-b"])["watchlist"] == [{"entity": {"uscc": C2}}]
    assert ok(api, WATCHLIST, keys["desk-a"])["watchlist"] == []
    assert ok(api, UNWATCH, keys["desk-b"], id=c2)["unwatch"] is True
    assert ok(api, UNWATCH, keys["desk-b"], id=c2)["unwatch"] is False
    assert ok(api, WATCHLIST, keys["desk-b"])["watchlist"] == []


ADD = """
mutation($input: AddRecordInput!) { addRecord(input: $input) { __typename } }
"""
EVENTS = """subscription {
  watchEvents { kind entity { name } record { recordId } level previousLevel scheme }
}"""


def record(record_id: str, subject: str) -> dict[str, Any]:
    return {
        "recordId": record_id,
        "subject": subject,
        "authority": "北京市朝阳区人民法院",
        "caseNumber": f"(2026)京0105执{record_id}号",
        "category": "JUDICIAL",
        "code": "JUDGMENT_DEFAULT",
        "polarity": "WARNING",
        "severity": "SERIOUS",
        "decidedOn": "2026-11-01",
    }


def next_event(ws: Any) -> dict[str, Any]:
    while True:
        message = ws.receive_json()
        if message["type"] == "next":
            event: dict[str, Any] = message["payload"]["data"]["watchEvents"]
            return event
        assert message["type"] not in ("error", "complete"), message


def test_watch_events_over_graphql_transport_ws(api: TestClient, keys: dict[str, str]) -> None:
    c1 = company_id(api, C1)
    ok(api, WATCH, keys["desk-a"], id=c1)
    # A first record gives C1 a stored score, before the subscription starts: not delivered.
    good = record("WATCH-0", C1) | {
        "code": "TAX_GRADE_A",
        "category": "ADMINISTRATIVE",
        "polarity": "GOOD",
        "severity": "GENERAL",
    }
    ok(api, ADD, keys["registry"], input=good)
    with api.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {keys['desk-a']}"}}
        )
        assert ws.receive_json()["type"] == "connection_ack"  # a text frame
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
        added = ok(api, ADD, keys["registry"], input=record("WATCH-1", C1))
        assert added["addRecord"]["__typename"] == "AddRecordSuccess"
        events = [next_event(ws) for _ in range(3)]
    kinds = sorted(e["kind"] for e in events)
    # A serious judgment: a new record, the level drops, and the company enters the blacklist.
    assert kinds == ["BLACKLIST_ENTERED", "LEVEL_CHANGED", "RECORD_ADDED"]
    by_kind = {e["kind"]: e for e in events}
    assert by_kind["RECORD_ADDED"]["record"] == {"recordId": "WATCH-1"}
    assert by_kind["LEVEL_CHANGED"]["scheme"] == "enterprise"
    assert by_kind["LEVEL_CHANGED"]["level"] != by_kind["LEVEL_CHANGED"]["previousLevel"]
    assert all(e["entity"]["name"] == "北京测试650科技有限公司" for e in events)


def test_watch_events_refuse_a_bad_key_and_no_key(api: TestClient) -> None:
    with api.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer cg_x_y"}})
        message = ws.receive()
        assert message["type"] == "websocket.close" and message["code"] == 4403
    with api.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
        answer = ws.receive_json()
        assert answer["type"] == "error"
        assert answer["payload"][0]["message"].startswith("watchEvents: needs the role")


def test_each_event_about_a_person_is_an_audited_read(
    api: TestClient, keys: dict[str, str], graph_server: LocalServer
) -> None:
    from tests.factories import api_key

    auditor = api_key(settings_for(graph_server), "auditor", name="watch audit")
    found = ok(
        api, "query($n: String!) { person(idNumber: $n, name: \"张650\") { id } }",
        keys["desk-a"], n=P1,
    )  # fmt: skip
    ok(api, WATCH, keys["desk-a"], id=found["person"]["id"])
    with api.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {keys['desk-a']}"}}
        )
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
        added = ok(api, ADD, keys["registry"], input=record("WATCH-P1", P1))
        assert added["addRecord"]["__typename"] == "AddRecordSuccess"
        events = [next_event(ws) for _ in range(2)]
    assert {e["kind"] for e in events} <= {"RECORD_ADDED", "LEVEL_CHANGED", "BLACKLIST_ENTERED"}
    assert all(e["entity"]["name"] == "张650" for e in events)
    log = ok(
        api,
        "{ auditLog(first: 50) { edges { node { operation kind keyId subjects } } } }",
        auditor,
    )["auditLog"]["edges"]
    key_id = keys["desk-a"].split("_")[1]
    delivered = [
        e["node"] for e in log
        if e["node"]["keyId"] == key_id and e["node"]["operation"] == "watchEvents"
    ]  # fmt: skip
    masked = P1[:6] + "********" + P1[-4:]
    # One entry an event (each written before its event went out), naming the person only.
    assert 2 <= len(delivered) <= 3, delivered
    assert all(e["kind"] == "READ" and e["subjects"] == [masked] for e in delivered)
