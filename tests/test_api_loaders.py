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
