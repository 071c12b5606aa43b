"""Explained scores over GraphQL, computed from the real graph: own records, propagation along
confirmed links, levels, blacklist, consequences and eligibility."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient
from strawberry import relay

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
    record_row,
    uscc,
)

AS_OF = "2026-11-20"
C1, P1, P2 = uscc(800), id_number(800), id_number(801)


def rows() -> list[dict[str, Any]]:
    return [
        company_row(800, name="评分测试有限公司"),
        person_row(800, name="王评分"),
        person_row(801, name="李股东"),
        link_row("LEGAL_REPRESENTATIVE_OF", P1, C1),
        link_row("SHAREHOLDER_OF", P2, C1, stake=0.5),
        record_row("S-C1", C1, decided_on="2026-06-01"),  # JUDGMENT_DEFAULT, serious
        record_row(
            "S-C2",
            C1,
            code="TAX_GRADE_A",
            polarity="good",
            category="administrative",
            severity="general",
            decided_on="2026-10-01",
            penalty=None,
        ),
        record_row(
            "S-P1",
            P1,
            code="BLOOD_DONATION",
            polarity="good",
            category="social",
            severity="general",
            decided_on="2026-10-01",
            penalty=None,
        ),
        record_row(
            "S-P2",
            P1,
            code="FARE_EVASION",
            category="social",
            severity="minor",
            decided_on="2026-10-15",
        ),
        record_row(
            "S-OLD",
            P1,
            code="RED_LIGHT",
            category="administrative",
            severity="minor",
            decided_on="2025-01-01",
        ),
    ]


@pytest.fixture(scope="module")
def api(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    import_rows(settings, rows(), tmp_path_factory.mktemp("scores"))
    with TestClient(
        create_app(settings), headers=bearer(api_key(settings, "investigator"))
    ) as client:
        yield client


def data(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    body = client.post("/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


SCORE = """
query($u: String, $n: String!, $asOf: Date, $scheme: String) {
  company(uscc: $u) { ...S }
  person(idNumber: $n) { ...S }
}
fragment S on Entity {
  score(asOf: $asOf, scheme: $scheme) {
    value exactValue base level blacklisted blacklistReasons asOf scheme { id version }
    consequences { code kind inForce reasons }
    contributions(first: 50) { totalCount edges { node {
      kind points exactPoints status decidedOn expiresOn weight recordId
      rule { id points } record { recordId code }
      source { name } path { rel direction stake entity { name } }
    } } }
  }
}
"""


def contributions(score: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["node"]["recordId"] or e["node"]["kind"]: e["node"]
        for e in score["contributions"]["edges"]
    }


def test_scores_person_with_propagation_from_the_company(api: TestClient) -> None:
    score = data(api, SCORE, u=uscc(999), n=P1, asOf=AS_OF)["person"]["score"]
    assert score["scheme"] == {"id": "individual", "version": "2026.2"}
    parts = contributions(score)
    assert parts["S-P1"]["points"] == 10 and parts["S-P1"]["rule"]["id"] == "I-GOOD-002"
    assert parts["S-P2"]["points"] == -10 and parts["S-P2"]["expiresOn"] == "2027-01-15"
    assert parts["S-OLD"]["points"] == 0 and parts["S-OLD"]["status"] == "EXPIRED"
    # The company's judgment reaches its representative at half weight, under the person's rule.
    judgment = parts["S-C1"]
    assert judgment["kind"] == "PROPAGATED"
    assert judgment["points"] == -75.0 and judgment["weight"] == 0.5
    assert judgment["rule"] == {"id": "I-JUD-001", "points": -150}
    assert judgment["source"] == {"name": "评分测试有限公司"}
    assert judgment["path"] == [
        {
            "rel": "LEGAL_REPRESENTATIVE_OF",
            "direction": "BACKWARD",
            "stake": None,
            "entity": {"name": "王评分"},
        }
    ]
    assert "S-C2" not in parts  # good records do not propagate
    assert score["value"] == 1000 + 10 - 10 - 75
    assert score["value"] == score["base"] + sum(p["points"] for p in parts.values())
    assert score["level"] == "B"
    assert score["blacklisted"] is False  # propagated records never blacklist


def test_scores_company_blacklisted_with_reasons_and_consequences(api: TestClient) -> None:
    score = data(api, SCORE, u=C1, n=id_number(999), asOf=AS_OF)["company"]["score"]
    parts = contributions(score)
    assert parts["S-C1"]["points"] == -40 and parts["S-C1"]["rule"]["id"] == "E-JUD-001"
    assert parts["S-C2"]["points"] == 5
    # The representative's fare evasion reaches the company: -2 (fallback) x 0.3.
    assert parts["S-P2"]["kind"] == "PROPAGATED" and parts["S-P2"]["points"] == -0.6
    assert parts["S-P2"]["exactPoints"] == -2 * 0.3  # -0.6000000000000001: shown in cents
    assert score["value"] == 64.4 and score["exactValue"] == 100 - 40 + 5 - 2 * 0.3
    # The shown parts add up to the shown value, as decimals.
    shown = sum((Decimal(str(p["points"])) for p in parts.values()), Decimal(0))
    assert Decimal(str(score["value"])) == score["base"] + shown
    assert score["level"] == "C"
    assert score["blacklisted"] is True
    assert score["blacklistReasons"] == ["record S-C1 under rule E-JUD-001"]
    in_force = {c["code"]: c["reasons"] for c in score["consequences"] if c["inForce"]}
    assert in_force["GOVERNMENT_PROCUREMENT"] == ["on the blacklist"]
    assert in_force["BANK_LOAN"] == ["level C"]
    assert "SIMPLIFIED_APPROVAL" not in in_force
    kinds = {c["code"]: c["kind"] for c in score["consequences"]}
    assert kinds["BANK_LOAN"] == "RESTRICTION" and kinds["SIMPLIFIED_APPROVAL"] == "PRIVILEGE"


def test_scores_as_of_before_the_records_is_the_base(api: TestClient) -> None:
    score = data(api, SCORE, u=C1, n=P1, asOf="2020-01-01")
    assert score["company"]["score"]["value"] == 100
    assert score["person"]["score"]["value"] == 1000
    assert score["person"]["score"]["contributions"]["totalCount"] == 0


def test_scores_bad_scheme_is_a_clear_error(api: TestClient) -> None:
    for scheme, message in [
        ("nope", "scheme: no scheme 'nope'"),
        ("enterprise", "scheme: enterprise does not score a person"),
    ]:
        body = api.post(
            "/graphql",
            json={
                "query": SCORE,
                "variables": {"u": uscc(999), "n": P1, "asOf": AS_OF, "scheme": scheme},
            },
        ).json()
        assert body["errors"][0]["message"].startswith(message)


ELIGIBILITY = """
query($id: ID!, $c: ConsequenceCode!) { eligibility(id: $id, consequence: $c, asOf: "2026-11-20") {
  allowed inForce level blacklisted reasons records { recordId } consequence { code kind }
  score { value }
} }
"""


def test_scores_eligibility_answers_with_reasons_and_records(api: TestClient) -> None:
    company = str(relay.GlobalID("Company", C1))
    procurement = data(api, ELIGIBILITY, id=company, c="GOVERNMENT_PROCUREMENT")["eligibility"]
    assert procurement["allowed"] is False and procurement["inForce"] is True
    assert procurement["reasons"] == ["on the blacklist"]
    assert procurement["records"] == [{"recordId": "S-C1"}]
    assert procurement["consequence"] == {"code": "GOVERNMENT_PROCUREMENT", "kind": "RESTRICTION"}
    person = data(api, "query($n: String!) { person(idNumber: $n) { id } }", n=P1)["person"]["id"]
    rental = data(api, ELIGIBILITY, id=person, c="DEPOSIT_FREE_RENTAL")["eligibility"]
    assert rental["allowed"] is False and rental["level"] == "B"
    assert rental["reasons"] == ["level B does not set it"]
    # A code no scheme knows is refused by the schema; one of another scheme's by the use case.
    unknown = api.post(
        "/graphql", json={"query": ELIGIBILITY, "variables": {"id": company, "c": "FREE_LUNCH"}}
    ).json()
    assert unknown["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "c"}
    elsewhere = api.post(
        "/graphql", json={"query": ELIGIBILITY, "variables": {"id": company, "c": "AIR_TRAVEL"}}
    ).json()
    assert elsewhere["data"] == {"eligibility": None}
    assert elsewhere["errors"][0]["message"].startswith(
        "consequence: enterprise has no AIR_TRAVEL; it has GOVERNMENT_PROCUREMENT, BANK_LOAN"
    )
    assert elsewhere["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "consequence",
    }


def test_scores_record_expiry_and_schemes_listing(api: TestClient) -> None:
    result = data(
        api,
        """query($u: String!) { company(uscc: $u) { records(first: 5) {
        edges { node { recordId expiresOn } } } } }""",
        u=C1,
    )
    expiry = {
        e["node"]["recordId"]: e["node"]["expiresOn"] for e in result["company"]["records"]["edges"]
    }
    assert expiry == {"S-C1": "2029-06-01", "S-C2": "2027-10-01"}
    schemes = data(
        api,
        "{ schemes { id base validity { minor general serious } rules { id } levels { name } } }",
    )["schemes"]
    assert [s["id"] for s in schemes] == ["enterprise", "individual"]
    assert schemes[1]["validity"] == {"minor": 3, "general": 12, "serious": 36}
    assert len(schemes[1]["rules"]) >= 40 and len(schemes[0]["rules"]) >= 30


STANDINGS = """
query($u: String, $n: String!) {
  company(uscc: $u) { ...F }
  person(idNumber: $n) { ...F }
}
fragment F on Entity {
  score { value base contributions(first: 100) { edges { node {
    kind recordId points exactPoints status expiresOn rule { id } } } } }
  records(first: 100) { edges { node {
    recordId code codeTitle { en zh }
    standing { status points exactPoints countsUntil schemeVersion
               rule { id titleText { en zh } } }
  } } }
}
"""


@pytest.mark.parametrize("who", ["company", "person"])
def test_scores_every_record_shows_the_points_rule_and_status_of_its_contribution(
    api: TestClient, who: str
) -> None:
    entity = data(api, STANDINGS, u=C1, n=P1)[who]
    own = {
        e["node"]["recordId"]: e["node"]
        for e in entity["score"]["contributions"]["edges"]
        if e["node"]["kind"] == "RECORD"
    }
    records = [e["node"] for e in entity["records"]["edges"]]
    assert {r["recordId"] for r in records} == set(own) and len(records) >= 2
    for record in records:
        standing, part = record["standing"], own[record["recordId"]]
        assert standing["points"] == part["points"]
        assert standing["exactPoints"] == part["exactPoints"]
        assert standing["status"] == part["status"]
        assert standing["countsUntil"] == part["expiresOn"]
        assert standing["rule"]["id"] == part["rule"]["id"]
        assert standing["schemeVersion"] == "2026.2"
        # Titles in both languages, kept with the catalogue: a code's rule is titled as the code.
        title = standing["rule"]["titleText"]
        assert title == record["codeTitle"] and title["en"] != title["zh"]
        assert all("\u4e00" <= ch <= "\u9fff" for ch in title["zh"].replace("（", "")[:2])
    # The records' points add up with the propagated ones to the score shown.
    counted = sum(Decimal(str(r["standing"]["points"])) for r in records)
    others = sum(
        Decimal(str(e["node"]["points"]))
        for e in entity["score"]["contributions"]["edges"]
        if e["node"]["kind"] != "RECORD"
    )
    assert Decimal(entity["score"]["base"]) + counted + others == Decimal(
        str(entity["score"]["value"])
    )
    if who == "person":
        statuses = {r["recordId"]: r["standing"]["status"] for r in records}
        assert statuses["S-OLD"] == "EXPIRED" and statuses["S-P1"] == "COUNTING"
        old = next(r for r in records if r["recordId"] == "S-OLD")
        assert old["standing"]["points"] == 0 and old["standing"]["countsUntil"] == "2025-04-01"
        assert old["codeTitle"]["zh"] == "闯红灯"


def test_scores_levels_and_consequences_are_explained_in_both_languages(api: TestClient) -> None:
    schemes = data(
        api,
        """{ schemes { id levels { name meaning { en zh } }
             consequences { code titleText { en zh } descriptionText { en zh } } } }""",
    )["schemes"]
    for scheme in schemes:
        for level in scheme["levels"]:
            assert level["meaning"]["en"] and level["meaning"]["zh"] != level["meaning"]["en"]
        for c in scheme["consequences"]:
            assert c["titleText"]["zh"] and c["descriptionText"]["zh"] != c["descriptionText"]["en"]
    score = data(api, SCORE, u=C1, n=id_number(999), asOf=AS_OF)["company"]["score"]
    assert {c["code"] for c in score["consequences"] if c["inForce"]} >= {"PUBLIC_SUBSIDIES"}
