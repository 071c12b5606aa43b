"""The registry's GraphQL reads over HTTP: lookups, relationships, records, publicity, search."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from graph.driver import Graph
from ingest.importer import Importer
from tests.factories import (
    api_key,
    bearer,
    company_row,
    id_number,
    link_row,
    person_row,
    record_row,
    uscc,
)


def seed_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        company_row(1, name="北京华为技术有限公司"),
        company_row(2, name="上海华联超市股份有限公司", registration_number="310000400111222"),
        company_row(3, name="北京华为技术有限公司朝阳分公司"),
        company_row(4, name="深圳腾讯计算机系统有限公司", uscc=uscc(4, valid=False)),
        person_row(1, name="任正非"),
        person_row(2, name="孙亚芳"),
        person_row(3, name="张伟"),
        link_row("LEGAL_REPRESENTATIVE_OF", id_number(1), uscc(1), since="2018-01-01"),
        link_row("LEGAL_REPRESENTATIVE_OF", id_number(3), uscc(2)),
        link_row("SHAREHOLDER_OF", id_number(1), uscc(1), stake=0.3),
        link_row("SHAREHOLDER_OF", uscc(2), uscc(1), stake=0.6),
        link_row("OFFICER_OF", id_number(2), uscc(1), role="董事长"),
        link_row("BRANCH_OF", uscc(3), uscc(1)),
    ]
    for n in range(5):
        rows.append(record_row(f"W{n}", uscc(1), decided_on=f"2024-0{n + 1}-15"))
    rows.append(
        record_row(
            "G1",
            uscc(1),
            polarity="good",
            code="TAX_GRADE_A",
            category="administrative",
            severity="general",
            decided_on="2024-06-01",
            penalty=None,
        )
    )
    rows.append(
        record_row(
            "P1",
            id_number(3),
            code="FARE_EVASION",
            category="social",
            severity="minor",
            decided_on="2024-07-01",
        )
    )
    return rows


@pytest.fixture(scope="module")
def api(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    async def seed() -> None:
        graph = await Graph.connect(settings.graph_config())
        try:
            await graph.write("MATCH (n) WHERE NOT n:__Neo4jMigration DETACH DELETE n")
            path = tmp_path_factory.mktemp("seed") / "seed.jsonl"
            path.write_bytes(b"\n".join(orjson.dumps(r) for r in seed_rows()))
            report = await Importer(graph).run([path])
            assert report.rejected == 0
        finally:
            await graph.close()

    asyncio.run(seed())  # the seed wipes the graph first: the key comes after it
    with TestClient(
        create_app(settings), headers=bearer(api_key(settings, "relying_party"))
    ) as client:
        yield client


def gql(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def data(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    body = gql(client, query, **variables)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


COMPANY = """
query($u: String!) { company(uscc: $u) {
  id uscc usccValid name registrationNumber status foundedOn organisationType region
  registrationAuthority jurisdiction
  legalRepresentative { name idNumber representedCompanies { uscc } }
  shareholders { stake holder { __typename name } }
  officers { role person { name offices { role company { uscc } } } }
  branches { name parent { uscc } }
  parent { uscc }
} }
"""


def test_api_company_with_its_linked_parties(api: TestClient) -> None:
    company = data(api, COMPANY, u=uscc(1))["company"]
    assert company["name"] == "北京华为技术有限公司"
    assert company["usccValid"] is True
    assert company["status"] == "ACTIVE"
    assert company["foundedOn"] == "2010-05-01"
    assert company["organisationType"] == "enterprise (企业)"
    assert company["region"] == "北京市朝阳区"
    assert company["registrationAuthority"] == "北京市朝阳区市场监督管理局"
    assert company["jurisdiction"] == "CN"
    rep = company["legalRepresentative"]
    assert rep["name"] == "任正非"
    assert rep["idNumber"] == id_number(1)[:6] + "********" + id_number(1)[-4:]
    assert rep["representedCompanies"] == [{"uscc": uscc(1)}]
    assert company["shareholders"] == [
        {"stake": 0.6, "holder": {"__typename": "Company", "name": "上海华联超市股份有限公司"}},
        {"stake": 0.3, "holder": {"__typename": "Person", "name": "任正非"}},
    ]
    assert company["officers"][0]["role"] == "董事长"
    assert company["officers"][0]["person"]["offices"] == [
        {"role": "董事长", "company": {"uscc": uscc(1)}}
    ]
    assert company["branches"] == [
        {"name": "北京华为技术有限公司朝阳分公司", "parent": {"uscc": uscc(1)}}
    ]
    assert company["parent"] is None


def test_api_company_lookups(api: TestClient) -> None:
    by_reg = data(api, '{ company(registrationNumber: "310000400111222") { uscc } }')
    assert by_reg["company"] == {"uscc": uscc(2)}
    flagged = data(
        api, "query($u: String!) { company(uscc: $u) { usccValid } }", u=uscc(4, valid=False)
    )
    assert flagged["company"] == {"usccValid": False}
    assert data(api, "query($u: String!) { company(uscc: $u) { name } }", u=uscc(99)) == {
        "company": None
    }
    bad = gql(api, '{ company(uscc: "12345") { name } }')
    assert bad["errors"][0]["message"] == "uscc: a USCC has 18 characters, got 5"
    both = gql(api, '{ company(uscc: "x", registrationNumber: "y") { name } }')
    assert "exactly one" in both["errors"][0]["message"]


def test_api_person_lookup_is_masked_and_opaque(api: TestClient) -> None:
    person = data(
        api,
        'query($n: String!) { person(idNumber: $n, name: "张伟") { id name idNumber } }',
        n=id_number(3),
    )["person"]
    assert person["name"] == "张伟"
    assert person["idNumber"].count("*") == 8
    assert id_number(3) not in str(person)
    import base64

    assert id_number(3) not in base64.b64decode(person["id"]).decode()
    again = data(
        api, "query($id: ID!) { node(id: $id) { ... on Person { name } } }", id=person["id"]
    )
    assert again["node"] == {"name": "张伟"}


def test_api_node_round_trips_every_type(api: TestClient) -> None:
    company = data(
        api,
        "query($u: String!) { company(uscc: $u) { id records(first: 1) { edges { node { id recordId } } } } }",
        u=uscc(1),
    )["company"]
    record = company["records"]["edges"][0]["node"]
    found = data(
        api,
        "query($a: ID!, $b: ID!) { nodes(ids: [$a, $b]) { __typename id } }",
        a=company["id"],
        b=record["id"],
    )
    assert found["nodes"] == [
        {"__typename": "Company", "id": company["id"]},
        {"__typename": "Record", "id": record["id"]},
    ]


RECORDS = """
query($u: String!, $after: String, $polarity: Polarity) { company(uscc: $u) {
  records(first: 2, after: $after, polarity: $polarity) {
    totalCount
    edges { cursor node { recordId code polarity severity authority caseNumber decidedOn status
                          subject { ... on Company { uscc } } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
} }
"""


def test_api_records_filter_and_page(api: TestClient) -> None:
    first = data(api, RECORDS, u=uscc(1))["company"]["records"]
    assert first["totalCount"] == 6
    assert [e["node"]["recordId"] for e in first["edges"]] == ["G1", "W4"]  # newest first
    assert first["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "endCursor": first["edges"][-1]["cursor"],
    }
    node = first["edges"][1]["node"]
    assert node["polarity"] == "WARNING" and node["severity"] == "SERIOUS"
    assert node["authority"] == "北京市朝阳区人民法院"
    assert node["subject"] == {"uscc": uscc(1)}
    second = data(api, RECORDS, u=uscc(1), after=first["pageInfo"]["endCursor"])["company"][
        "records"
    ]
    assert [e["node"]["recordId"] for e in second["edges"]] == ["W3", "W2"]
    assert second["pageInfo"]["hasPreviousPage"] is True
    warnings = data(api, RECORDS, u=uscc(1), polarity="WARNING")["company"]["records"]
    assert warnings["totalCount"] == 5
    bad = gql(api, RECORDS, u=uscc(1), after="not-a-cursor")
    assert bad["errors"][0]["message"].startswith("after:")


PUBLICITY = """
query($after: String, $since: Date) { publicity(first: 3, after: $after, since: $since) {
  edges { cursor node { recordId decidedOn penalty subject { name ... on Person { idNumber } } } }
  pageInfo { hasNextPage endCursor }
} }
"""


def test_api_publicity_lists_newest_warnings_of_companies_and_people_for_full_files(
    api: TestClient, settings: Settings
) -> None:
    # A relying party (this client) reads companies' records only: people's are in their files.
    page = data(api, PUBLICITY)["publicity"]
    assert [e["node"]["recordId"] for e in page["edges"]] == ["W4", "W3", "W2"]
    rest = data(api, PUBLICITY, after=page["pageInfo"]["endCursor"])["publicity"]
    assert [e["node"]["recordId"] for e in rest["edges"]] == ["W1", "W0"]
    assert rest["pageInfo"]["hasNextPage"] is False
    recent = data(api, PUBLICITY, since="2024-05-01")["publicity"]
    assert [e["node"]["recordId"] for e in recent["edges"]] == ["W4"]
    # An investigator reads people's too.
    inv = bearer(api_key(settings, "investigator", name="publicity desk"))
    body = api.post("/graphql", json={"query": PUBLICITY}, headers=inv).json()
    full = body["data"]["publicity"]["edges"]
    assert [e["node"]["recordId"] for e in full] == ["P1", "W4", "W3"]
    assert full[0]["node"]["subject"]["name"] == "张伟"


SEARCH = """
query($q: String!, $kind: SearchKind) { search(query: $q, kind: $kind, first: 5) {
  totalCount
  edges { node { score matchedOn via entity { __typename name ... on Company { uscc } } } }
} }
"""


def names(result: dict[str, Any]) -> list[str]:
    return [e["node"]["entity"]["name"] for e in result["search"]["edges"]]


@pytest.mark.parametrize(
    ("query", "first", "matched_on"),
    [
        ("华为", "北京华为技术有限公司", "NAME"),
        ("华联超市", "上海华联超市股份有限公司", "NAME"),
        ("华联招市", "上海华联超市股份有限公司", "NAME"),  # a typo
        ("腾讯计算机", "深圳腾讯计算机系统有限公司", "NAME"),
        ("任正非", "北京华为技术有限公司", "LEGAL_REPRESENTATIVE"),
        ("310000400111222", "上海华联超市股份有限公司", "REGISTRATION_NUMBER"),
    ],
)
def test_api_search_ranks_the_expected_first(
    api: TestClient, query: str, first: str, matched_on: str
) -> None:
    result = data(api, SEARCH, q=query, kind="COMPANY")
    assert names(result)[0] == first
    assert result["search"]["edges"][0]["node"]["matchedOn"] == matched_on


def test_api_search_by_uscc_prefix_and_kind(api: TestClient) -> None:
    result = data(api, SEARCH, q=uscc(1)[:12], kind="COMPANY")
    hits = [e["node"] for e in result["search"]["edges"]]
    assert all(h["matchedOn"] == "CODE" for h in hits)
    assert {h["entity"]["uscc"] for h in hits} >= {uscc(1), uscc(2), uscc(3)}
    people = data(api, SEARCH, q="张伟", kind="PERSON")
    assert [e["node"]["entity"]["__typename"] for e in people["search"]["edges"]] == ["Person"]
    scores = [e["node"]["score"] for e in data(api, SEARCH, q="华")["search"]["edges"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ search(query: "  ") { totalCount } }', "query: must not be empty"),
        ('{ search(query: "x", first: 0) { totalCount } }', "first: must be between 1 and 100"),
        ('{ search(query: "x", first: 101) { totalCount } }', "first: must be between 1 and 100"),
    ],
)
def test_api_search_bad_arguments_are_named(api: TestClient, query: str, message: str) -> None:
    assert gql(api, query)["errors"][0]["message"].startswith(message)


def test_api_search_input_cannot_inject_lucene(api: TestClient) -> None:
    for text in ("name:*", '华为" OR "x', "*:*", "((((", "华为~10^99"):
        body = gql(api, SEARCH, q=text)
        assert "errors" not in body, (text, body)


def test_api_schema_file_matches_the_code() -> None:
    from api.schema import build_schema

    exported = (Path(__file__).parent.parent / "api" / "schema.graphql").read_text()
    assert exported == build_schema().as_str() + "\n", (
        "api/schema.graphql is stale: run `credgraph schema --write`"
    )


# The whole ranked answer (not only the first hit), written down once: each backend's run of the
# suite checks its answer against the same list, so the two rank the same data the same way.
WHOLE_RANKINGS: dict[str, list[tuple[str, str]]] = {
    # A run of Chinese matches as a sequence: 上海华联 shares only 华, so it is no match.
    "华为": [("北京华为技术有限公司", "NAME"), ("北京华为技术有限公司朝阳分公司", "NAME")],
    # One character matches inside a name; names order hits of equal standing.
    "华": [
        ("上海华联超市股份有限公司", "NAME"),
        ("北京华为技术有限公司", "NAME"),
        ("北京华为技术有限公司朝阳分公司", "NAME"),
    ],
    "任正非": [("任正非", "NAME"), ("北京华为技术有限公司", "LEGAL_REPRESENTATIVE")],
    "华联招市": [("上海华联超市股份有限公司", "NAME")],  # one wrong character still finds it
}


@pytest.mark.parametrize("query", list(WHOLE_RANKINGS))
def test_api_search_ranks_the_same_whole_answer_on_every_backend(
    api: TestClient, query: str
) -> None:
    result = data(api, SEARCH, q=query, kind="ANY")
    answer = [
        (e["node"]["entity"]["name"], e["node"]["matchedOn"]) for e in result["search"]["edges"]
    ]
    assert answer == WHOLE_RANKINGS[query]
