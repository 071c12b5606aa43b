"""Nested list fields go through DataLoaders: a page costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from strawberry import relay

from api.app import create_app
from config.settings import Settings
from tests.factories import (
    company_row,
    id_number,
    import_rows,
    link_row,
    person_row,
    record_row,
    uscc,
)

FIRST = 700  # company numbers of their own, apart from other test modules


def rows() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n in range(FIRST, FIRST + 50):
        out += [company_row(n), person_row(n)]
        out.append(link_row("LEGAL_REPRESENTATIVE_OF", id_number(n), uscc(n)))
        out += [record_row(f"L{n}-{k}", uscc(n), decided_on=f"2023-01-{k + 10}") for k in range(5)]
    return out


@pytest.fixture(scope="module")
def api(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    import_rows(settings, rows(), tmp_path_factory.mktemp("loaders"))
    with TestClient(create_app(settings)) as client:
        yield client


QUERY = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on Company {
  name
  legalRepresentativeName
  records(first: 5) { totalCount edges { node { code decidedOn } } }
} } }
"""


def statements_for(client: TestClient, count: int) -> tuple[int, list[dict[str, Any]]]:
    ids = [str(relay.GlobalID("Company", uscc(n))) for n in range(FIRST, FIRST + count)]
    graph = client.app.state.graph  # type: ignore[attr-defined]
    before = graph.statements
    body = client.post("/graphql", json={"query": QUERY, "variables": {"ids": ids}}).json()
    assert "errors" not in body, body
    return graph.statements - before, body["data"]["nodes"]


def test_loaders_batch_nested_lists(api: TestClient) -> None:
    used, nodes = statements_for(api, 50)
    assert len(nodes) == 50
    assert all(node["legalRepresentativeName"] for node in nodes)
    assert all(node["records"]["totalCount"] == 5 for node in nodes)
    assert all(len(node["records"]["edges"]) == 5 for node in nodes)
    # companies, their representatives, their records: one statement each, whatever the count.
    assert used == 3
    assert statements_for(api, 10)[0] == used


LOOKUP = """
query($u: String!, $first: Int!, $status: RecordStatus) { company(uscc: $u) {
  name
  legalRepresentativeName
  ... on Entity { newest: records(first: $first, status: $status) { totalCount edges { node { code } } } }
  ... CompanyRecords
} }
fragment CompanyRecords on Company {
  records(first: 2, after: null) { totalCount pageInfo { hasNextPage } edges { node { code decidedOn } } }
}
"""
# The same lookup as the fields' own loaders would answer it: nothing selected on the root
# field's company but through a field the look-ahead does not know (`parent`, `node`).
BY_LOADERS = """
query($id: ID!, $first: Int!, $status: RecordStatus) { node(id: $id) { ... on Company {
  name
  legalRepresentativeName
  newest: records(first: $first, status: $status) { totalCount edges { node { code } } }
  records(first: 2, after: null) { totalCount pageInfo { hasNextPage } edges { node { code decidedOn } } }
} } }
"""


def _ask(client: TestClient, query: str, variables: dict[str, Any]) -> tuple[int, Any]:
    graph = client.app.state.graph  # type: ignore[attr-defined]
    before = graph.statements
    body = client.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body
    return graph.statements - before, body["data"]


@pytest.mark.parametrize("status", [None, "ACTIVE", "REMOVED"])
def test_a_company_lookup_reads_what_its_selection_asks_in_one_statement(
    api: TestClient, status: str | None
) -> None:
    n = FIRST + 7
    variables = {"u": uscc(n), "first": 4, "status": status}
    used, data = _ask(api, LOOKUP, variables)
    # The company, its representative and both pages of records: one statement.
    assert used == 1
    company = data["company"]
    assert company["name"] and company["legalRepresentativeName"]
    assert company["records"]["totalCount"] == 5
    assert [e["node"]["decidedOn"] for e in company["records"]["edges"]] == [
        "2023-01-14",
        "2023-01-13",
    ]
    assert company["records"]["pageInfo"]["hasNextPage"] is True
    expected = 0 if status == "REMOVED" else 4
    assert len(company["newest"]["edges"]) == expected
    # The same answer as the loaders give field by field.
    node = str(relay.GlobalID("Company", uscc(n)))
    used_by_loaders, by_loaders = _ask(api, BY_LOADERS, {**variables, "id": node})
    assert used_by_loaders > used
    assert by_loaders["node"] == company


