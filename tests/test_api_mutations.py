"""Registry writes through GraphQL: result unions naming the field, nothing written on refusal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from backend.local import LocalServer
from config.settings import Settings
from tests.conftest import settings_for
from tests.factories import api_key, bearer, id_number, uscc

UPSERT_COMPANY = """
mutation($input: UpsertCompanyInput!) { upsertCompany(input: $input) {
  __typename
  ... on UpsertCompanySuccess { created company { uscc name status foundedOn usccValid
                                                  registrationAuthority } }
  ... on InvalidInput { field message }
} }
"""
UPSERT_PERSON = """
mutation($input: UpsertPersonInput!) { upsertPerson(input: $input) {
  __typename
  ... on UpsertPersonSuccess { created person { name idNumber } }
  ... on InvalidInput { field message }
} }
"""
LINK = """
mutation($input: LinkEntitiesInput!) { linkEntities(input: $input) {
  __typename
  ... on LinkEntitiesSuccess { created rel from { name } to { uscc shareholders { stake } } }
  ... on InvalidInput { field message }
} }
"""
ADD_RECORD = """
mutation($input: AddRecordInput!) { addRecord(input: $input) {
  __typename
  ... on AddRecordSuccess { created record { recordId polarity severity status subject { name } } }
  ... on InvalidInput { field message }
} }
"""


@pytest.fixture(scope="module")
def api(graph_server: LocalServer) -> Iterator[TestClient]:
    settings = settings_for(graph_server)
    with TestClient(create_app(settings), headers=bearer(api_key(settings, "registrar"))) as client:
        yield client


def run(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    body = client.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body
    result: dict[str, Any] = next(iter(body["data"].values()))
    return result


def test_mutations_upsert_company_creates_then_updates(api: TestClient) -> None:
    code = uscc(501)
    made = run(
        api,
        UPSERT_COMPANY,
        input={
            "uscc": code,
            "name": "杭州测试有限公司",
            "foundedOn": "2001-02-03",
            "registrationAuthority": "杭州市市场监督管理局",
        },
    )
    assert made == {
        "__typename": "UpsertCompanySuccess",
        "created": True,
        "company": {
            "uscc": code,
            "name": "杭州测试有限公司",
            "status": "ACTIVE",
            "foundedOn": "2001-02-03",
            "usccValid": True,
            "registrationAuthority": "杭州市市场监督管理局",
        },
    }
    again = run(
        api, UPSERT_COMPANY, input={"uscc": code, "name": "杭州新名有限公司", "status": "REVOKED"}
    )
    assert again["created"] is False
    assert again["company"]["name"] == "杭州新名有限公司"
    assert again["company"]["status"] == "REVOKED"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"uscc": "91-bad", "name": "x"}, "uscc", "a USCC has 18 characters, got 5"),
        ({"uscc": uscc(502), "name": "  "}, "name", "is required"),
        (
            {"uscc": uscc(502), "name": "x", "phone": "call me"},
            "phone",
            "is not a phone number: 'call me'",
        ),
        (
            {"uscc": uscc(502), "name": "x", "foundedOn": "2999-01-01"},
            "foundedOn",
            "2999-01-01 is in the future",
        ),
        (
            {"uscc": uscc(502), "name": "x", "registrationNumber": "??"},
            "registrationNumber",
            "must be 6-30 digits, capital letters or '-'",
        ),
    ],
)
def test_mutations_invalid_company_names_the_field(
    api: TestClient, payload: dict[str, Any], field: str, message: str
) -> None:
    result = run(api, UPSERT_COMPANY, input=payload)
    assert result == {"__typename": "InvalidInput", "field": field, "message": message}
    found = api.post(
        "/graphql",
        json={
            "query": "query($u: String!) { company(uscc: $u) { name } }",
            "variables": {"u": uscc(502)},
        },
    ).json()
    assert found["data"]["company"] is None


def test_mutations_link_and_record_need_known_ends(api: TestClient) -> None:
    run(api, UPSERT_COMPANY, input={"uscc": uscc(510), "name": "南京甲有限公司"})
    person = run(api, UPSERT_PERSON, input={"idNumber": id_number(510), "name": "李四"})
    # A registrar sees the whole number (masking for other roles: tests/test_api_access.py).
    assert person["created"] is True and person["person"]["idNumber"] == id_number(510)

    unknown = run(
        api,
        LINK,
        input={"rel": "SHAREHOLDER_OF", "from": id_number(511), "to": uscc(510), "stake": 0.5},
    )
    assert unknown == {
        "__typename": "InvalidInput",
        "field": "from",
        "message": f"no person or company {id_number(511)} in the registry",
    }
    no_stake = run(
        api, LINK, input={"rel": "SHAREHOLDER_OF", "from": id_number(510), "to": uscc(510)}
    )
    assert no_stake["field"] == "stake"
    linked = run(
        api,
        LINK,
        input={"rel": "SHAREHOLDER_OF", "from": id_number(510), "to": uscc(510), "stake": 0.5},
    )
    assert linked["__typename"] == "LinkEntitiesSuccess"
    assert linked["from"] == {"name": "李四"}
    assert linked["to"]["shareholders"] == [{"stake": 0.5}]
    assert linked["created"] is True
    wrong_way = run(api, LINK, input={"rel": "BRANCH_OF", "from": uscc(511), "to": uscc(510)})
    assert wrong_way["field"] == "from"

    record = {
        "subject": id_number(510),
        "recordId": "API-1",
        "authority": "南京市公安局",
        "category": "SOCIAL",
        "code": "FARE_EVASION",
        "polarity": "WARNING",
        "severity": "MINOR",
        "decidedOn": "2024-01-02",
    }
    added = run(api, ADD_RECORD, input=record)
    assert added == {
        "__typename": "AddRecordSuccess",
        "created": True,
        "record": {
            "recordId": "API-1",
            "polarity": "WARNING",
            "severity": "MINOR",
            "status": "ACTIVE",
            "subject": {"name": "李四"},
        },
    }
    moved = run(api, ADD_RECORD, input={**record, "subject": uscc(510)})
    assert moved["field"] == "recordId"
    assert "another subject" in moved["message"]
    orphan = run(api, ADD_RECORD, input={**record, "recordId": "API-2", "subject": uscc(512)})
    assert orphan == {
        "__typename": "InvalidInput",
        "field": "subject",
        "message": f"no person or company {uscc(512)} in the registry",
    }


def test_mutations_refused_when_writes_are_off(graph_server: LocalServer) -> None:
    settings: Settings = settings_for(graph_server, env="production")
    assert settings.writes_allowed is False
    with TestClient(create_app(settings), headers=bearer(api_key(settings, "registrar"))) as client:
        body = client.post(
            "/graphql",
            json={
                "query": UPSERT_COMPANY,
                "variables": {"input": {"uscc": uscc(520), "name": "x"}},
            },
        ).json()
    assert body["data"] == {"upsertCompany": None}
    assert body["errors"][0]["message"].startswith("writes are turned off")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"description": "罚款\u202e元0001"}, "description", "U+202E"),
        ({"authority": "\u200b北京市朝阳区人民法院"}, "authority", "U+200B"),
        ({"code": "MADE_UP_CODE"}, "code", "MADE_UP_CODE is not in the record-code catalogue"),
        ({"polarity": "GOOD"}, "polarity", "JUDGMENT_DEFAULT is a warning record"),
    ],
)
def test_mutations_refuse_hidden_characters_and_codes_outside_the_catalogue(
    api: TestClient, change: dict[str, Any], field: str, message: str
) -> None:
    record = {
        "subject": uscc(501), "recordId": "REFUSED-1", "authority": "北京市朝阳区人民法院",
        "category": "JUDICIAL", "code": "JUDGMENT_DEFAULT", "polarity": "WARNING",
        "severity": "SERIOUS", "decidedOn": "2026-09-01",
    } | change  # fmt: skip
    result = run(api, ADD_RECORD, input=record)
    assert result["__typename"] == "InvalidInput" and result["field"] == field
    assert message in result["message"]
    person = run(
        api,
        "mutation($i: UpsertPersonInput!) { upsertPerson(input: $i) { __typename "
        "... on InvalidInput { field message } } }",
        i={"idNumber": id_number(509), "name": "张\u202e三"},
    )
    assert person["__typename"] == "InvalidInput" and person["field"] == "name"


def test_concurrent_batches_from_two_workers_all_commit_with_their_entries(
    graph_server: LocalServer,
) -> None:
    # Two apps are two workers: each appends to the one audit chain and writes the same
    # people; the loser of each race is retried, none is reported unavailable.
    from concurrent.futures import ThreadPoolExecutor

    settings = settings_for(graph_server)
    registrar = bearer(api_key(settings, "registrar", name="race desk"))
    auditor = bearer(api_key(settings, "auditor", name="race audit"))
    upsert = (
        "mutation($i: UpsertPersonInput!) { upsertPerson(input: $i) { __typename "
        "... on UpsertPersonSuccess { person { name } } } }"
    )
    people = [id_number(560 + n) for n in range(10)]
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:

        def batch(client: TestClient, round_: int) -> Any:
            ops = [
                {"query": upsert, "variables": {"i": {"idNumber": p, "name": f"竞争{round_}"}}}
                for p in people
            ]
            return client.post("/graphql", json=ops, headers=registrar)

        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(batch, [one, two, one, two], [1, 2, 3, 4]))
        for answer in answers:
            assert answer.status_code == 200, answer.text
            results = [item["data"]["upsertPerson"] for item in answer.json()]
            assert [r["__typename"] for r in results] == ["UpsertPersonSuccess"] * 10
        log = one.post(
            "/graphql",
            json={"query": "{ auditLog(first: 100) { edges { node { operation keyId } } } }"},
            headers=auditor,
        ).json()
        key_id = registrar["Authorization"].split("_")[1]
        entries = [
            e for e in log["data"]["auditLog"]["edges"]
            if e["node"]["keyId"] == key_id and e["node"]["operation"] == "upsertPerson"
        ]  # fmt: skip
        assert len(entries) == 40  # every write has its entry
        verified = one.post("/graphql", json={"query": "{ auditVerification { intact } }"},
                            headers=auditor).json()  # fmt: skip
        assert verified["data"]["auditVerification"]["intact"] is True


def test_refused_writes_are_recorded_as_refusals(graph_server: LocalServer) -> None:
    settings = settings_for(graph_server)
    registrar = bearer(api_key(settings, "registrar", name="refused desk"))
    auditor = bearer(api_key(settings, "auditor", name="refusal audit"))
    link = (
        f'mutation {{ linkEntities(input: {{rel: SHAREHOLDER_OF, from: "{uscc(598)}", '
        f'to: "{uscc(599)}", stake: 0.5}}) {{ __typename }} }}'
    )
    with TestClient(create_app(settings)) as client:
        body = client.post("/graphql", json={"query": link}, headers=registrar).json()
        assert body["data"]["linkEntities"]["__typename"] == "InvalidInput"
        log = client.post(
            "/graphql",
            json={"query": "{ auditLog(first: 20) { edges { node { operation kind keyId "
                  "subjects } } } }"},
            headers=auditor,
        ).json()  # fmt: skip
    key_id = registrar["Authorization"].split("_")[1]
    mine = [e["node"] for e in log["data"]["auditLog"]["edges"] if e["node"]["keyId"] == key_id]
    assert mine == [
        {"operation": "linkEntities", "kind": "REFUSED", "keyId": key_id, "subjects": []}
    ]


def test_mutations_write_parties_registered_or_identified_abroad(api: TestClient) -> None:
    made = run(
        api,
        "mutation($i: UpsertCompanyInput!) { upsertCompany(input: $i) { __typename "
        "... on UpsertCompanySuccess { created company { key uscc jurisdiction registryNumber } }"
        " ... on InvalidInput { field message } } }",
        i={"jurisdiction": "ky", "registryNumber": "MC-900511", "name": "Offshore Parent Inc."},
    )
    assert made == {
        "__typename": "UpsertCompanySuccess",
        "created": True,
        "company": {
            "key": "KY:MC-900511",
            "uscc": None,
            "jurisdiction": "KY",
            "registryNumber": "MC-900511",
        },
    }
    missing = run(
        api,
        "mutation($i: UpsertCompanyInput!) { upsertCompany(input: $i) { __typename "
        "... on InvalidInput { field message } } }",
        i={"jurisdiction": "HK", "name": "No Number Ltd."},
    )
    assert missing == {
        "__typename": "InvalidInput",
        "field": "registryNumber",
        "message": "is required",
    }
    person = run(
        api,
        "mutation($i: UpsertPersonInput!) { upsertPerson(input: $i) { __typename "
        "... on UpsertPersonSuccess { person { idNumber idType nationality } } "
        "... on InvalidInput { field message } } }",
        i={"idNumber": "K9005110", "idType": "PASSPORT", "nationality": "SG", "name": "Tan Wei"},
    )
    assert person["person"] == {"idNumber": "K9005110", "idType": "PASSPORT", "nationality": "SG"}
    linked = run(
        api,
        LINK,
        input={"rel": "SHAREHOLDER_OF", "from": "passport:SG:K9005110", "to": "KY:MC-900511"}
        | {"stake": 0.75},
    )
    assert linked["__typename"] == "LinkEntitiesSuccess"
    assert linked["from"] == {"name": "Tan Wei"}
    assert linked["to"] == {"uscc": None, "shareholders": [{"stake": 0.75}]}
    record = run(
        api,
        ADD_RECORD,
        input={
            "subject": "passport:sg:k9005110",
            "recordId": "M-SG-1",
            "authority": "上海市浦东新区人民法院",
            "category": "JUDICIAL",
            "code": "JUDGMENT_DEFAULT",
            "polarity": "WARNING",
            "severity": "SERIOUS",
            "decidedOn": "2026-03-02",
        },
    )
    assert record["__typename"] == "AddRecordSuccess"
    assert record["record"]["subject"] == {"name": "Tan Wei"}
