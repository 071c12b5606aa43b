"""Edits behind the API's back: every write seals what it stored, and ``audit verify --state``
(and ``auditStateVerification``) names each object whose content no audited write accounts for.

One server of its own: the tests edit its graph directly, as someone with database access would.
Every kind of writer runs first (an import, API mutations, a dispute, a whole-graph scoring run,
key creation and revocation) and the untouched graph must verify clean; then a record's
severity, a score snapshot's value, a deleted link and a company added in the database are named.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from backend.local import LocalServer
from graph.driver import Graph
from graph.errors import UnauditedWrite
from graph.repositories import seals, writes
from graph.rows import parse_company
from tests.conftest import running_server, settings_for
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
from tests.test_api_trust import call
from tests.test_cli import env_for, run

PERSON = id_number(910)
COMPANY = uscc(910)
OTHER = uscc(911)

STATE = """{ auditStateVerification(first: 50) { intact checked sealed differenceCount
  differences { object key change fields lastAuditedEntry } } }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with running_server(tmp_path_factory.mktemp("state")) as server:
        yield server


def on_graph(server: LocalServer, statement: str, **params: Any) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        graph = await Graph.connect(settings_for(server).graph_config())
        try:
            return await graph.write(statement, params)
        finally:
            await graph.close()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def world(
    server: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    settings = settings_for(server, allow_writes=True)
    keys = {
        "registrar": bearer(api_key(settings, "registrar", name="state desk")),
        "auditor": bearer(api_key(settings, "auditor", name="state audit")),
    }
    import_rows(
        settings,
        [
            person_row(910, name="封印人"),
            company_row(910, name="封印测试有限公司"),
            company_row(911, name="封印关联有限公司"),
            link_row("LEGAL_REPRESENTATIVE_OF", PERSON, COMPANY),
            link_row("SHAREHOLDER_OF", COMPANY, OTHER, stake=0.6),
            link_row("OFFICER_OF", PERSON, OTHER, role="监事"),
            record_row("S-JUDG", COMPANY, decided_on="2025-06-01"),
            record_row("S-FARE", PERSON, code="FARE_EVASION", category="social",
                       severity="minor", decided_on="2026-11-01"),
        ],
        tmp_path_factory.mktemp("state-rows"),
    )  # fmt: skip
    env = env_for(server)
    scored = run(["score", "--all"], env)
    assert scored.returncode == 0, scored.stderr
    revoked = api_key(settings, "relying_party", name="revoked later")
    revoking = run(["keys", "revoke", revoked.split("_")[1]], env)
    assert revoking.returncode == 0, revoking.stderr
    with TestClient(create_app(settings)) as client:
        registrar = keys["registrar"]
        call(
            client,
            registrar,
            "mutation($c: String!) { upsertCompany(input: {uscc: $c, name: "
            '"封印关联（改名）有限公司"}) { __typename } }',
            c=OTHER,
        )
        added = call(
            client,
            registrar,
            'mutation($c: String!) { addRecord(input: {subject: $c, recordId: "S-TAX", '
            'authority: "税务局", category: ADMINISTRATIVE, code: "TAX_ARREARS", '
            'polarity: WARNING, severity: GENERAL, decidedOn: "2026-10-01"}) { __typename '
            "... on AddRecordSuccess { rescored } } }",
            c=COMPANY,
        )["addRecord"]
        assert added["__typename"] == "AddRecordSuccess" and added["rescored"] >= 1
        disputed = call(
            client,
            registrar,
            'mutation { disputeRecord(recordId: "S-JUDG", reason: "已履行") { __typename } }',
        )
        assert disputed["disputeRecord"]["__typename"] == "Dispute"
        yield client, keys


def test_every_write_is_sealed_and_edits_behind_the_apis_back_are_named(
    world: tuple[TestClient, dict[str, dict[str, str]]], server: LocalServer
) -> None:
    client, keys = world
    verified = call(client, keys["auditor"], STATE)["auditStateVerification"]
    assert verified["differences"] == [] and verified["intact"]
    # 3 companies... every object of every kind is in the graph and sealed.
    kinds = on_graph(
        server,
        "MATCH (n) WHERE n:Company OR n:Person OR n:Record OR n:ScoreSnapshot OR n:Dispute "
        "OR n:ApiKey RETURN count(n) AS n",
    )[0]["n"]
    links = on_graph(
        server,
        "MATCH ()-[r]->() WHERE type(r) IN ['LEGAL_REPRESENTATIVE_OF', 'SHAREHOLDER_OF', "
        "'OFFICER_OF', 'BRANCH_OF'] RETURN count(r) AS n",
    )[0]["n"]
    assert links == 3 and kinds >= 2 + 3 + 3 + 3 + 1
    assert verified["checked"] == kinds + links == verified["sealed"]
    ok = run(["audit", "verify", "--state"], env_for(server))
    assert ok.returncode == 0, ok.stderr
    assert f"stored state intact: {kinds + links} objects" in ok.stdout
    operations = {
        r["op"]: r["n"]
        for r in on_graph(
            server,
            "MATCH (e:AuditEntry) WHERE e.stateDigest IS NOT NULL "
            "RETURN e.operation AS op, count(*) AS n",
        )
    }
    for writer in ("import", "scoreAll", "createKey", "revokeKey", "upsertCompany",
                   "addRecord", "disputeRecord"):  # fmt: skip
        assert operations.get(writer, 0) >= 1, (writer, operations)

    # Now someone with database access edits the graph behind the API's back.
    snapshot = on_graph(
        server,
        "MATCH (s:ScoreSnapshot {subjectKey: $k}) WHERE s.latest "
        "SET s.value = s.value + 50 RETURN s.snapshotId AS id LIMIT 1",
        k=COMPANY,
    )[0]["id"]
    on_graph(server, "MATCH (r:Record {recordId: 'S-FARE'}) SET r.severity = 'serious'")
    on_graph(server, "MATCH (:Company {uscc: $a})-[r:SHAREHOLDER_OF]->() DELETE r", a=COMPANY)
    on_graph(server, "CREATE (:Company {uscc: $k, name: '幽灵公司'})", k=uscc(912))
    found = call(client, keys["auditor"], STATE)["auditStateVerification"]
    assert not found["intact"] and found["differenceCount"] == 4
    named = {(d["object"], d["change"]): d for d in found["differences"]}
    assert set(named) == {
        ("RECORD", "CHANGED"),
        ("SNAPSHOT", "CHANGED"),
        ("LINK", "DELETED"),
        ("COMPANY", "UNAUDITED"),
    }
    record = named["RECORD", "CHANGED"]
    assert record["key"] == "S-FARE" and record["fields"] == ["severity"]
    assert record["lastAuditedEntry"] is not None
    value = named["SNAPSHOT", "CHANGED"]
    assert value["key"] == snapshot and value["fields"] == ["value"]
    link = named["LINK", "DELETED"]
    assert link["key"] == f"SHAREHOLDER_OF {COMPANY} {OTHER}" and link["fields"] == []
    ghost = named["COMPANY", "UNAUDITED"]
    assert ghost["key"] == uscc(912) and ghost["fields"] == ["name", "uscc"]
    assert ghost["lastAuditedEntry"] is None

    env = env_for(server)
    broken = run(["audit", "verify", "--state"], env)
    assert broken.returncode == 1
    assert "audit chain intact" in broken.stdout  # the chain itself holds
    lines = broken.stdout.splitlines()
    for text in ("S-FARE", "severity", snapshot, "SHAREHOLDER_OF", "deleted", uscc(912)):
        assert any(text in line for line in lines), text
    assert "record S-FARE: changed (severity); last audited write: entry" in broken.stdout
    assert "4 of" in broken.stderr and "no audited write accounts for" in broken.stderr

    # Adopting seals the unaudited company only; the edits stay named.
    adopted = run(["audit", "adopt"], env)
    assert adopted.returncode == 0 and "adopted 1 objects" in adopted.stdout
    after = call(client, keys["auditor"], STATE)["auditStateVerification"]
    assert {(d["object"], d["change"]) for d in after["differences"]} == {
        ("RECORD", "CHANGED"),
        ("SNAPSHOT", "CHANGED"),
        ("LINK", "DELETED"),
    }


def test_a_write_outside_an_audited_transaction_is_refused(server: LocalServer) -> None:
    async def go() -> None:
        graph = await Graph.connect(settings_for(server).graph_config())
        try:
            with pytest.raises(UnauditedWrite, match="company"):
                await writes.upsert_companies(graph, [parse_company(company_row(999), "t")])
        finally:
            await graph.close()

    asyncio.run(go())
    # Refused before it committed: the company is not there.
    assert on_graph(server, "MATCH (c:Company {uscc: $k}) RETURN c", k=uscc(999)) == []


def test_a_seal_edited_in_the_graph_breaks_the_chain(
    fresh_server: LocalServer, tmp_path: Path
) -> None:
    server = fresh_server
    settings = settings_for(server)
    auditor = bearer(api_key(settings, "auditor", name="seal audit"))
    import_rows(
        settings,
        [person_row(920), record_row("S-FARE", id_number(920), code="FARE_EVASION",
                                    category="social", severity="minor")],
        tmp_path,
    )  # fmt: skip
    # Whoever edits a record and then its seal, to hide the edit, breaks the entry's hash.
    seq = on_graph(
        server,
        "MATCH (s:AuditState) WHERE 'record:S-FARE' IN s.keys "
        "RETURN s.seq AS seq ORDER BY s.seq DESC LIMIT 1",
    )[0]["seq"]
    forged = seals.object_digest(b"{}")
    on_graph(
        server,
        "MATCH (s:AuditState {seq: $seq}) SET s.digests = [d IN s.digests | $forged]",
        seq=seq,
        forged=forged,
    )
    with TestClient(create_app(settings)) as client:
        verdict = call(client, auditor, "{ auditVerification { intact brokenAt reason } }")
    assert verdict["auditVerification"]["brokenAt"] == seq
    assert "seals of what it stored do not match its hash" in verdict["auditVerification"]["reason"]
