"""What a client can build on without reading our code: every error carries a code from
``api.codes`` (HTTP refusals too), expected failures stay at their field, several operations
need an ``operationName``, invalid input names every field at fault, and trusted-documents mode
runs only registered documents."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from strawberry import relay

from api.app import create_app
from api.codes import ErrorCode
from api.schema import build_schema
from api.trusted import digest_of
from backend.local import LocalServer
from config.settings import Settings
from tests.conftest import settings_for
from tests.factories import (
    api_key,
    bearer,
    company_row,
    graphql_ws,
    import_rows,
    person_row,
    uscc,
    ws_json,
)

C1 = uscc(870)
GREEDY = """{ search(query: "科技", first: 100) { edges { node { entity {
  records(first: 100) { edges { node { subject { records(first: 100) { totalCount } } } } }
} } } } }"""


@pytest.fixture(scope="module")
def world(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import_rows(
        settings,
        [company_row(870, name="错误码测试有限公司"), person_row(870, name="错误码")],
        tmp_path_factory.mktemp("errors"),
    )
    return {
        "settings": settings,
        "registrar": bearer(api_key(settings, "registrar")),
        "relying_party": bearer(api_key(settings, "relying_party")),
        "investigator": bearer(api_key(settings, "investigator")),
        "company": str(relay.GlobalID("Company", C1)),
    }


@pytest.fixture(scope="module")
def client(world: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(world["settings"])) as c:
        yield c


def post(client: TestClient, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post("/graphql", json=body, headers=headers or {})


def codes(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


# One request of each kind, as a client would send it, and the code it must carry.
def test_every_kind_of_graphql_error_carries_its_code(
    client: TestClient, world: dict[str, Any]
) -> None:
    registrar, party = world["registrar"], world["relying_party"]
    cases: list[tuple[dict[str, Any], dict[str, str] | None, tuple[str, str | None]]] = [
        ({"query": "{ serviceVersion "}, None, ("GRAPHQL_PARSE_FAILED", None)),
        ({"query": "{ serviceVersion(x: 1) }"}, None, ("GRAPHQL_VALIDATION_FAILED", None)),
        (
            {"query": "query A { serviceVersion } query B { serviceVersion }"},
            None,
            ("OPERATION_RESOLUTION_FAILURE", "operationName"),
        ),
        ({"query": '{ node(id: "nonsense") { id } }'}, None, ("BAD_USER_INPUT", "id")),
        (
            {
                "query": "query($n: Int) { publicity(first: $n) { totalCount } }",
                "variables": {"n": "many"},
            },
            None,
            ("BAD_USER_INPUT", "n"),
        ),
        ({"query": "{ publicity(first: 1000) { totalCount } }"}, None, ("BAD_USER_INPUT", "first")),
        (
            {"query": f'{{ ultimateOwners(uscc: "{uscc(871)}") {{ effectiveStake }} }}'},
            world["investigator"],
            ("NOT_FOUND", "uscc"),
        ),
        (
            {"query": f'{{ linkage(id: "{world["company"]}") {{ truncated }} }}'},
            party,
            ("FORBIDDEN", "linkage"),
        ),
        ({"query": GREEDY}, registrar, ("COST_EXCEEDED", None)),
    ]
    for body, headers, expected in cases:
        answer = post(client, body, headers).json()
        assert codes(answer)[:1] == [expected], (body, answer)
        assert all(e["extensions"]["code"] in ErrorCode.__members__ for e in answer["errors"])


def test_every_http_refusal_carries_its_code(graph_server: LocalServer) -> None:
    settings = settings_for(graph_server, public_rate_limit=6)
    with TestClient(create_app(settings)) as client:
        bad_key = post(client, {"query": "{ serviceVersion }"}, bearer("cg_nope_x"))
        assert bad_key.status_code == 401
        assert bad_key.json()["code"] == "UNAUTHENTICATED"
        assert bad_key.json()["error"] == "unauthorized" and bad_key.json()["reason"]
        not_json = client.post(
            "/graphql", content=b"{", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400 and not_json.json()["code"] == "BAD_REQUEST"
        unknown = post(client, {"query": "query A { serviceVersion }", "operationName": "B"})
        assert unknown.status_code == 400
        assert unknown.json()["code"] == "OPERATION_RESOLUTION_FAILURE"
        batch = post(client, [{"query": GREEDY}] * 2)
        assert batch.status_code == 400 and batch.json()["code"] == "COST_EXCEEDED"
        for _ in range(6):  # past the public's 6 a minute, whatever the requests above took
            limited = post(client, {"query": "{ serviceVersion }"})
            if limited.status_code != 200:
                break
        assert limited.status_code == 429, limited.text
        assert limited.json()["code"] == "RATE_LIMITED"
    slow = settings_for(graph_server, request_timeout=0.001)
    with TestClient(create_app(slow)) as client:
        timed_out = post(
            client, {"query": '{ search(query: "错误码测试", first: 50) { totalCount } }'}
        )
        assert timed_out.status_code == 504 and timed_out.json()["code"] == "TIMEOUT"


def test_an_unexpected_fault_is_internal() -> None:
    # A schema run without the context every request has: our code fails, the client is told
    # INTERNAL and nothing more. (UNAVAILABLE, with the graph server killed, is
    # tests/test_faults.py's; an unknown key while it is down, tests/test_api_limits.py's.)
    internal = asyncio.run(build_schema().execute("{ publicity(first: 1) { totalCount } }"))
    assert internal.errors is not None
    assert [e.extensions for e in internal.errors] == [{"code": "INTERNAL"}]
    assert internal.errors[0].message == "Unexpected error."


def test_codes_hold_under_twenty_concurrent_mixed_requests(
    client: TestClient, world: dict[str, Any]
) -> None:
    """40 requests, 20 at once, of five kinds with aliases: each answer carries its own code,
    never another request's."""
    kinds: list[tuple[dict[str, Any], dict[str, str] | None, list[tuple[str, str | None]]]] = [
        (
            {"query": '{ a: node(id: "x") { id } b: serviceVersion }'},
            None,
            [("BAD_USER_INPUT", "id")],
        ),
        (
            {
                "query": "{ a: linkage(id: $ID) { truncated } b: serviceVersion }".replace(
                    "$ID", f'"{world["company"]}"'
                )
            },
            world["relying_party"],
            [("FORBIDDEN", "linkage")],
        ),
        ({"query": "{ a: serviceVersion b: serviceVersion }"}, None, []),
        (
            {"query": "{ a: publicity(first: 0) { totalCount } }"},
            None,
            [("BAD_USER_INPUT", "first")],
        ),
        ({"query": "{ serviceVersion(x: 1) }"}, None, [("GRAPHQL_VALIDATION_FAILED", None)]),
    ]

    def ask(kind: int) -> tuple[int, Any]:
        body, headers, _ = kinds[kind]
        return kind, post(client, body, headers).json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(ask, [i % len(kinds) for i in range(40)]))
    for kind, answer in answers:
        expected = kinds[kind][2]
        assert (codes(answer) if "errors" in answer else []) == expected, answer


