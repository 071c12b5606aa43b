"""Adding a record rescores its subject and neighbourhood; history and blacklist show it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from tests.factories import (
    api_key,
    bearer,
    company_row,
    id_number,
    import_rows,
    link_row,
    person_row,
    uscc,
)

C, P = uscc(950), id_number(950)
RECENT = (date.today() - timedelta(days=10)).isoformat()


@pytest.fixture(scope="module")
def api(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    rows = [company_row(950), person_row(950), link_row("LEGAL_REPRESENTATIVE_OF", P, C)]
    import_rows(settings, rows, tmp_path_factory.mktemp("snapshots"))
    with TestClient(create_app(settings), headers=bearer(api_key(settings, "registrar"))) as client:
        yield client


def run(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    body = client.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


ADD = """mutation($input: AddRecordInput!) { addRecord(input: $input) {
  ... on AddRecordSuccess { created rescored } ... on InvalidInput { field message } } }"""
HISTORY = """query($u: String!, $n: String!) {
  company(uscc: $u) { scoreHistory(first: 5) { totalCount edges { node {
    value level blacklisted blacklistReasons latest schemeId subject { name } } } } }
  person(idNumber: $n) { scoreHistory { totalCount edges { node { value level latest } } } }
}"""
BLACKLIST = """query { blacklist(scheme: "enterprise", first: 100) { totalCount edges { node {
  value blacklistReasons subject { ... on Company { uscc } } } } } }"""


def record(record_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "subject": C,
        "recordId": record_id,
        "authority": "测试法院",
        "category": "JUDICIAL",
        "code": "JUDGMENT_DEFAULT",
        "polarity": "WARNING",
        "severity": "SERIOUS",
        "decidedOn": RECENT,
        **extra,
    }


def test_snapshots_follow_records_through_the_neighbourhood(api: TestClient) -> None:
    added = run(api, ADD, input=record("SNAP-1"))["addRecord"]
    assert added == {"created": True, "rescored": 2}  # the company, and its representative
    history = run(api, HISTORY, u=C, n=P)
    company = history["company"]["scoreHistory"]
    assert company["totalCount"] == 1
    latest = company["edges"][0]["node"]
    assert (latest["value"], latest["level"], latest["blacklisted"], latest["latest"]) == (
        60,
        "C",
        True,
        True,
    )
    assert latest["blacklistReasons"] == ["record SNAP-1 under rule E-JUD-001"]
    assert latest["schemeId"] == "enterprise"
    person = history["person"]["scoreHistory"]["edges"]
    assert [(e["node"]["value"], e["node"]["level"]) for e in person] == [(925, "B")]

    listed = run(api, BLACKLIST)["blacklist"]
    assert {
        "value": 60.0,
        "blacklistReasons": ["record SNAP-1 under rule E-JUD-001"],
        "subject": {"uscc": C},
    } in [e["node"] for e in listed["edges"]]

    # The same record again changes nothing and rescores nothing.
    assert run(api, ADD, input=record("SNAP-1"))["addRecord"] == {"created": False, "rescored": 0}

    # A good record moves the company only (good conduct does not propagate).
    good = record(
        "SNAP-2", code="TAX_GRADE_A", polarity="GOOD", severity="GENERAL", category="ADMINISTRATIVE"
    )
    assert run(api, ADD, input=good)["addRecord"] == {"created": True, "rescored": 1}
    company = run(api, HISTORY, u=C, n=P)["company"]["scoreHistory"]
    assert company["totalCount"] == 2
    assert [(e["node"]["value"], e["node"]["latest"]) for e in company["edges"]] == [
        (65, True),
        (60, False),
    ]
    # Still blacklisted (the judgment's rule), listed once with the newest snapshot.
    mine = [
        e["node"]
        for e in run(api, BLACKLIST)["blacklist"]["edges"]
        if e["node"]["subject"] == {"uscc": C}
    ]
    assert [m["value"] for m in mine] == [65]


def test_snapshots_blacklist_needs_a_known_scheme(api: TestClient) -> None:
    body = api.post(
        "/graphql", json={"query": '{ blacklist(scheme: "nope") { totalCount } }'}
    ).json()
    assert body["errors"][0]["message"].startswith("scheme: no scheme 'nope'")
