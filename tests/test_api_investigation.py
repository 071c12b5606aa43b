"""Investigation over GraphQL on a small graph built for it: risk paths, linkage with hubs and
limits, common links, equity penetration through a cross-holding, and risk scans."""

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
)
from tests.factories import uscc as code

C = {n: code(600 + n) for n in range(1, 9)}
P = {n: id_number(600 + n) for n in range(1, 6)}
HUB_OFFICERS = [id_number(n, born="19900101") for n in range(700, 760)]  # 60 > the hub cap


def company(n: int, **extra: Any) -> dict[str, Any]:
    return company_row(600 + n, **{"phone": f"010-6{600 + n:07d}", **extra})


def rows() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [company(n) for n in range(3, 9)]
    # C1 and C2 share an address (written differently) and a phone, and a legal representative.
    out += [
        company(1, address="北京市朝阳区 建国路 88 号", phone="010-88888888"),
        company(2, address="北京市朝阳区建国路88号", phone="010 8888 8888"),
    ]
    out += [person_row(600 + n) for n in range(1, 6)]
    out += [
        person_row(n, born="19900101") | {"id_number": HUB_OFFICERS[n - 700]}
        for n in range(700, 760)
    ]
    out += [
        link_row("LEGAL_REPRESENTATIVE_OF", P[1], C[1]),
        link_row("LEGAL_REPRESENTATIVE_OF", P[1], C[2]),
        # Ownership of C1: P2 through C3, P3 directly, and C4, which C5 and C4 cross-hold.
        link_row("SHAREHOLDER_OF", C[3], C[1], stake=0.5),
        link_row("SHAREHOLDER_OF", P[2], C[3], stake=0.6),
        link_row("SHAREHOLDER_OF", P[3], C[1], stake=0.3),
        link_row("SHAREHOLDER_OF", C[4], C[1], stake=0.2),
        link_row("SHAREHOLDER_OF", C[5], C[4], stake=0.6),
        link_row("SHAREHOLDER_OF", P[4], C[4], stake=0.4),
        link_row("SHAREHOLDER_OF", C[4], C[5], stake=0.5),
        link_row("SHAREHOLDER_OF", P[5], C[5], stake=0.5),
        # Two 2-link paths from P3 to C2 (through C7 and through C8) and a 3-link one via P1.
        link_row("OFFICER_OF", P[3], C[7], role="director"),
        link_row("OFFICER_OF", P[3], C[8], role="supervisor"),
        link_row("BRANCH_OF", C[7], C[2]),
        link_row("BRANCH_OF", C[8], C[2]),
        # C6, C2's parent, is a hub: 60 officers.
        link_row("BRANCH_OF", C[2], C[6]),
    ]
    out += [link_row("OFFICER_OF", p, C[6], role="manager") for p in HUB_OFFICERS]
    out += [
        record_row("INV-C8", C[8], decided_on="2026-06-01"),  # serious: C8 becomes risky
        record_row(
            "INV-C2",
            C[2],
            code="ADMIN_PENALTY_MINOR",
            category="administrative",
            severity="minor",
            decided_on="2026-10-01",
        ),
        record_row(
            "INV-C4",
            C[4],
            code="TAX_ARREARS",
            category="administrative",
            severity="general",
            decided_on="2026-05-01",
        ),
    ]
    return out


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    server: LocalServer = make_server(tmp_path_factory.mktemp("investigation"))
    server.start()
    try:
        settings = settings_for(server)

        migrate(settings)
        import_rows(settings, rows(), tmp_path_factory.mktemp("investigation-rows"))
        schemes = load_schemes(settings.schemes_dir)
        with Progress(console=Console(quiet=True)) as progress:
            asyncio.run(score_all(settings.graph_config(), schemes, date.today(), progress))
        key = api_key(settings, "investigator")
        with TestClient(create_app(settings), headers=bearer(key)) as client:
            yield client
    finally:
        server.stop()


