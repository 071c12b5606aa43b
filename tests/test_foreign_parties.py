"""Parties beyond the USCC and the resident identity number, end to end: imported, looked up,
linked, recorded, masked by role, found by key, and walked through by equity penetration and
risk paths. The graph is an offshore structure as investigators meet it: an operating company
owned through a WFOE, a Hong Kong holding company and a Cayman parent, whose founders are a
US citizen, a Hong Kong resident and a Taiwan resident, with a BVI vehicle that cross-holds
the Cayman parent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress
from starlette.testclient import TestClient

from api.app import create_app
from backend.local import LocalServer
from cli.score_command import score_all
from graph.identifiers import ric_check_character
from scoring.scheme import load_schemes
from tests.conftest import make_server, settings_for
from tests.factories import (
    api_key,
    bearer,
    company_row,
    id_number,
    import_rows,
    link_row,
    migrate,
    person_row,
    record_row,
    uscc,
)


def _permit(division: str, born: str, sequence: str) -> str:
    first17 = division + born + sequence
    return first17 + ric_check_character(first17)


OPCO, WFOE = uscc(801), uscc(802)
HK, KY, VG = "HK:2345678", "KY:MC-283746", "VG:1987654"
ALICE_NUMBER = "E12345678"
ALICE = f"passport:US:{ALICE_NUMBER}"
BOB_NUMBER = _permit("810000", "19780412", "035")
BOB = f"hk_macao_permit:{BOB_NUMBER}"
CHEN = f"taiwan_permit:{_permit('830000', '19820920', '018')}"
WANG = id_number(801)  # a mainland resident, the operating company's legal representative
CARD_NUMBER = _permit("944276", "19700228", "007")  # a permanent resident card: Guangdong, DE
MUELLER = f"foreign_permanent_resident:{CARD_NUMBER}"
NAMES = {
    OPCO: "深圳前海示例科技有限公司",
    WFOE: "示例信息技术(深圳)有限公司",
    HK: "Example Holdings (HK) Limited",
    KY: "Example Group Inc.",
    VG: "Founders Vehicle Ltd.",
    ALICE: "Alice Walker",
    BOB: "陳大文",
    CHEN: "林志明",
    WANG: "王立新",
    MUELLER: "Jonas Müller",
}


def _foreign(key: str) -> dict[str, Any]:
    jurisdiction, number = key.split(":", 1)
    row = company_row(0, name=NAMES[key], jurisdiction=jurisdiction, registry_number=number)
    for field in ("uscc", "registration_number", "registration_authority", "phone"):
        row.pop(field)
    row["address"] = {"HK": "Central, Hong Kong", "KY": "George Town, Grand Cayman"}.get(
        jurisdiction, "Road Town, Tortola"
    )
    return row


def rows() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        company_row(801, name=NAMES[OPCO]),
        company_row(802, name=NAMES[WFOE], phone="0755-26000000"),
        _foreign(HK),
        _foreign(KY),
        _foreign(VG),
        person_row(0, id_type="passport", id_number=ALICE_NUMBER, nationality="us")
        | {"name": NAMES[ALICE]},
        person_row(0, id_type="hk_macao_permit", id_number=BOB_NUMBER) | {"name": NAMES[BOB]},
        person_row(0, id_type="taiwan_permit", id_number=CHEN.split(":")[1])
        | {"name": NAMES[CHEN]},
        person_row(801) | {"name": NAMES[WANG]},
        person_row(0, id_type="foreign_permanent_resident", id_number=CARD_NUMBER)
        | {"name": NAMES[MUELLER]},
        link_row("OFFICER_OF", MUELLER, WFOE, role="general manager"),
        link_row("SHAREHOLDER_OF", WFOE, OPCO, stake=1),
        link_row("SHAREHOLDER_OF", HK, WFOE, stake=1),
        link_row("SHAREHOLDER_OF", KY, HK, stake=1),
        link_row("SHAREHOLDER_OF", ALICE, KY, stake=0.4),
        link_row("SHAREHOLDER_OF", VG, KY, stake=0.3),
        link_row("SHAREHOLDER_OF", CHEN, KY, stake=0.3),
        link_row("SHAREHOLDER_OF", BOB, VG, stake=0.8),
        link_row("SHAREHOLDER_OF", KY, VG, stake=0.2),  # the cross-holding
        link_row("LEGAL_REPRESENTATIVE_OF", WANG, OPCO),
        link_row("OFFICER_OF", ALICE, HK, role="director"),
        record_row("FP-HK", HK, code="TAX_ARREARS", category="administrative", severity="general"),
        record_row("FP-ALICE", ALICE, decided_on="2026-06-01"),
    ]
    return out


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    server: LocalServer = make_server(tmp_path_factory.mktemp("foreign"))
    server.start()
    try:
        settings = settings_for(server)
        migrate(settings)
        import_rows(settings, rows(), tmp_path_factory.mktemp("foreign-rows"))
        schemes = load_schemes(settings.schemes_dir)
        with Progress(console=Console(quiet=True)) as progress:
            asyncio.run(score_all(settings.graph_config(), schemes, date.today(), progress))
        keys = {
            role: api_key(settings, role) for role in ("investigator", "relying_party", "auditor")
        }
        keys["alice"] = api_key(settings, "subject", ALICE)
        with TestClient(create_app(settings)) as client:
            yield {"client": client, "keys": keys}
    finally:
        server.stop()


def call(env: dict[str, Any], who: str | None, query: str, **variables: Any) -> dict[str, Any]:
    headers = bearer(env["keys"][who]) if who else {}
    body: dict[str, Any] = (
        env["client"]
        .post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        .json()
    )
    return body


def data(env: dict[str, Any], who: str | None, query: str, **variables: Any) -> dict[str, Any]:
    body = call(env, who, query, **variables)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


COMPANY = """
query($k: String) {
  company(key: $k) {
    key uscc registryNumber jurisdiction organisationType region name
    shareholders { stake holder { ... on Company { key } ... on Person { name idType } } }
    score { value scheme { id } contributions { edges { node { recordId } } } }
    records { edges { node { recordId } } }
  }
}
"""


def test_a_foreign_company_is_looked_up_by_its_key_and_shows_its_registry(
    env: dict[str, Any],
) -> None:
    found = data(env, None, COMPANY, k="hk:2345678")["company"]
    assert {k: found[k] for k in ("key", "uscc", "registryNumber", "jurisdiction")} == {
        "key": HK,
        "uscc": None,
        "registryNumber": "2345678",
        "jurisdiction": "HK",
    }
    assert (found["organisationType"], found["region"], found["name"]) == (None, None, NAMES[HK])
    assert found["shareholders"] == [{"stake": 1.0, "holder": {"key": KY}}]
    # Scored like any company, its record counted and published.
    assert found["score"]["scheme"]["id"] == "enterprise"
    assert found["score"]["value"] < 1000
    assert "FP-HK" in [e["node"]["recordId"] for e in found["score"]["contributions"]["edges"]]
    assert [e["node"]["recordId"] for e in found["records"]["edges"]] == ["FP-HK"]
    mainland = data(env, None, COMPANY, k=OPCO)["company"]
    assert (mainland["key"], mainland["uscc"], mainland["jurisdiction"]) == (OPCO, OPCO, "CN")
    assert mainland["registryNumber"] == OPCO
    assert data(env, None, COMPANY, k="HK:7654321")["company"] is None
    bad = call(env, None, COMPANY, k="ZZ:1")
    assert bad["errors"][0]["message"].startswith("key: jurisdiction must be an ISO 3166-1")
    person = call(env, None, COMPANY, k=ALICE)
    assert person["errors"][0]["message"] == "key: a person's key does not name a company"


OWNERS = """
query($u: String!) {
  ultimateOwners(uscc: $u, minStake: 0.05) {
    effectiveStake owner { ... on Person { name idType nationality } ... on Company { key } }
    chains { stake links { company { key jurisdiction } stake } }
  }
}
"""


def test_equity_penetration_walks_through_offshore_holders(env: dict[str, Any]) -> None:
    found = data(env, "investigator", OWNERS, u=OPCO)["ultimateOwners"]
    stakes = {o["owner"].get("name"): round(o["effectiveStake"], 9) for o in found}
    # Through WFOE, HK and KY at 100 %: Alice 0.4, Chen 0.3, Bob 0.3 * 0.8 through the BVI
    # vehicle; the KY <-> VG cross-holding is walked once, never looped.
    assert stakes == {NAMES[ALICE]: 0.4, NAMES[CHEN]: 0.3, NAMES[BOB]: 0.24}
    alice = next(o for o in found if o["owner"].get("name") == NAMES[ALICE])
    assert (alice["owner"]["idType"], alice["owner"]["nationality"]) == ("PASSPORT", "US")
    assert [
        (link["company"]["key"], link["company"]["jurisdiction"])
        for link in alice["chains"][0]["links"]
    ] == [(OPCO, "CN"), (WFOE, "CN"), (HK, "HK"), (KY, "KY")]
    bob = next(o for o in found if o["owner"].get("name") == NAMES[BOB])
    assert [link["company"]["key"] for link in bob["chains"][0]["links"]] == [
        OPCO,
        WFOE,
        HK,
        KY,
        VG,
    ]
    from_hk = data(env, "investigator", OWNERS, u=HK)["ultimateOwners"]
    assert {o["owner"].get("name"): round(o["effectiveStake"], 9) for o in from_hk} == stakes


PERSON = """
query($n: String!, $t: IdType, $c: String, $name: String) {
  person(idNumber: $n, idType: $t, nationality: $c, name: $name) {
    id idNumber idType nationality name
  }
}
"""


def test_a_passport_holder_is_looked_up_and_masked_by_role(env: dict[str, Any]) -> None:
    by_type = data(env, "investigator", PERSON, n=ALICE_NUMBER, t="PASSPORT", c="us")["person"]
    by_key = data(env, "investigator", PERSON, n=ALICE)["person"]
    assert by_type == by_key
    assert {k: by_key[k] for k in ("idNumber", "idType", "nationality", "name")} == {
        "idNumber": ALICE_NUMBER,
        "idType": "PASSPORT",
        "nationality": "US",
        "name": NAMES[ALICE],
    }
    assert ALICE_NUMBER not in by_key["id"]  # the global id is opaque
    # A relying party needs the name, and sees the number masked.
    masked = data(env, "relying_party", PERSON, n=ALICE, name=NAMES[ALICE])["person"]
    assert masked["idNumber"] == "*****5678"
    assert data(env, "relying_party", PERSON, n=ALICE, name="Alice")["person"] is None
    # The subject sees her own number whole; the public may not look people up.
    assert data(env, "alice", PERSON, n=ALICE)["person"]["idNumber"] == ALICE_NUMBER
    assert "errors" in call(env, None, PERSON, n=ALICE, name=NAMES[ALICE])
    # The same number under another nationality is another passport: nobody here.
    assert data(env, "investigator", PERSON, n=ALICE_NUMBER, t="PASSPORT", c="GB")["person"] is None
    permit = data(env, "relying_party", PERSON, n=BOB, name=NAMES[BOB])["person"]
    assert (permit["idType"], permit["idNumber"]) == (
        "HK_MACAO_PERMIT",
        "810000********" + BOB_NUMBER[-4:],
    )
    # A permanent resident card says its holder's nationality in its number.
    card = data(env, "relying_party", PERSON, n=MUELLER, name=NAMES[MUELLER])["person"]
    assert (card["idType"], card["nationality"]) == ("FOREIGN_PERMANENT_RESIDENT", "DE")
    assert card["idNumber"] == CARD_NUMBER[:6] + "********" + CARD_NUMBER[-4:]
    refused = call(env, "investigator", PERSON, n=ALICE_NUMBER, t="PASSPORT")
    assert refused["errors"][0]["message"].startswith("nationality: a passport needs")


RECORDS = """
query($n: String!) {
  person(idNumber: $n) {
    records { edges { node { recordId subject { ... on Person { idNumber } } } } }
    offices { role company { key } }
    holdings { stake company { key } }
  }
}
"""


def test_records_and_links_of_a_passport_holder(env: dict[str, Any]) -> None:
    found = data(env, "investigator", RECORDS, n=ALICE)["person"]
    assert [e["node"]["recordId"] for e in found["records"]["edges"]] == ["FP-ALICE"]
    assert found["offices"] == [{"role": "director", "company": {"key": HK}}]
    assert found["holdings"] == [{"stake": 0.4, "company": {"key": KY}}]


SEARCH = """
query($q: String!) {
  search(query: $q) { totalCount edges { node { matchedOn entity { name } } } }
}
"""


def test_search_finds_a_party_by_its_key_for_roles_that_may(env: dict[str, Any]) -> None:
    company = data(env, None, SEARCH, q="ky:mc-283746")["search"]
    first = company["edges"][0]["node"]
    assert (first["entity"]["name"], first["matchedOn"]) == (NAMES[KY], "CODE")
    person = data(env, "investigator", SEARCH, q=ALICE)["search"]
    assert person["edges"][0]["node"]["entity"]["name"] == NAMES[ALICE]
    # A key would confirm a guessed passport number outright: only roles seeing whole numbers.
    assert "errors" in call(env, "relying_party", SEARCH, q=ALICE)


PATHS = """
query($a: ID!, $b: ID!) {
  riskPaths(from: $a, to: $b, maxHops: 4, first: 5) {
    length nodes { entity { name } }
  }
}
"""


def test_risk_paths_cross_the_border(env: dict[str, Any]) -> None:
    alice = data(env, "investigator", PERSON, n=ALICE)["person"]["id"]
    opco = data(env, None, "query($k: String) { company(key: $k) { id } }", k=OPCO)["company"]
    paths = data(env, "investigator", PATHS, a=alice, b=opco["id"])["riskPaths"]
    assert [p["length"] for p in paths] == [3, 4]
    assert [n["entity"]["name"] for n in paths[0]["nodes"]] == [
        NAMES[ALICE],
        NAMES[HK],
        NAMES[WFOE],
        NAMES[OPCO],
    ]


AUDIT = """
query($s: String) { auditLog(subject: $s, first: 50) { edges { node { subjects } } } }
"""


def test_the_audit_log_masks_a_passport_holders_number(env: dict[str, Any]) -> None:
    entries = data(env, "auditor", AUDIT, s=ALICE)["auditLog"]["edges"]
    subjects = {s for e in entries for s in e["node"]["subjects"]}
    assert "passport:US:*****5678" in subjects
    assert not any(ALICE_NUMBER in s for s in subjects)


def test_masks_hold_for_other_documents_under_concurrent_mixed_roles(
    env: dict[str, Any],
) -> None:
    """40 requests, 20 at once, of four roles, each asking for the officers of a Hong Kong
    company under two aliases: every answer is the one its role gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    query = (
        '{ a: company(key: "HK:2345678") { officers { person { idNumber idType nationality } } } '
        '  b: company(key: "HK:2345678") { officers { person { idNumber } } } }'
    )
    masked = "*****" + ALICE_NUMBER[-4:]
    roles = ["relying_party", "investigator", None, "alice"] * 10

    def ask(role: str | None) -> tuple[str | None, Any]:
        body = call(env, role, query)
        if body.get("data") is None or body["data"]["a"] is None:
            return role, body.get("errors", [{}])[0].get("message")
        return role, (body["data"]["a"]["officers"], body["data"]["b"]["officers"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        seen = list(pool.map(ask, roles))

    def officers(number: str) -> tuple[list[Any], list[Any]]:
        whole = {"idNumber": number, "idType": "PASSPORT", "nationality": "US"}
        return [{"person": whole}], [{"person": {"idNumber": number}}]

    for role, answer in seen:
        if role is None:
            assert isinstance(answer, str) and "needs the role" in answer, answer
        elif role == "relying_party":
            assert answer == officers(masked), answer
        else:
            assert answer == officers(ALICE_NUMBER), (role, answer)
