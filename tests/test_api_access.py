"""The role matrix, every cell: what each role may do, what it sees masked, and how a refusal
reads. The expected table is written out here, not derived from ``api.access.MATRIX``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from graph.server import EmbeddedServer
from tests.conftest import settings_for
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

C, C2 = uscc(670), uscc(671)
OWN, OTHER = id_number(670), id_number(671)
ROLES = (
    "public",
    "relying_party",
    "investigator",
    "registrar",
    "auditor",
    "subject_own",
    "subject_other",
)


@pytest.fixture(scope="module")
def world(
    graph_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], dict[str, str]]]:
    settings = settings_for(graph_server, allow_writes=True)
    import_rows(
        settings,
        [
            company_row(670, name="权限测试甲有限公司", phone="010-67000000"),
            company_row(671, name="权限测试乙有限公司", phone="010-67100000"),
            person_row(670, name="权限本人"),
            person_row(671, name="权限他人"),
            link_row("LEGAL_REPRESENTATIVE_OF", OWN, C),
            link_row("SHAREHOLDER_OF", OTHER, C, stake=0.5),
            link_row("LEGAL_REPRESENTATIVE_OF", OTHER, C2),
            record_row("ACL-P", OWN, code="FARE_EVASION", category="social", severity="minor",
                       decided_on="2026-10-01"),
        ],
        tmp_path_factory.mktemp("access"),
    )  # fmt: skip
    headers: dict[str, dict[str, str]] = {"public": {}}
    for role in ROLES[1:5]:
        headers[role] = bearer(api_key(settings, role, name=f"{role} desk"))
    headers["subject_own"] = bearer(api_key(settings, "subject", OWN, name="本人"))
    headers["subject_other"] = bearer(api_key(settings, "subject", OTHER, name="他人"))
    with TestClient(create_app(settings)) as client:
        ids = {}
        for name, query in (
            ("own", f'{{ person(idNumber: "{OWN}") {{ id }} }}'),
            ("other", f'{{ person(idNumber: "{OTHER}") {{ id }} }}'),
            ("company", f'{{ company(uscc: "{C}") {{ id }} }}'),
            ("company2", f'{{ company(uscc: "{C2}") {{ id }} }}'),
        ):
            body = client.post("/graphql", json={"query": query}, headers=headers["registrar"])
            ids[name] = next(iter(body.json()["data"].values()))["id"]
        yield client, headers, ids


OPERATIONS: dict[str, str] = {
    "company": '{ company(uscc: "%(C)s") { name } }',
    "person": '{ person(idNumber: "%(OWN)s") { name } }',
    "person_records": '{ node(id: "%(own)s") { ... on Person { records { totalCount } } } }',
    "person_score": '{ node(id: "%(own)s") { ... on Person { score { value } } } }',
    "person_history": '{ node(id: "%(own)s") { ... on Person { scoreHistory { totalCount } } } }',
    "eligibility": '{ eligibility(id: "%(own)s", consequence: "air_travel") { allowed } }',
    "search_persons": '{ search(query: "权限", kind: PERSON) { totalCount } }',
    "linkage": '{ linkage(id: "%(company)s") { truncated } }',
    "risk_paths": '{ riskPaths(from: "%(company)s", to: "%(company2)s") { length } }',
    "common_links": '{ commonLinks(a: "%(company)s", b: "%(company2)s") { kind } }',
    "ultimate_owners": '{ ultimateOwners(uscc: "%(C)s", minStake: 0) { effectiveStake } }',
    "risk_scan": '{ riskScan(id: "%(company)s") { warnings } }',
    "watchlist": "{ watchlist { since } }",
    "upsert_company": 'mutation { upsertCompany(input: {uscc: "%(C2)s", name: "权限测试乙有限公司"}) '
    "{ __typename } }",
    "audit_log": "{ auditLog(first: 1) { edges { cursor } } }",
    "audit_verification": "{ auditVerification { intact } }",
    "who_looked_at_me": "{ whoLookedAtMe { role } }",
    "disputes": "{ disputes { totalCount } }",
}
EVERYONE = set(ROLES)
INVESTIGATORS = {"investigator", "registrar"}
EXPECTED: dict[str, set[str]] = {
    "company": EVERYONE,
    "person": {"relying_party", "investigator", "registrar", "subject_own"},
    "person_records": {"investigator", "registrar", "subject_own"},
    "person_score": {"investigator", "registrar", "subject_own"},
    "person_history": {"investigator", "registrar", "subject_own"},
    "eligibility": {"relying_party", "investigator", "registrar", "subject_own"},
    "search_persons": {"relying_party", "investigator", "registrar"},
    "linkage": INVESTIGATORS,
    "risk_paths": INVESTIGATORS,
    "common_links": INVESTIGATORS,
    "ultimate_owners": INVESTIGATORS,
    "risk_scan": INVESTIGATORS,
    "watchlist": {"relying_party", "investigator", "registrar"},
    "upsert_company": {"registrar"},
    "audit_log": {"auditor"},
    "audit_verification": {"auditor"},
    "who_looked_at_me": {"subject_own", "subject_other"},
    "disputes": {"registrar", "subject_own", "subject_other"},
}
CELLS = [(op, role) for op in OPERATIONS for role in ROLES]


@pytest.mark.parametrize(("operation", "role"), CELLS, ids=[f"{o}-{r}" for o, r in CELLS])
def test_role_matrix(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
    operation: str,
    role: str,
) -> None:
    client, headers, ids = world
    query = OPERATIONS[operation] % {"C": C, "C2": C2, "OWN": OWN, **ids}
    response = client.post("/graphql", json={"query": query}, headers=headers[role])
    assert response.status_code == 200
    body = response.json()
    errors = body.get("errors") or []
    if role in EXPECTED[operation]:
        assert not errors, errors
        assert all(value is not None for value in body["data"].values())
    else:
        assert errors, f"{role} may not {operation}, but got {body['data']}"
        message = errors[0]["message"]
        assert "needs the role" in message and "the caller's role is" in message, message


def test_id_numbers_are_masked_unless_the_role_needs_them(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
) -> None:
    client, headers, _ = world
    query = f'{{ company(uscc: "{C}") {{ legalRepresentative {{ idNumber }} }} }}'
    masked = OWN[:6] + "********" + OWN[-4:]
    expected = {
        "public": masked,
        "relying_party": masked,
        "investigator": OWN,
        "registrar": OWN,
        "auditor": masked,
        "subject_own": OWN,
        "subject_other": masked,
    }
    for role, number in expected.items():
        body = client.post("/graphql", json={"query": query}, headers=headers[role]).json()
        assert body["data"]["company"]["legalRepresentative"]["idNumber"] == number, role


def test_public_search_finds_companies_only(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
) -> None:
    client, headers, _ = world
    query = '{ search(query: "权限") { edges { node { entity { __typename name } } } } }'
    seen = {}
    for role in ("public", "relying_party"):
        body = client.post("/graphql", json={"query": query}, headers=headers[role]).json()
        seen[role] = {e["node"]["entity"]["__typename"] for e in body["data"]["search"]["edges"]}
    assert seen["public"] == {"Company"}
    assert seen["relying_party"] == {"Company", "Person"}


def test_refusal_names_the_roles_needed(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
) -> None:
    client, headers, ids = world
    query = f'{{ linkage(id: "{ids["company"]}") {{ truncated }} }}'
    body = client.post("/graphql", json={"query": query}, headers=headers["relying_party"]).json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == (
        "linkage: needs the role investigator or registrar to trace paths, linkage, common "
        "links, ownership and risk scans; the caller's role is relying_party"
    )


def test_who_looked_at_me_lists_audited_reads(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
) -> None:
    client, headers, _ = world
    lookup = f'{{ person(idNumber: "{OWN}") {{ name }} }}'
    assert client.post("/graphql", json={"query": lookup}, headers=headers["relying_party"])
    query = "{ whoLookedAtMe { role who operation } }"
    own = client.post("/graphql", json={"query": query}, headers=headers["subject_own"]).json()
    readers = own["data"]["whoLookedAtMe"]
    assert {"role": "relying_party", "who": "relying_party desk", "operation": "person"} in readers
    # The subject's own reads and a registrar's are not "someone looking".
    assert all(r["role"] in ("relying_party", "investigator") for r in readers)
    other = client.post("/graphql", json={"query": query}, headers=headers["subject_other"]).json()
    assert all(
        r["operation"] != "person" or r["who"] != "本人" for r in other["data"]["whoLookedAtMe"]
    )
