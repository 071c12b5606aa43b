"""One authorisation mechanism: every field of the schema declares its rule, and the public gets
no person (nor a person's record or score) through any entry point, nor a watcher anything past
its role."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType
from starlette.testclient import TestClient

from api.app import create_app
from api.permissions import Rule
from api.schema import build_schema
from backend.local import LocalServer
from tests.conftest import settings_for
from tests.factories import (
    api_key,
    bearer,
    company_row,
    graphql_ws,
    id_number,
    import_rows,
    link_row,
    person_row,
    record_row,
    uscc,
    ws_json,
)

C, C2 = uscc(690), uscc(691)
P, Q, R = id_number(690), id_number(691), id_number(692)
REP, WATCHED = "公开测试代表", "公开测试被关注"


def test_every_field_declares_its_rule() -> None:
    schema = build_schema()._schema
    missing, checked = [], 0
    for name, kind in schema.type_map.items():
        if name.startswith("__") or not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, field in kind.fields.items():
            definition = field.extensions.get("strawberry-definition")
            rules = definition.permission_classes if definition is not None else []
            checked += 1
            if not rules or not all(issubclass(rule, Rule) for rule in rules):
                missing.append(f"{name}.{field_name}")
    assert missing == []
    assert checked > 300  # the walk reached the whole schema


def test_a_persons_fields_have_a_rule_of_their_own() -> None:
    schema = build_schema()._schema

    def rule(type_name: str, field: str) -> str:
        definition = schema.type_map[type_name].fields[field].extensions["strawberry-definition"]  # type: ignore[attr-defined]
        return str(definition.permission_classes[0].__name__)

    # The fields Person shares with Company through Entity are copies with their own rule.
    assert rule("Company", "name") == "Open" and rule("Person", "name") == "PersonField"
    assert rule("Company", "id") == "Open" and rule("Person", "id") == "PersonField"
    assert rule("Record", "id") == "RecordField"
    assert rule("Company", "legalRepresentative") == "NeedsLookUpPersons"


@pytest.fixture(scope="module")
def world(
    graph_server: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], dict[str, Any]]]:
    settings = settings_for(graph_server, allow_writes=True, watch_poll_seconds=0.1)
    import_rows(
        settings,
        [
            company_row(690, name="公开测试甲有限公司", phone="010-69000000"),
            company_row(691, name="公开测试乙有限公司", phone="010-69100000"),
            person_row(690, name=REP, profession="会计师"),
            person_row(691, name="公开测试股东", profession="律师"),
            person_row(692, name=WATCHED),
            link_row("LEGAL_REPRESENTATIVE_OF", P, C),
            link_row("SHAREHOLDER_OF", Q, C, stake=0.6),
            link_row("SHAREHOLDER_OF", C2, C, stake=0.4),
            link_row("OFFICER_OF", Q, C, role="监事"),
            record_row("PUB-P1", P, decided_on="2026-10-01"),  # a person's published warning
            record_row("PUB-P2", P, code="BLOOD_DONATION", polarity="good", category="social",
                       severity="general", decided_on="2026-10-02"),
            record_row("PUB-C1", C, decided_on="2026-10-03"),
        ],
        tmp_path_factory.mktemp("public"),
    )  # fmt: skip
    headers: dict[str, dict[str, str]] = {"public": {}}
    for role in ("relying_party", "investigator", "registrar"):
        headers[role] = bearer(api_key(settings, role, name=f"{role} 公开"))
    with TestClient(create_app(settings)) as client:
        reg = headers["registrar"]
        ids: dict[str, Any] = {}
        body = client.post(
            "/graphql",
            json={"query": f'{{ company(uscc: "{C}") {{ id records(first: 5) {{ edges {{ node'
                  " { id recordId } } } } }"},
            headers=reg,
        ).json()  # fmt: skip
        ids["company"] = body["data"]["company"]["id"]
        body = client.post(
            "/graphql",
            json={"query": f'{{ person(idNumber: "{P}") {{ id records {{ edges {{ node '
                  "{ id recordId } } } } }"},
            headers=reg,
        ).json()  # fmt: skip
        ids["person"] = body["data"]["person"]["id"]
        ids["person_records"] = [
            e["node"]["id"] for e in body["data"]["person"]["records"]["edges"]
        ]
        assert len(ids["person_records"]) == 2
        yield client, headers, ids


def ask(client: TestClient, query: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


PERSON_DATA = (REP, "公开测试股东", "会计师", "律师", "PUB-P1", "PUB-P2", P[-4:])


def test_the_public_reads_no_person_through_any_entry_point(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, Any]],
) -> None:
    client, headers, ids = world
    records = ", ".join(f'"{i}"' for i in ids["person_records"])
    attempts = {
        "representative": f'{{ company(uscc: "{C}") {{ legalRepresentative {{ name profession '
        "idNumber holdings { stake } offices { role } } } }",
        "shareholders": f'{{ company(uscc: "{C}") {{ shareholders {{ stake holder {{ name '
        "... on Person { profession idNumber } } } } }",
        "officers": f'{{ company(uscc: "{C}") {{ officers {{ role person {{ name }} }} }} }}',
        "node": f'{{ node(id: "{ids["person"]}") {{ ... on Person {{ name profession }} }} }}',
        "records_by_id": f"{{ nodes(ids: [{records}]) {{ ... on Record {{ recordId code "
        "description subject { name } } } }",
        "publicity": "{ publicity(first: 100) { edges { node { recordId subject { name } } } } }",
        "search": f'{{ search(query: "{REP}") {{ edges {{ node {{ entity {{ name }} }} }} }} }}',
        "search_people": f'{{ search(query: "{REP}", kind: PERSON) {{ totalCount }} }}',
        "search_number": f'{{ search(query: "{P}") {{ edges {{ node {{ entity {{ name }} }} }} }} }}',
        "contributions": f'{{ company(uscc: "{C}") {{ score {{ contributions(first: 50) {{ '
        "edges { node { kind record { recordId } source { name } path { entity { name } } } }"
        " } } } }",
        "person_blacklist": '{ blacklist(scheme: "individual") { edges { node { value '
        "subject { name } } } } }",
        "holdings": f'{{ company(uscc: "{C2}") {{ holdings {{ company {{ shareholders {{ holder '
        "{ name } } } } } }",
    }
    for what, query in attempts.items():
        body = ask(client, query, headers["public"])
        text = str(body.get("data"))
        leaked = [value for value in PERSON_DATA if value in text]
        assert leaked == [], (what, body)
        if what not in ("search", "search_number", "publicity", "contributions"):
            assert body.get("errors"), (what, body)
            assert all("needs the role" in e["message"] for e in body["errors"]), (what, body)
    # What a public registry shows: the representative's name, by name only.
    shown = ask(
        client, f'{{ company(uscc: "{C}") {{ legalRepresentativeName }} }}', headers["public"]
    )
    assert shown["data"]["company"]["legalRepresentativeName"] == REP
    # The feed holds the company's published record.
    feed = ask(
        client, "{ publicity(first: 100) { edges { node { recordId } } } }", headers["public"]
    )
    assert "PUB-C1" in str(feed["data"])


def test_a_relying_party_sees_people_but_not_their_files(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, Any]],
) -> None:
    client, headers, ids = world
    rp, inv = headers["relying_party"], headers["investigator"]
    records = ", ".join(f'"{i}"' for i in ids["person_records"])
    query = f"{{ nodes(ids: [{records}]) {{ ... on Record {{ recordId }} }} }}"
    refused = ask(client, query, rp)
    assert refused["errors"] and "PUB-P" not in str(refused["data"])
    assert {r["recordId"] for r in ask(client, query, inv)["data"]["nodes"]} == {"PUB-P1", "PUB-P2"}
    # A relying party may see a person named on a company, masked; not the person's records.
    rep = f'{{ company(uscc: "{C}") {{ legalRepresentative {{ name idNumber }} }} }}'
    seen = ask(client, rep, rp)["data"]["company"]["legalRepresentative"]
    assert seen == {"name": REP, "idNumber": P[:6] + "********" + P[-4:]}
    feed = ask(client, "{ publicity(first: 100) { edges { node { recordId } } } }", rp)
    assert "PUB-P1" not in str(feed["data"]) and "PUB-C1" in str(feed["data"])
    full = ask(client, "{ publicity(first: 100) { edges { node { recordId } } } }", inv)
    assert "PUB-P1" in str(full["data"])


def test_a_watcher_gets_nothing_past_its_role(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, Any]],
) -> None:
    client, headers, _ = world
    reg = headers["registrar"]
    add = (
        'mutation { addRecord(input: {subject: "%s", recordId: "%s", authority: "%s", '
        'category: %s, code: "%s", polarity: %s, severity: %s, decidedOn: "2026-10-05"}) '
        "{ __typename } }"
    )
    # A person of their own, unlinked, whose first record stores a score (level A).
    added = ask(client, add % (R, "PUB-R0", "团委", "SOCIAL", "VOLUNTEER_SERVICE", "GOOD",
                               "MINOR"), reg)  # fmt: skip
    assert added["data"]["addRecord"]["__typename"] == "AddRecordSuccess", added
    person = ask(client, f'{{ person(idNumber: "{R}") {{ id }} }}', reg)["data"]["person"]["id"]
    for role in ("relying_party", "investigator"):
        watched = ask(client, f'mutation {{ watch(id: "{person}") {{ since }} }}', headers[role])
        assert not watched.get("errors"), watched
    events = (
        "subscription { watchEvents { kind entity { name } value level previousLevel scheme "
        "record { recordId code status } } }"
    )
    received: dict[str, dict[str, Any]] = {}
    connect = client.websocket_connect
    with (
        connect("/graphql", subprotocols=["graphql-transport-ws"]) as rp_ws,
        connect("/graphql", subprotocols=["graphql-transport-ws"]) as inv_ws,
    ):
        sockets = {"relying_party": rp_ws, "investigator": inv_ws}
        for role, ws in sockets.items():
            key = headers[role]["Authorization"]
            ws.send_json({"type": "connection_init", "payload": {"Authorization": key}})
            assert ws_json(ws)["type"] == "connection_ack"
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": events}})
        # A judgment: a new record, the level falls (A to B), the person enters the blacklist.
        judged = ask(client, add % (R, "PUB-R1", "北京市朝阳区人民法院", "JUDICIAL",
                                    "JUDGMENT_DEFAULT", "WARNING", "SERIOUS"), reg)  # fmt: skip
        assert judged["data"]["addRecord"]["__typename"] == "AddRecordSuccess", judged
        for role, ws in sockets.items():
            payloads: list[dict[str, Any]] = []
            while len(payloads) < 3:
                message = ws_json(ws)
                assert message["type"] == "next", message
                payloads.append(message["payload"])
            received[role] = {p["data"]["watchEvents"]["kind"]: p for p in payloads}
    rp = received["relying_party"]
    assert set(rp) == {"RECORD_ADDED", "LEVEL_CHANGED", "BLACKLIST_ENTERED"}
    for kind in ("LEVEL_CHANGED", "BLACKLIST_ENTERED"):
        event = rp[kind]["data"]["watchEvents"]
        assert event["value"] is None and event["level"] is None and event["scheme"] is None
        assert event["previousLevel"] is None
        assert event["entity"]["name"] == WATCHED  # it may know whom it watches
        assert all("needs the role" in e["message"] for e in rp[kind]["errors"])
    record = rp["RECORD_ADDED"]
    assert record["data"]["watchEvents"]["record"] is None
    assert "JUDGMENT_DEFAULT" not in str(record["data"])
    # An investigator, who may read the file, gets all of it.
    inv = received["investigator"]
    assert all("errors" not in p for p in inv.values()), inv
    level = inv["LEVEL_CHANGED"]["data"]["watchEvents"]
    assert (level["previousLevel"], level["level"], level["scheme"]) == ("A", "B", "individual")
    assert inv["RECORD_ADDED"]["data"]["watchEvents"]["record"]["code"] == "JUDGMENT_DEFAULT"


def entries_of(client: TestClient, key: dict[str, str], auditor: dict[str, str]) -> list[Any]:
    """The read entries of ``key`` among the newest 100."""
    key_id = key["Authorization"].split("_")[1]
    query = "{ auditLog(first: 100) { edges { node { seq operation kind keyId subjects } } } }"
    body = ask(client, query, auditor)
    return [
        e["node"]
        for e in body["data"]["auditLog"]["edges"]
        if e["node"]["keyId"] == key_id and e["node"]["kind"] == "READ"
    ]


def test_every_read_of_people_is_audited_once_per_request_under_concurrency(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, Any]],
    graph_server: LocalServer,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client, _, ids = world
    settings = settings_for(graph_server)
    rp = bearer(api_key(settings, "relying_party", name="concurrent reader"))
    inv = bearer(api_key(settings, "investigator", name="linkage reader"))
    auditor = bearer(api_key(settings, "auditor", name="read audit"))
    masked = {n: n[:6] + "********" + n[-4:] for n in (P, Q)}
    # People reached through a company, aliases and a search: one entry per request.
    query = (
        f'{{ a: company(uscc: "{C}") {{ legalRepresentative {{ name }} '
        "shareholders { holder { name } } } "
        f'b: search(query: "{REP}", kind: PERSON) {{ edges {{ node {{ entity {{ name }} }} }} }} }}'
    )
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: ask(client, query, rp), range(20)))
    assert all("errors" not in a for a in answers), answers[0]
    entries = entries_of(client, rp, auditor)
    assert len(entries) == 20
    # Each names the representative, the shareholder and whoever the search found, once.
    assert all({masked[P], masked[Q]} <= set(e["subjects"]) for e in entries), entries
    assert all(len(e["subjects"]) == len(set(e["subjects"])) for e in entries)
    assert len({tuple(e["subjects"]) for e in entries}) == 1
    assert {e["operation"] for e in entries} == {"company,search"}
    # An investigation query that returns people is a read of them too.
    linkage = f'{{ linkage(id: "{ids["company"]}", hops: 1) {{ nodes {{ entity {{ name }} }} }} }}'
    assert "errors" not in ask(client, linkage, inv)
    (entry,) = entries_of(client, inv, auditor)
    assert entry["operation"] == "linkage" and {masked[P], masked[Q]} <= set(entry["subjects"])
    # Asking for companies only reads no one.
    companies = f'{{ linkage(id: "{ids["company"]}", hops: 1) {{ nodes {{ hops }} }} }}'
    assert "errors" not in ask(client, companies, inv)
    assert len(entries_of(client, inv, auditor)) == 1


def test_each_websocket_operation_that_reads_a_person_has_its_entry(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, Any]],
    graph_server: LocalServer,
) -> None:
    client, _, _ = world
    settings = settings_for(graph_server)
    rp = bearer(api_key(settings, "relying_party", name="socket reader"))
    auditor = bearer(api_key(settings, "auditor", name="socket audit"))
    query = f'{{ company(uscc: "{C}") {{ legalRepresentative {{ name }} }} }}'
    with graphql_ws(client, rp) as ws:
        for n in range(3):
            ws.send_json({"id": str(n), "type": "subscribe", "payload": {"query": query}})
            answer = ws_json(ws)
            assert answer["type"] == "next" and "errors" not in answer["payload"], answer
            assert ws_json(ws)["type"] == "complete"
    entries = entries_of(client, rp, auditor)
    assert [e["operation"] for e in entries] == ["company"] * 3
    # 20 at once: four connections, five operations in flight on each before any answer.
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(graphql_ws(client, rp)) for _ in range(4)]
        for c, ws in enumerate(sockets):
            for n in range(5):
                ws.send_json({"id": f"{c}-{n}", "type": "subscribe", "payload": {"query": query}})
        for ws in sockets:
            kinds = [ws_json(ws)["type"] for _ in range(10)]
            assert sorted(kinds) == ["complete"] * 5 + ["next"] * 5, kinds
    entries = entries_of(client, rp, auditor)
    assert [e["operation"] for e in entries] == ["company"] * 23
    assert len({e["seq"] for e in entries}) == 23