def test_a_lookup_of_no_company_or_a_bad_page_answers_as_without_look_ahead(
    api: TestClient,
) -> None:
    used, data = _ask(api, LOOKUP, {"u": uscc(FIRST + 999), "first": 4, "status": None})
    assert data == {"company": None} and used == 1
    # A page size out of range is the field's own error, at the field: the connection is
    # null, the company and its other fields stay (as without the look-ahead).
    body = api.post(
        "/graphql", json={"query": LOOKUP, "variables": {"u": uscc(FIRST), "first": 0}}
    ).json()
    assert body["data"]["company"]["newest"] is None and body["data"]["company"]["name"]
    assert [e["path"] for e in body["errors"]] == [["company", "newest"]]
    assert "first: must be between 1 and" in body["errors"][0]["message"]


NESTED_FIRST = FIRST + 60  # a small ownership web of its own
_NESTED_SELECTION = """name shareholders { stake holder { name
  ... on Company { holdings { stake company { name records(first: 3) { totalCount
    edges { node { recordId code } } } } } }
  ... on Person { idNumber holdings { stake company { name records(first: 3) { totalCount
    edges { node { recordId code } } } } } }
} }"""
NESTED = "query($u: String!) { company(uscc: $u) { " + _NESTED_SELECTION + " } }"
NESTED_BY_LOADERS = (
    "query($id: ID!) { node(id: $id) { ... on Company { " + _NESTED_SELECTION + " } } }"
)


def test_a_nested_lookup_is_one_statement_with_the_loaders_answer(
    api: TestClient, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Shareholders, their holdings and each holding's records: one statement for the whole
    tree, and the same answer as the fields' own loaders give level by level."""
    from tests.factories import api_key, bearer

    main, holder, held = uscc(NESTED_FIRST), uscc(NESTED_FIRST + 1), uscc(NESTED_FIRST + 2)
    other, person = uscc(NESTED_FIRST + 3), id_number(NESTED_FIRST)
    web: list[dict[str, Any]] = [company_row(NESTED_FIRST + n) for n in range(4)] + [
        person_row(NESTED_FIRST)
    ]
    web += [
        link_row("SHAREHOLDER_OF", person, main, stake=0.6),
        link_row("SHAREHOLDER_OF", holder, main, stake=0.4),
        link_row("SHAREHOLDER_OF", person, held, stake=1.0),
        link_row("SHAREHOLDER_OF", holder, other, stake=0.5),
        link_row("SHAREHOLDER_OF", main, other, stake=0.5),
    ]
    web += [
        record_row(f"N{n}-{k}", code, decided_on=f"2024-02-{k + 10}")
        for n, code in enumerate([held, other])
        for k in range(4)
    ]
    import_rows(settings, web, tmp_path_factory.mktemp("nested"))
    registrar = bearer(api_key(settings, "registrar"))
    graph = api.app.state.graph  # type: ignore[attr-defined]

    def ask(query: str, variables: dict[str, Any]) -> tuple[int, Any]:
        before = graph.statements
        body = api.post(
            "/graphql", json={"query": query, "variables": variables}, headers=registrar
        ).json()
        assert "errors" not in body, body
        return graph.statements - before, body["data"]

    ask(NESTED, {"u": main})  # the key is read once, then known
    used, data = ask(NESTED, {"u": main})
    holders = data["company"]["shareholders"]
    assert [h["holder"]["name"] for h in holders] == [
        "张" + str(NESTED_FIRST),
        "北京测试" + str(NESTED_FIRST + 1) + "科技有限公司",
    ]
    person_holdings = holders[0]["holder"]["holdings"]
    assert {h["company"]["name"] for h in person_holdings} >= {
        "北京测试" + str(NESTED_FIRST + 2) + "科技有限公司"
    }
    held_records = next(h["company"]["records"] for h in person_holdings if h["stake"] == 1.0)
    assert held_records["totalCount"] == 4 and len(held_records["edges"]) == 3
    assert used == 1
    node = str(relay.GlobalID("Company", main))
    used_by_loaders, by_loaders = ask(NESTED_BY_LOADERS, {"id": node})
    assert used_by_loaders > used
    assert by_loaders["node"] == data["company"]