def call(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = client.post(
        "/graphql", json={"query": query, "variables": variables}
    ).json()
    return body


def data(client: TestClient, query: str, **variables: Any) -> dict[str, Any]:
    body = call(client, query, **variables)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def error(client: TestClient, query: str, **variables: Any) -> str:
    body = call(client, query, **variables)
    assert body.get("errors"), body
    message: str = body["errors"][0]["message"]
    return message


def company_id(client: TestClient, uscc: str) -> str:
    found = data(client, "query($u: String) { company(uscc: $u) { id } }", u=uscc)
    return str(found["company"]["id"])


def person_id(client: TestClient, number: str) -> str:
    found = data(client, "query($n: String!) { person(idNumber: $n) { id } }", n=number)
    return str(found["person"]["id"])


def name_of(n: int, kind: str) -> str:
    return f"北京测试{600 + n}科技有限公司" if kind == "C" else f"张{600 + n}"


PATHS = """
query($a: ID!, $b: ID!, $hops: Int, $types: [RelType!], $first: Int) {
  riskPaths(from: $a, to: $b, maxHops: $hops, relTypes: $types, first: $first) {
    length risk
    nodes { id hops entity { name } standing { scheme level value blacklisted } }
    edges { type direction relationship { type startId endId role stake } }
  }
}
"""


def test_risk_paths_shortest_first_then_riskiest(api: TestClient) -> None:
    p3, c2 = person_id(api, P[3]), company_id(api, C[2])
    paths = data(api, PATHS, a=p3, b=c2, hops=4, first=10)["riskPaths"]
    names = [[n["entity"]["name"] for n in p["nodes"]] for p in paths]
    assert [p["length"] for p in paths] == [2, 2, 3]
    # C8 carries a serious judgment: the path through it is the riskier of the two short ones.
    assert names[0] == [name_of(3, "P"), name_of(8, "C"), name_of(2, "C")]
    assert names[1] == [name_of(3, "P"), name_of(7, "C"), name_of(2, "C")]
    assert names[2] == [name_of(3, "P"), name_of(1, "C"), name_of(1, "P"), name_of(2, "C")]
    assert paths[0]["risk"] > paths[1]["risk"]
    first = paths[0]
    assert first["nodes"][0]["id"] == p3 and first["nodes"][-1]["id"] == c2
    assert [n["hops"] for n in first["nodes"]] == [0, 1, 2]
    assert first["nodes"][1]["standing"]["scheme"] == "enterprise"
    # P3 -OFFICER_OF-> C8 points along the path; C8 -BRANCH_OF-> C2 as well.
    assert [(e["type"], e["direction"]) for e in first["edges"]] == [
        ("OFFICER_OF", "FORWARD"),
        ("BRANCH_OF", "FORWARD"),
    ]
    assert first["edges"][0]["relationship"]["role"] == "supervisor"
    assert first["edges"][0]["relationship"]["startId"] == p3
    # The 3-link path walks P1 -LEGAL_REPRESENTATIVE_OF-> C1 backwards.
    assert [e["direction"] for e in paths[2]["edges"]] == ["FORWARD", "BACKWARD", "FORWARD"]


def test_risk_paths_respect_types_hops_and_first(api: TestClient) -> None:
    p3, c2 = person_id(api, P[3]), company_id(api, C[2])
    only = data(
        api, PATHS, a=p3, b=c2, hops=4, types=["SHAREHOLDER_OF", "LEGAL_REPRESENTATIVE_OF"]
    )["riskPaths"]
    assert [[e["type"] for e in p["edges"]] for p in only] == [
        ["SHAREHOLDER_OF", "LEGAL_REPRESENTATIVE_OF", "LEGAL_REPRESENTATIVE_OF"]
    ]
    assert data(api, PATHS, a=p3, b=c2, hops=1)["riskPaths"] == []
    assert len(data(api, PATHS, a=p3, b=c2, hops=4, first=1)["riskPaths"]) == 1
    # Reversed ends give the same paths backwards.
    back = data(api, PATHS, a=c2, b=p3, hops=3, first=10)["riskPaths"]
    assert [p["length"] for p in back] == [2, 2, 3]
    assert back[0]["nodes"][1]["entity"]["name"] == name_of(8, "C")


def test_risk_paths_refuse_bad_arguments(api: TestClient) -> None:
    p3, c2 = person_id(api, P[3]), company_id(api, C[2])
    assert error(api, PATHS, a=p3, b=c2, hops=7) == "maxHops: must be between 1 and 6, got 7"
    assert error(api, PATHS, a=p3, b=c2, hops=2, first=0).startswith("first:")
    assert "from:" in error(api, PATHS, a="bm9wZQ==", b=c2, hops=2)
    assert error(api, PATHS, a=p3, b=c2, hops=2, types=[]).startswith("relTypes:")


LINKAGE = """
query($id: ID!, $hops: Int, $limit: Int, $types: [RelType!]) {
  linkage(id: $id, hops: $hops, limit: $limit, relTypes: $types) {
    truncated
    nodes { id hops entity { name } standing { level } }
    edges { type startId endId stake }
    hubs { id entity { name } }
  }
}
"""


def test_linkage_draws_the_neighbourhood(api: TestClient) -> None:
    p1 = person_id(api, P[1])
    found = data(api, LINKAGE, id=p1, hops=2)["linkage"]
    names = {n["entity"]["name"]: n["hops"] for n in found["nodes"]}
    assert names == {
        name_of(1, "P"): 0,
        name_of(1, "C"): 1,
        name_of(2, "C"): 1,
        name_of(3, "C"): 2,
        name_of(3, "P"): 2,
        name_of(4, "C"): 2,
        name_of(6, "C"): 2,
        name_of(7, "C"): 2,
        name_of(8, "C"): 2,
    }
    assert not found["truncated"] and found["hubs"] == []
    ids = {n["id"] for n in found["nodes"]}
    assert all(e["startId"] in ids and e["endId"] in ids for e in found["edges"])
    assert len(found["edges"]) == 8  # a tree here: one link per entity but the root
    stakes = {e["stake"] for e in found["edges"] if e["type"] == "SHAREHOLDER_OF"}
    assert stakes == {0.5, 0.3, 0.2}


def test_linkage_keeps_hubs_unexpanded_and_honours_the_limit(api: TestClient) -> None:
    p1 = person_id(api, P[1])
    wide = data(api, LINKAGE, id=p1, hops=3)["linkage"]
    assert [h["entity"]["name"] for h in wide["hubs"]] == [name_of(6, "C")]
    names = {n["entity"]["name"] for n in wide["nodes"]}
    assert not any(name.startswith("张7") for name in names)  # the hub's officers stay out
    assert name_of(2, "P") in names  # C3's shareholder, three links out
    small = data(api, LINKAGE, id=p1, hops=2, limit=4)["linkage"]
    assert small["truncated"] and len(small["nodes"]) == 4
    hub = company_id(api, C[6])
    root = data(api, LINKAGE, id=hub, hops=1, limit=30)["linkage"]
    assert root["truncated"] and len(root["nodes"]) == 30
    assert [h["id"] for h in root["hubs"]] == [hub]
    only = data(api, LINKAGE, id=p1, hops=1, types=["SHAREHOLDER_OF"])["linkage"]
    assert [n["entity"]["name"] for n in only["nodes"]] == [name_of(1, "P")]
    assert error(api, LINKAGE, id=p1, hops=4) == "hops: must be between 1 and 3, got 4"


COMMON = """
query($a: ID!, $b: ID!) {
  commonLinks(a: $a, b: $b) {
    kind value entity { name }
    pathFromA { type direction } pathFromB { type direction }
  }
}
"""


def test_common_links(api: TestClient) -> None:
    c1, c2 = company_id(api, C[1]), company_id(api, C[2])
    found = data(api, COMMON, a=c1, b=c2)["commonLinks"]
    assert [(x["kind"], (x["entity"] or {}).get("name")) for x in found] == [
        ("PARTY", name_of(1, "P")),
        ("ADDRESS", None),
        ("PHONE", None),
    ]
    assert found[0]["pathFromA"] == [{"type": "LEGAL_REPRESENTATIVE_OF", "direction": "BACKWARD"}]
    assert found[1]["value"] == "北京市朝阳区 建国路 88 号"
    c7 = company_id(api, C[7])
    direct = data(api, COMMON, a=c7, b=c2)["commonLinks"]
    assert direct[0]["kind"] == "DIRECT"
    assert direct[0]["pathFromA"] == [{"type": "BRANCH_OF", "direction": "FORWARD"}]
    assert direct[0]["pathFromB"] == [{"type": "BRANCH_OF", "direction": "BACKWARD"}]
    # Two companies with different addresses and phones and no shared party: nothing.
    assert data(api, COMMON, a=company_id(api, C[5]), b=c7)["commonLinks"] == []
    assert error(api, COMMON, a=c1, b=c1) == "b: the same entity as a"


OWNERS = """
query($u: String!, $min: Float) {
  ultimateOwners(uscc: $u, minStake: $min) {
    effectiveStake truncated owner { name }
    chains { stake links { holder { name } company { uscc } stake } }
  }
}
"""


def test_ultimate_owners_through_a_cross_holding(api: TestClient) -> None:
    found = data(api, OWNERS, u=C[1], min=0.05)["ultimateOwners"]
    stakes = {o["owner"]["name"]: round(o["effectiveStake"], 9) for o in found}
    # P2 0.5*0.6, P3 0.3, P4 0.2*0.4, P5 0.2*0.6*0.5; C4<->C5 is walked once, never looped.
    assert stakes == {
        name_of(2, "P"): 0.3,
        name_of(3, "P"): 0.3,
        name_of(4, "P"): 0.08,
        name_of(5, "P"): 0.06,
    }
    p5 = next(o for o in found if o["owner"]["name"] == name_of(5, "P"))
    assert p5["chains"] == [
        {
            "stake": pytest.approx(0.06),
            "links": [
                {"holder": {"name": name_of(4, "C")}, "company": {"uscc": C[1]}, "stake": 0.2},
                {"holder": {"name": name_of(5, "C")}, "company": {"uscc": C[4]}, "stake": 0.6},
                {"holder": {"name": name_of(5, "P")}, "company": {"uscc": C[5]}, "stake": 0.5},
            ],
        }
    ]
    default = data(api, OWNERS, u=C[1])["ultimateOwners"]
    assert {o["owner"]["name"] for o in default} == {name_of(2, "P"), name_of(3, "P")}
    assert error(api, OWNERS, u=C[1], min=1.5).startswith("minStake:")
    assert error(api, OWNERS, u=code(699)).startswith("uscc: the registry holds no company")


SCAN = """
query($id: ID!, $hops: Int) {
  riskScan(id: $id, hops: $hops) {
    warnings worstSeverity records { recordId }
    node { hops entity { name } standing { level blacklisted } }
  }
}
"""


def test_risk_scan_nearest_then_gravest(api: TestClient) -> None:
    p1 = person_id(api, P[1])
    hits = data(api, SCAN, id=p1, hops=2)["riskScan"]
    assert [(h["node"]["entity"]["name"], h["node"]["hops"], h["worstSeverity"]) for h in hits] == [
        (name_of(2, "C"), 1, "MINOR"),
        (name_of(8, "C"), 2, "SERIOUS"),
        (name_of(4, "C"), 2, "GENERAL"),
    ]
    assert hits[1]["records"] == [{"recordId": "INV-C8"}] and hits[1]["warnings"] == 1
    near = data(api, SCAN, id=p1, hops=1)["riskScan"]
    assert [h["node"]["entity"]["name"] for h in near] == [name_of(2, "C")]
