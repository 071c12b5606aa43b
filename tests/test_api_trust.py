"""Disputes and restoration end to end with the score before and after, and the audit chain:
every write leaves an entry, the chain verifies, and an edited entry is named by
``credgraph audit verify``."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from backend.local import LocalServer
from graph.driver import Graph
from tests.conftest import running_server, settings_for
from tests.factories import api_key, bearer, company_row, import_rows, person_row, record_row, uscc
from tests.factories import id_number as number
from tests.test_cli import env_for, run

PERSON = number(680)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    # A server of its own: the tamper test breaks its audit chain on purpose.
    with running_server(tmp_path_factory.mktemp("trust")) as server:
        yield server


@pytest.fixture(scope="module")
def world(
    server: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    settings = settings_for(server, allow_writes=True)
    keys = {
        "registrar": bearer(api_key(settings, "registrar", name="registry desk")),
        "auditor": bearer(api_key(settings, "auditor", name="audit desk")),
        "investigator": bearer(api_key(settings, "investigator", name="inv desk")),
    }
    import_rows(
        settings,
        [
            person_row(680, name="申诉人"),
            company_row(680, name="申诉测试有限公司", phone="010-68000000"),
            # A serious judgment decided over a year ago: disputable, and restorable.
            record_row("T-JUDG", PERSON, decided_on="2025-06-01"),
            record_row("T-FARE", PERSON, code="FARE_EVASION", category="social",
                       severity="minor", decided_on="2026-11-01"),
        ],
        tmp_path_factory.mktemp("trust-rows"),
    )  # fmt: skip
    keys["subject"] = bearer(api_key(settings, "subject", PERSON, name="申诉人本人"))
    with TestClient(create_app(settings)) as client:
        yield client, keys


def call(client: TestClient, headers: dict[str, str], query: str, **variables: Any) -> Any:
    body = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    result = body.json()
    assert "errors" not in result, result["errors"]
    return result["data"]


SCORE = """query($n: String!) { person(idNumber: $n) { score { value level
  contributions(first: 20) { edges { node { recordId points status } } } } } }"""
DISPUTE = """mutation($r: String!, $why: String!) { disputeRecord(recordId: $r, reason: $why) {
  __typename ... on Dispute { id status dueOn overdue record { status } }
  ... on DisputeRefused { field message } } }"""
RESOLVE = """mutation($id: ID!, $o: DisputeOutcome!, $note: String!) {
  resolveDispute(id: $id, outcome: $o, note: $note) {
  __typename ... on Dispute { status note record { status } }
  ... on DisputeRefused { field message } } }"""
RESTORE = """mutation($r: String!, $why: String!) { requestRestoration(recordId: $r, reason: $why) {
  __typename ... on Dispute { id kind status } ... on DisputeRefused { field message } } }"""
DECIDE = """mutation($id: ID!, $ok: Boolean!, $note: String!) {
  decideRestoration(id: $id, approve: $ok, note: $note) {
  __typename ... on Dispute { status record { status } } ... on DisputeRefused { message } } }"""


def graph_rows(server: LocalServer, query: Any, key: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        graph = await Graph.connect(settings_for(server).graph_config())
        try:
            return await graph.read(query, {"k": key})
        finally:
            await graph.close()

    return asyncio.run(read())


def published(client: TestClient, keys: dict[str, dict[str, str]]) -> set[str]:
    """The record ids the announcement page lists (to an investigator: people's too)."""
    query = "{ publicity(first: 100) { edges { node { recordId } } } }"
    feed = call(client, keys["investigator"], query)
    return {e["node"]["recordId"] for e in feed["publicity"]["edges"]}


STANDINGS = """query($n: String!) { person(idNumber: $n) {
  score { contributions(first: 50) { edges { node { kind recordId points status } } } }
  records(first: 50) { edges { node { recordId status standing { status points } } } } } }"""


def score(client: TestClient, keys: dict[str, dict[str, str]]) -> tuple[float, dict[str, Any]]:
    found = call(client, keys["subject"], SCORE, n=PERSON)["person"]["score"]
    parts = {e["node"]["recordId"]: e["node"] for e in found["contributions"]["edges"]}
    # At every step of a dispute, each record's standing is its contribution's.
    both = call(client, keys["subject"], STANDINGS, n=PERSON)["person"]
    own = {
        e["node"]["recordId"]: e["node"]
        for e in both["score"]["contributions"]["edges"]
        if e["node"]["kind"] == "RECORD"
    }
    for edge in both["records"]["edges"]:
        record = edge["node"]
        part = own[record["recordId"]]
        assert record["standing"] == {
            "status": part["status"],
            "points": part["points"],
        }, (record, part)
    return found["value"], parts


def test_dispute_life_cycle_moves_the_score(
    world: tuple[TestClient, dict[str, dict[str, str]]], server: LocalServer
) -> None:
    client, keys = world
    found = call(client, keys["investigator"], f'{{ person(idNumber: "{PERSON}") {{ id }} }}')
    watch = "mutation($id: ID!) { watch(id: $id) { since } }"
    call(client, keys["investigator"], watch, id=found["person"]["id"])
    before, parts = score(client, keys)
    judgment = parts["T-JUDG"]["points"]
    assert judgment < 0 and parts["T-JUDG"]["status"] == "COUNTING"

    opened = call(client, keys["subject"], DISPUTE, r="T-JUDG", why="已履行判决")["disputeRecord"]
    assert opened["__typename"] == "Dispute" and opened["status"] == "OPEN"
    assert opened["record"]["status"] == "DISPUTED" and opened["overdue"] is False
    during, parts = score(client, keys)
    assert parts["T-JUDG"] == {"recordId": "T-JUDG", "points": 0, "status": "DISPUTED"}
    assert during == before - judgment  # the judgment's points are suspended
    again = call(client, keys["subject"], DISPUTE, r="T-JUDG", why="again")["disputeRecord"]
    assert again == {"__typename": "DisputeRefused", "field": "recordId",
                     "message": "only an active record can be disputed; it is disputed"}  # fmt: skip

    listed = call(client, keys["registrar"], "{ disputes(status: OPEN) { totalCount } }")
    assert listed["disputes"]["totalCount"] == 1
    refused = client.post(
        "/graphql",
        json={"query": RESOLVE, "variables": {"id": opened["id"], "o": "REMOVED", "note": "x"}},
        headers=keys["subject"],
    ).json()
    assert "needs the role registrar" in refused["errors"][0]["message"]

    done = call(
        client, keys["registrar"], RESOLVE, id=opened["id"], o="REMOVED", note="法院确认已履行"
    )["resolveDispute"]
    assert done["status"] == "REMOVED" and done["record"]["status"] == "REMOVED"
    after, parts = score(client, keys)
    assert parts["T-JUDG"]["points"] == 0 and parts["T-JUDG"]["status"] == "REMOVED"
    assert after == during
    # Removed: kept in the history (above), out of public view.
    assert "T-JUDG" not in published(client, keys)
    # The watchers heard of it: the dispute and its decision.
    events = "MATCH (e:WatchEvent {subjectKey: $k}) RETURN e.kind AS kind"
    kinds = {r["kind"] for r in graph_rows(server, events, PERSON)}
    assert {"record_disputed", "dispute_decided"} <= kinds
    second = call(client, keys["registrar"], RESOLVE, id=opened["id"], o="UPHELD", note="x")
    assert second["resolveDispute"]["message"] == "the dispute is already removed"


def test_restoration_waits_for_the_minimum_then_a_registrar_decides(
    world: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, keys = world
    # A minor record may be restored at once once corrected (minimum 0 months).
    assert "T-FARE" in published(client, keys)
    asked = call(client, keys["subject"], RESTORE, r="T-FARE", why="已补票")["requestRestoration"]
    assert asked["kind"] == "RESTORATION" and asked["status"] == "OPEN"
    before, parts = score(client, keys)
    assert parts["T-FARE"]["status"] == "COUNTING"  # asking changes nothing yet
    decided = call(client, keys["registrar"], DECIDE, id=asked["id"], ok=True, note="核实")
    assert decided["decideRestoration"] == {
        "__typename": "Dispute",
        "status": "APPROVED",
        "record": {"status": "RESTORED"},
    }
    after, parts = score(client, keys)
    assert parts["T-FARE"]["status"] == "RESTORED" and parts["T-FARE"]["points"] == 0
    assert after > before
    assert "T-FARE" not in published(client, keys)


def test_audit_chain_records_writes_and_names_an_edited_entry(
    world: tuple[TestClient, dict[str, dict[str, str]]], server: LocalServer
) -> None:
    client, keys = world
    log = call(
        client,
        keys["auditor"],
        "{ auditLog(first: 50) { edges { node { seq operation kind role subjects prevHash hash } } } }",
    )["auditLog"]["edges"]
    entries = [e["node"] for e in log]
    operations = [e["operation"] for e in entries]
    for operation in ("disputeRecord", "resolveDispute", "requestRestoration", "decideRestoration"):
        assert operation in operations
    assert [e["seq"] for e in entries] == sorted((e["seq"] for e in entries), reverse=True)
    for newer, older in itertools.pairwise(entries):
        assert newer["prevHash"] == older["hash"]
    masked = PERSON[:6] + "********" + PERSON[-4:]
    assert all(e["subjects"] == [masked] for e in entries if e["operation"] == "disputeRecord")
    assert call(client, keys["auditor"], "{ auditVerification { intact entries } }") == {
        "auditVerification": {"intact": True, "entries": len(entries)}
    }
    env = env_for(server)
    ok = run(["audit", "verify"], env)
    assert ok.returncode == 0 and f"intact: {len(entries)} entries" in ok.stdout

    # Someone edits entry 2 in the graph: verify names it.
    async def tamper() -> None:
        graph = await Graph.connect(settings_for(server).graph_config())
        try:
            await graph.write("MATCH (e:AuditEntry {seq: 2}) SET e.role = 'registrar-forged'")
        finally:
            await graph.close()

    asyncio.run(tamper())
    broken = run(["audit", "verify"], env)
    assert broken.returncode == 1
    assert "audit chain broken at entry 2: its content does not match its hash" in broken.stderr
    state = call(client, keys["auditor"], "{ auditVerification { intact brokenAt reason } }")
    assert state["auditVerification"]["brokenAt"] == 2 and not state["auditVerification"]["intact"]


def test_audit_verify_names_an_entry_whose_mention_was_removed(
    fresh_server: LocalServer,
) -> None:
    settings = settings_for(fresh_server, allow_writes=True)
    registrar = bearer(api_key(settings, "registrar", name="mention desk"))
    auditor = bearer(api_key(settings, "auditor", name="mention audit"))
    upsert = (
        'mutation { upsertCompany(input: {uscc: "%s", name: "提及测试有限公司"}) { __typename } }'
    )
    with TestClient(create_app(settings)) as client:
        for n in (1, 2):
            call(client, registrar, upsert % uscc(n))
        verified = call(client, auditor, "{ auditVerification { intact entries } }")
        # The two keys' creations, then the two writes.
        assert verified["auditVerification"] == {"intact": True, "entries": 4}

        async def unmention() -> None:
            graph = await Graph.connect(settings.graph_config())
            try:
                await graph.write("MATCH (m:AuditMention {seq: 4}) DELETE m")
            finally:
                await graph.close()

        asyncio.run(unmention())
        state = call(client, auditor, "{ auditVerification { intact brokenAt reason } }")
    verdict = state["auditVerification"]
    assert not verdict["intact"] and verdict["brokenAt"] == 4
    assert verdict["reason"].startswith("1 of its 1 subject mentions are missing")
