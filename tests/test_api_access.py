"""The role matrix, every cell: what each role may do, what it sees masked, and how a refusal
reads. The expected table is written out here, not derived from ``api.access.MATRIX``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from backend.local import LocalServer
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
    ws_json,
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
    graph_server: LocalServer, tmp_path_factory: pytest.TempPathFactory
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
    # Query
    "node": '{ node(id: "%(company)s") { id } }',
    "node_person": '{ node(id: "%(own)s") { ... on Person { name } } }',
    "nodes": '{ nodes(ids: ["%(company)s", "%(company2)s"]) { id } }',
    "service_version": "{ serviceVersion }",
    "company": '{ company(uscc: "%(C)s") { name legalRepresentativeName } }',
    "person": '{ person(idNumber: "%(OWN)s", name: "权限本人") { name } }',
    "person_records": '{ node(id: "%(own)s") { ... on Person { records { totalCount } } } }',
    "person_score": '{ node(id: "%(own)s") { ... on Person { score { value } } } }',
    "person_history": '{ node(id: "%(own)s") { ... on Person { scoreHistory { totalCount } } } }',
    "search": '{ search(query: "权限") { totalCount } }',
    "search_persons": '{ search(query: "权限", kind: PERSON) { totalCount } }',
    "blacklist": '{ blacklist(scheme: "enterprise") { totalCount } }',
    "blacklist_persons": '{ blacklist(scheme: "individual") { totalCount } }',
    "schemes": "{ schemes { id } }",
    "eligibility": '{ eligibility(id: "%(own)s", consequence: AIR_TRAVEL) { allowed } }',
    "publicity": "{ publicity(first: 3) { edges { cursor } } }",
    "linkage": '{ linkage(id: "%(company)s") { truncated } }',
    "risk_paths": '{ riskPaths(from: "%(company)s", to: "%(company2)s") { length } }',
    "common_links": '{ commonLinks(a: "%(company)s", b: "%(company2)s") { kind } }',
    "ultimate_owners": '{ ultimateOwners(uscc: "%(C)s", minStake: 0) { effectiveStake } }',
    "risk_scan": '{ riskScan(id: "%(company)s") { warnings } }',
    "watchlist": "{ watchlist { since } }",
    "disputes": "{ disputes { totalCount } }",
    "audit_log": "{ auditLog(first: 1) { edges { cursor } } }",
    "audit_verification": "{ auditVerification { intact } }",
    "audit_state_verification": "{ auditStateVerification(first: 1) { checked } }",
    "who_looked_at_me": "{ whoLookedAtMe { role } }",
    # Mutation (the allowed ones write what is there already, or are refused in their union)
    "upsert_company": 'mutation { upsertCompany(input: {uscc: "%(C2)s", name: "权限测试乙有限公司", '
    'phone: "010-67100000"}) { __typename } }',
    "upsert_person": 'mutation { upsertPerson(input: {idNumber: "%(OTHER)s", name: "权限他人"}) '
    "{ __typename } }",
    "link_entities": 'mutation { linkEntities(input: {rel: LEGAL_REPRESENTATIVE_OF, from: "%(OTHER)s", '
    'to: "%(C2)s"}) { __typename } }',
    "add_record": 'mutation { addRecord(input: {subject: "%(C2)s", recordId: "ACL-C2", '
    'authority: "北京市朝阳区人民法院", category: JUDICIAL, code: "JUDGMENT_DEFAULT", '
    'polarity: WARNING, severity: SERIOUS, decidedOn: "2026-09-01"}) { __typename } }',
    "watch": 'mutation { watch(id: "%(company)s") { since } }',
    "unwatch": 'mutation { unwatch(id: "%(company2)s") }',
    "dispute_record": 'mutation { disputeRecord(recordId: "ACL-P", reason: "不是我") { __typename } }',
    "resolve_dispute": 'mutation { resolveDispute(id: "no-such-dispute", outcome: UPHELD, note: "-") '
    "{ __typename } }",
    "request_restoration": 'mutation { requestRestoration(recordId: "ACL-P", reason: "已改正") '
    "{ __typename } }",
    "decide_restoration": 'mutation { decideRestoration(id: "no-such-request", approve: false, '
    'note: "-") { __typename } }',
}
EVERYONE = set(ROLES)
INVESTIGATORS = {"investigator", "registrar"}
LOOKUP = {"relying_party", "investigator", "registrar", "subject_own"}
FULL_FILE = {"investigator", "registrar", "subject_own"}
WATCHERS = {"relying_party", "investigator", "registrar"}
EXPECTED: dict[str, set[str]] = {
    "node": EVERYONE,
    "node_person": LOOKUP,
    "nodes": EVERYONE,
    "service_version": EVERYONE,
    "company": EVERYONE,
    "person": LOOKUP,
    "person_records": FULL_FILE,
    "person_score": FULL_FILE,
    "person_history": FULL_FILE,
    "search": EVERYONE,
    "search_persons": WATCHERS,
    "blacklist": EVERYONE,
    "blacklist_persons": INVESTIGATORS,
    "schemes": EVERYONE,
    "eligibility": LOOKUP,
    "publicity": EVERYONE,
    "linkage": INVESTIGATORS,
    "risk_paths": INVESTIGATORS,
    "common_links": INVESTIGATORS,
    "ultimate_owners": INVESTIGATORS,
    "risk_scan": INVESTIGATORS,
    "watchlist": WATCHERS,
    "disputes": {"registrar", "subject_own", "subject_other"},
    "audit_log": {"auditor"},
    "audit_verification": {"auditor"},
    "audit_state_verification": {"auditor"},
    "who_looked_at_me": {"subject_own", "subject_other"},
    "upsert_company": {"registrar"},
    "upsert_person": {"registrar"},
    "link_entities": {"registrar"},
    "add_record": {"registrar"},
    "watch": WATCHERS,
    "unwatch": WATCHERS,
    "dispute_record": {"registrar", "subject_own"},
    "resolve_dispute": {"registrar"},
    "request_restoration": {"registrar", "subject_own"},
    "decide_restoration": {"registrar"},
}
# Every root field has a row above (the subscription's is in test_subscription_matrix).
FIELDS = {
    "node": "node", "node_person": "node", "nodes": "nodes", "service_version": "serviceVersion",
    "company": "company", "person": "person", "person_records": "node", "person_score": "node",
    "person_history": "node", "search": "search", "search_persons": "search",
    "blacklist": "blacklist", "blacklist_persons": "blacklist", "schemes": "schemes",
    "eligibility": "eligibility", "publicity": "publicity", "linkage": "linkage",
    "risk_paths": "riskPaths", "common_links": "commonLinks", "ultimate_owners": "ultimateOwners",
    "risk_scan": "riskScan", "watchlist": "watchlist", "disputes": "disputes",
    "audit_log": "auditLog", "audit_verification": "auditVerification",
    "audit_state_verification": "auditStateVerification",
    "who_looked_at_me": "whoLookedAtMe", "upsert_company": "upsertCompany",
    "upsert_person": "upsertPerson", "link_entities": "linkEntities", "add_record": "addRecord",
    "watch": "watch", "unwatch": "unwatch", "dispute_record": "disputeRecord",
    "resolve_dispute": "resolveDispute", "request_restoration": "requestRestoration",
    "decide_restoration": "decideRestoration",
}  # fmt: skip
CELLS = [(op, role) for op in OPERATIONS for role in ROLES]


@pytest.mark.parametrize(("operation", "role"), CELLS, ids=[f"{o}-{r}" for o, r in CELLS])
def test_role_matrix(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
    operation: str,
    role: str,
) -> None:
    client, headers, ids = world
    query = OPERATIONS[operation] % {"C": C, "C2": C2, "OWN": OWN, "OTHER": OTHER, **ids}
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


def test_role_matrix_covers_every_root_field() -> None:
    from api.schema import build_schema

    schema = build_schema()._schema
    roots = {
        name
        for root in (schema.query_type, schema.mutation_type)
        if root is not None
        for name in root.fields
    }
    assert set(FIELDS.values()) == roots
    assert set(FIELDS) == set(OPERATIONS) == set(EXPECTED)


def test_id_numbers_are_masked_unless_the_role_needs_them(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
) -> None:
    client, headers, _ = world
    query = f'{{ company(uscc: "{C}") {{ legalRepresentative {{ idNumber }} }} }}'
    masked = OWN[:6] + "********" + OWN[-4:]
    expected = {
        "public": None,  # no person at all, masked or not
        "relying_party": masked,
        "investigator": OWN,
        "registrar": OWN,
        "auditor": None,
        "subject_own": OWN,
        "subject_other": None,  # another person's
    }
    for role, number in expected.items():
        body = client.post("/graphql", json={"query": query}, headers=headers[role]).json()
        if number is None:
            assert body["data"]["company"]["legalRepresentative"] is None, role
            assert "needs the role" in body["errors"][0]["message"], role
        else:
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
    assert body["data"] == {"linkage": None}  # the refusal nulls its field, not the answer
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "field": "linkage"}
    assert body["errors"][0]["message"] == (
        "linkage: needs the role investigator or registrar to trace paths, linkage, common "
        "links, ownership and risk scans; the caller's role is relying_party"
    )


def test_who_looked_at_me_lists_audited_reads(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
) -> None:
    client, headers, _ = world
    lookup = f'{{ person(idNumber: "{OWN}", name: "权限本人") {{ name }} }}'
    assert client.post("/graphql", json={"query": lookup}, headers=headers["relying_party"])
    query = "{ whoLookedAtMe { role who operation } }"
    own = client.post("/graphql", json={"query": query}, headers=headers["subject_own"]).json()
    readers = own["data"]["whoLookedAtMe"]
    assert {"role": "RELYING_PARTY", "who": "relying_party desk", "operation": "person"} in readers
    # The subject's own reads and a registrar's are not "someone looking".
    assert all(r["role"] in ("RELYING_PARTY", "INVESTIGATOR") for r in readers)
    other = client.post("/graphql", json={"query": query}, headers=headers["subject_other"]).json()
    assert all(
        r["operation"] != "person" or r["who"] != "本人" for r in other["data"]["whoLookedAtMe"]
    )


def test_subscription_matrix(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
) -> None:
    client, headers, _ = world
    allowed = {"relying_party", "investigator", "registrar"}
    for role in ROLES:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": headers[role]})
            assert ws_json(ws)["type"] == "connection_ack", role
            query = "subscription { watchEvents { kind } }"
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
            if role in allowed:
                # Running: nothing comes until an event does.
                with pytest.raises(TimeoutError):
                    ws_json(ws, seconds=1.5)
            else:
                answer = ws_json(ws)
                assert answer["type"] == "error", role
                assert "needs the role" in answer["payload"][0]["message"], role


def test_masks_hold_under_concurrent_requests_of_mixed_roles(
    world: tuple[TestClient, dict[str, dict[str, str]], dict[str, str]],
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client, headers, _ = world
    query = f'{{ company(uscc: "{C}") {{ legalRepresentative {{ idNumber }} }} }}'
    masked = OWN[:6] + "********" + OWN[-4:]
    roles = ["relying_party", "investigator", "public", "subject_own"] * 10

    def ask(role: str) -> tuple[str, Any]:
        body = client.post("/graphql", json={"query": query}, headers=headers[role]).json()
        return role, body["data"]["company"]["legalRepresentative"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        seen = list(pool.map(ask, roles))
    expected = {
        "relying_party": {"idNumber": masked},
        "investigator": {"idNumber": OWN},
        "public": None,
        "subject_own": {"idNumber": OWN},
    }
    assert all(answer == expected[role] for role, answer in seen), seen