def test_a_failing_nested_field_leaves_its_parent_and_siblings(
    client: TestClient, world: dict[str, Any]
) -> None:
    query = """query($u: String) { serviceVersion company(uscc: $u) {
      name bad: score(scheme: "nope") { value } good: score { level }
      records(first: 1000) { totalCount } } }"""
    answer = post(client, {"query": query, "variables": {"u": C1}}, world["registrar"]).json()
    company = answer["data"]["company"]
    assert company["name"] == "错误码测试有限公司" and answer["data"]["serviceVersion"]
    assert company["bad"] is None and company["records"] is None
    assert company["good"]["level"] in ("A", "B", "C", "D")
    by_path = {tuple(e["path"]): e for e in answer["errors"]}
    assert by_path[("company", "bad")]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "scheme",
    }
    assert by_path[("company", "records")]["extensions"]["field"] == "first"
    # The public searching people: the search is null with its reason, the rest answers.
    people = post(
        client, {"query": '{ serviceVersion search(query: "错误码", kind: PERSON) { totalCount } }'}
    )
    assert people.json()["data"]["search"] is None and people.json()["data"]["serviceVersion"]
    assert codes(people.json()) == [("FORBIDDEN", "search")]
    anyone = post(client, {"query": '{ search(query: "错误码") { totalCount excludedKinds } }'})
    assert anyone.json()["data"]["search"]["excludedKinds"] == ["PERSON"]


def test_several_operations_need_an_operation_name(client: TestClient) -> None:
    document = "query A { serviceVersion } query B { schemes { id } }"
    both = post(client, {"query": document}).json()
    assert both["data"] is None
    assert both["errors"][0]["message"].startswith("operationName: the document holds 2 operations")
    chosen = post(client, {"query": document, "operationName": "B"}).json()
    assert set(chosen["data"]) == {"schemes"}
    # The GraphQL-over-HTTP media type answers it as a request error: 400.
    strict = client.post(
        "/graphql",
        json={"query": document},
        headers={"accept": "application/graphql-response+json"},
    )
    assert strict.status_code == 400


UPSERT = """mutation($input: UpsertCompanyInput!) { upsertCompany(input: $input) {
  __typename ... on InvalidInput { field message problems { field message } } } }"""


def test_invalid_input_names_every_field_at_fault(
    client: TestClient, world: dict[str, Any]
) -> None:
    bad = {
        "uscc": "not-a-code",
        "name": "  ",
        "phone": "call me",
        "registrationNumber": "12",
        "foundedOn": "2020-01-01",
    }
    answer = post(client, {"query": UPSERT, "variables": {"input": bad}}, world["registrar"]).json()
    refused = answer["data"]["upsertCompany"]
    assert refused["__typename"] == "InvalidInput"
    fields = [p["field"] for p in refused["problems"]]
    assert set(fields) == {"uscc", "name", "phone", "registrationNumber"}, refused
    assert (refused["field"], refused["message"]) == (fields[0], refused["problems"][0]["message"])
    assert all(p["message"] for p in refused["problems"])
    one = {**bad, "uscc": uscc(872), "name": "好名字", "registrationNumber": None}
    single = post(client, {"query": UPSERT, "variables": {"input": one}}, world["registrar"]).json()
    assert [p["field"] for p in single["data"]["upsertCompany"]["problems"]] == ["phone"]


def test_trusted_documents_run_only_registered_operations(
    graph_server: LocalServer, tmp_path: Path
) -> None:
    registered = "query Version { serviceVersion }"
    other_client = "query Schemes { schemes { id } }"
    first, second = tmp_path / "console.json", tmp_path / "partner.json"
    first.write_text(json.dumps({digest_of(registered): registered}))
    second.write_text(json.dumps({"sha256:" + digest_of(other_client): other_client}))
    settings = settings_for(graph_server, trusted_documents=f"{first},{second}")
    digest = digest_of(registered)
    with TestClient(create_app(settings)) as client:
        version = post(client, {"query": registered}).json()["data"]["serviceVersion"]
        assert version
        assert "schemes" in post(client, {"query": other_client}).json()["data"]
        by_id = post(client, {"documentId": f"sha256:{digest}"}).json()
        assert by_id["data"]["serviceVersion"]
        apollo = post(
            client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
        )
        assert apollo.json()["data"]["serviceVersion"]
        got = client.get("/graphql", params={"documentId": f"sha256:{digest}"})
        assert got.status_code == 200 and got.json()["data"]["serviceVersion"]
        batch = post(client, [{"query": registered}, {"documentId": digest}]).json()
        assert [a["data"]["serviceVersion"] for a in batch] == [version] * 2
        for refused in (
            post(client, {"query": "{ serviceVersion }"}),  # the same field, another text
            post(client, {"documentId": "sha256:" + "0" * 64}),
            post(client, [{"query": registered}, {"query": "{ schemes { id } }"}]),
            post(client, {"query": other_client, "documentId": digest}),
            client.get("/graphql", params={"query": "{ serviceVersion }"}),
            client.post(
                "/graphql", content=registered, headers={"content-type": "application/graphql"}
            ),
        ):
            assert refused.status_code == 400, refused.text
            assert refused.json()["code"] == "DOCUMENT_NOT_TRUSTED", refused.text
        with graphql_ws(client) as ws:
            ws.send_json(
                {"id": "1", "type": "subscribe", "payload": {"query": "{ serviceVersion }"}}
            )
            error = ws_json(ws)
            assert error["type"] == "error"
            assert error["payload"][0]["extensions"]["code"] == "DOCUMENT_NOT_TRUSTED"
            ws.send_json({"id": "2", "type": "subscribe", "payload": {"documentId": digest}})
            assert ws_json(ws)["payload"]["data"]["serviceVersion"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"0" * 64: registered}))
    with pytest.raises(ValueError, match="is not the SHA-256 of its document"):
        create_app(settings_for(graph_server, trusted_documents=str(broken)))


def test_trusted_documents_hold_under_twenty_concurrent_requests(
    graph_server: LocalServer, tmp_path: Path
) -> None:
    """40 requests, 20 at once: registered documents by text and by id, an unregistered one
    with aliases, and a batch hiding one unregistered operation; each gets its own answer."""
    registered = "query Version { serviceVersion }"
    manifest = tmp_path / "console.json"
    manifest.write_text(json.dumps({digest_of(registered): registered}))
    settings = settings_for(graph_server, trusted_documents=str(manifest))
    kinds: list[tuple[Any, int]] = [
        ({"query": registered}, 200),
        ({"documentId": "sha256:" + digest_of(registered)}, 200),
        ({"query": "{ a: serviceVersion b: serviceVersion }"}, 400),
        ([{"query": registered}, {"query": "{ serviceVersion }"}], 400),
    ]
    with TestClient(create_app(settings)) as client:

        def ask(kind: int) -> tuple[int, Any]:
            answer = post(client, kinds[kind][0])
            return kind, (answer.status_code, answer.json())

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(ask, [i % len(kinds) for i in range(40)]))
    for kind, (status, body) in answers:
        assert status == kinds[kind][1], body
        if status == 200:
            assert body["data"]["serviceVersion"] and "errors" not in body
        else:
            assert body["code"] == "DOCUMENT_NOT_TRUSTED" and "data" not in body


def test_the_console_registers_every_document_it_sends() -> None:
    root = Path(__file__).resolve().parent.parent
    manifest = json.loads((root / "console" / "dist" / "trusted-documents.json").read_text())
    from tests.test_console_documents import documents

    sent = documents()
    assert sent and set(manifest.values()) == set(sent.values())
    assert all(digest_of(text) == key for key, text in manifest.items())


def test_siblings_of_a_failed_non_null_field_are_closed_not_run() -> None:
    """A non-null field that fails nulls its parent: graphql-core would still run the siblings
    already made (in the background, after the answer). Ours closes those not yet started, so
    nothing runs for an answer already given and no coroutine is left unawaited."""
    import gc
    import warnings

    import strawberry

    from api.schema import ClosingExecutor

    ran: list[str] = []

    @strawberry.type
    class Query:
        @strawberry.field
        async def first(self) -> int:
            ran.append("first")
            return 1

        @strawberry.field
        def failing(self) -> int:
            raise ValueError("no")

    async def run(schema: strawberry.Schema) -> Any:
        result = await schema.execute("{ first failing }")
        await asyncio.sleep(0.01)  # what was left to the background has had its turn
        return result

    plain = asyncio.run(run(strawberry.Schema(query=Query)))
    assert plain.data is None and ran == ["first"]  # graphql-core runs it after the answer
    ran.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        closing = strawberry.Schema(query=Query, execution_context_class=ClosingExecutor)
        answer = asyncio.run(run(closing))
        gc.collect()
    assert answer.data is None and [e.message for e in answer.errors or []] == ["no"]
    assert ran == []
    assert not [w for w in caught if "never awaited" in str(w.message)]
