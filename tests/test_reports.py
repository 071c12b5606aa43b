"""``GET /reports/<global id>.pdf|json|csv``: a credit file to attach, read and refused as the
file is through GraphQL, logged under an audit entry whose number it carries. The PDF's text is
read back (pypdf) and must hold the name, every record id and the total."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
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
    record_row,
    uscc,
)

ARTIFACTS = Path(__file__).parent / "artifacts"
C, P, Q = uscc(870), id_number(870), id_number(871)
BIG = uscc(872)  # a company with more records than one page holds
COMPANY_NAME, PERSON_NAME = "报告测试科技有限公司", "钱报告"


def rows() -> list[dict[str, Any]]:
    return [
        company_row(870, name=COMPANY_NAME),
        person_row(870, name=PERSON_NAME),
        person_row(871, name="孙股东"),
        link_row("LEGAL_REPRESENTATIVE_OF", P, C),
        link_row("SHAREHOLDER_OF", Q, C, stake=0.4),
        record_row("RP-C1", C, code="TAX_ARREARS", category="administrative", severity="general"),
        record_row(
            "RP-C2",
            C,
            code="TAX_GRADE_A",
            polarity="good",
            category="administrative",
            severity="general",
            decided_on="2026-10-01",
            penalty=None,
        ),
        record_row(
            "RP-C3",
            C,
            code="PRICE_VIOLATION",
            category="commercial",
            severity="minor",
            decided_on="2024-01-05",
        ),  # long expired
        record_row("RP-P1", P, decided_on="2026-06-01"),  # JUDGMENT_DEFAULT: reaches the company
        company_row(872, name="报告多记录有限公司"),
        *[
            record_row(
                f"RP-BIG-{n:03}",
                BIG,
                code="PRICE_VIOLATION",
                category="commercial",
                severity="minor",
                decided_on=f"2026-{1 + n % 11:02}-{1 + n % 27:02}",
            )
            for n in range(130)
        ],
        record_row(
            "RP-P2",
            P,
            code="FARE_EVASION",
            category="social",
            severity="minor",
            decided_on="2026-11-15",
        ),
    ]


@pytest.fixture(scope="module")
def env(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import_rows(settings, rows(), tmp_path_factory.mktemp("reports"))
    keys = {role: api_key(settings, role) for role in ("investigator", "relying_party", "auditor")}
    keys["subject"] = api_key(settings, "subject", P)
    with TestClient(create_app(settings)) as client:
        ids = client.post(
            "/graphql",
            json={
                "query": f'{{ company(uscc: "{C}") {{ id }} person(idNumber: "{P}") {{ id }} '
                f'big: company(uscc: "{BIG}") {{ id }} }}'
            },
            headers=bearer(keys["investigator"]),
        ).json()["data"]
        yield {
            "big": ids["big"]["id"],
            "client": client,
            "keys": keys,
            "company": ids["company"]["id"],
            "person": ids["person"]["id"],
        }


def get(env: dict[str, Any], who: str | None, path: str) -> Any:
    headers = bearer(env["keys"][who]) if who else {}
    return env["client"].get(path, headers=headers)


def report(env: dict[str, Any], who: str | None, which: str) -> dict[str, Any]:
    response = get(env, who, f"/reports/{env[which]}.json")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def file_read(env: dict[str, Any], who: str, which: str) -> dict[str, Any]:
    """The same file through /graphql."""
    query = """query($id: ID!) { node(id: $id) { ... on Entity { name
      score { value base level contributions(first: 100) { edges { node { recordId points } } } }
      records(first: 100) { edges { node { recordId standing { points status } } } } }
      ... on Person { idNumber } } }"""
    body = (
        env["client"]
        .post(
            "/graphql",
            json={"query": query, "variables": {"id": env[which]}},
            headers=bearer(env["keys"][who]),
        )
        .json()
    )
    assert "errors" not in body, body
    node: dict[str, Any] = body["data"]["node"]
    return node


def audit_entry(env: dict[str, Any], seq: int) -> dict[str, Any]:
    query = "{ auditLog(first: 100) { edges { node { seq operation kind keyId role subjects } } } }"
    body = (
        env["client"]
        .post("/graphql", json={"query": query}, headers=bearer(env["keys"]["auditor"]))
        .json()
    )
    found = [e["node"] for e in body["data"]["auditLog"]["edges"] if e["node"]["seq"] == seq]
    assert found, (seq, body)
    entry: dict[str, Any] = found[0]
    return entry


def test_the_json_report_holds_what_the_file_read_shows(env: dict[str, Any]) -> None:
    made = report(env, "investigator", "company")
    read = file_read(env, "investigator", "company")
    assert made["entity"]["name"] == COMPANY_NAME and made["entity"]["key"] == C
    score = made["score"]
    assert score["value"] == read["score"]["value"] and score["level"] == read["score"]["level"]
    shown = {
        e["node"]["recordId"]: e["node"]["points"] for e in read["score"]["contributions"]["edges"]
    }
    assert {c["recordId"]: c["points"] for c in score["contributions"]} == shown
    assert sorted(r["recordId"] for r in made["records"]) == ["RP-C1", "RP-C2", "RP-C3"]
    # base + every contribution = value, to the cent; the expired record counts 0.
    total = Decimal(score["base"]) + sum(Decimal(str(c["points"])) for c in score["contributions"])
    assert total == Decimal(str(score["value"]))
    old = next(r for r in made["records"] if r["recordId"] == "RP-C3")
    assert old["standing"]["status"] == "EXPIRED" and old["standing"]["points"] == 0
    assert old["authority"] and old["caseNumber"] and old["decidedOn"] == "2024-01-05"
    # The propagated judgment of the representative is among the contributions.
    assert any(
        c["kind"] == "PROPAGATED" and c["recordId"] == "RP-P1" for c in score["contributions"]
    )
    # Made when, by which key, under which audit entry.
    meta = made["report"]
    assert meta["keyId"] and meta["role"] == "investigator" and meta["madeAt"].startswith("20")
    entry = audit_entry(env, meta["auditEntry"])
    assert entry["operation"] == "report" and entry["kind"] == "READ"
    assert entry["keyId"] == meta["keyId"] and C in entry["subjects"]


def test_the_pdf_holds_the_name_every_record_id_and_the_total(env: dict[str, Any]) -> None:
    for language, total_word in (("zh", "合计"), ("en", "Total")):
        response = get(env, "investigator", f"/reports/{env['company']}.pdf?lang={language}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert (
            response.headers["content-disposition"]
            == f'attachment; filename="credit-report-{C}.pdf"'
        )
        # Kept where the run keeps its artifacts, for a person to look at.
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"report-{language}.pdf").write_bytes(response.content)
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
        flat = text.replace("\n", " ")
        assert COMPANY_NAME in flat and C in flat
        for record_id in ("RP-C1", "RP-C2", "RP-C3", "RP-P1"):
            assert record_id in flat, (record_id, flat)
        made = report(env, "investigator", "company")
        score = made["score"]
        summed = sum((Decimal(str(c["points"])) for c in score["contributions"]), Decimal(0))
        value = Decimal(str(score["value"])).quantize(Decimal("0.01"))
        assert f"{score['base']} + {summed.quantize(Decimal('0.01'))} = {value}" in flat, flat
        assert total_word in flat
        # The audit entry's number and the key id are printed.
        assert made["report"]["keyId"] in flat


def test_the_csv_has_every_contribution_and_the_total(env: dict[str, Any]) -> None:
    response = get(env, "investigator", f"/reports/{env['company']}.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    parts = [Decimal(r["points"]) for r in table if r["section"] == "contribution"]
    total = next(r for r in table if r["section"] == "total")
    assert Decimal(total["points"]) == sum(parts)
    assert {r["id"] for r in table if r["section"] == "record"} == {"RP-C1", "RP-C2", "RP-C3"}
    audit = next(r for r in table if r["section"] == "report" and r["id"] == "auditEntry")
    assert int(audit["detail"]) > 0


def test_a_persons_report_is_refused_and_shown_as_the_file_is(env: dict[str, Any]) -> None:
    # Neither the public nor a relying party may read a person's full file: nor the report.
    for who in (None, "relying_party"):
        refused = get(env, who, f"/reports/{env['person']}.pdf")
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
        assert "needs the role" in refused.json()["reason"]
    # The investigator reads the number whole, as in the file.
    whole = report(env, "investigator", "person")
    assert whole["entity"]["idNumber"] == file_read(env, "investigator", "person")["idNumber"] == P
    # The subject reads its own report; the entry names the subject's role.
    own = report(env, "subject", "person")
    assert own["entity"]["name"] == PERSON_NAME
    entry = audit_entry(env, own["report"]["auditEntry"])
    assert entry["role"] == "SUBJECT" and entry["operation"] == "report"
    # A relying party reads the company's report; the people behind it stay hidden by name.
    company = report(env, "relying_party", "company")
    assert company["entity"]["name"] == COMPANY_NAME
    text = str(company)
    assert P not in text and Q not in text


def test_bad_requests_get_clear_refusals(env: dict[str, Any]) -> None:
    assert get(env, "investigator", f"/reports/{env['company']}.docx").status_code == 404
    bad_lang = get(env, "investigator", f"/reports/{env['company']}.pdf?lang=fr")
    assert bad_lang.status_code == 400 and "lang" in bad_lang.json()["reason"]
    missing = get(env, "investigator", "/reports/Q29tcGFueTo5MTExMTExMTExMTExMTExMTE=.json")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    garbage = get(env, "investigator", "/reports/not-an-id.json")
    assert garbage.status_code == 400 and garbage.json()["error"] == "bad_request"
    bad_key = env["client"].get(
        f"/reports/{env['company']}.pdf", headers={"Authorization": "Bearer cg_nope"}
    )
    assert bad_key.status_code == 401


def test_twenty_reports_at_once_each_logged_once_and_refused_by_role(env: dict[str, Any]) -> None:
    roles = ["relying_party", "investigator", None, "subject"] * 5

    def ask(role: str | None) -> tuple[str | None, int, Any]:
        response = get(env, role, f"/reports/{env['person']}.json")
        return role, response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        seen = list(pool.map(ask, roles))
    entries = []
    for role, status, body in seen:
        if role is None or role == "relying_party":
            assert status == 403 and body["error"] == "forbidden", body
            continue
        assert status == 200, body
        assert body["entity"]["idNumber"] == P and body["entity"]["name"] == PERSON_NAME
        entries.append(body["report"]["auditEntry"])
    assert len(set(entries)) == len(entries) == 10  # one entry each, none shared
    for seq in entries[:5]:
        assert audit_entry(env, seq)["operation"] == "report"


def test_a_report_holds_every_record_and_contribution_past_one_page(env: dict[str, Any]) -> None:
    made = report(env, "investigator", "big")
    ids = sorted(r["recordId"] for r in made["records"])
    assert ids == [f"RP-BIG-{n:03}" for n in range(130)]
    contributions = made["score"]["contributions"]
    assert len(contributions) == 130
    total = Decimal(made["score"]["base"]) + sum(Decimal(str(c["points"])) for c in contributions)
    assert total == Decimal(str(made["score"]["value"]))
    # One read entry for the whole report, however many pages it read.
    entry = audit_entry(env, made["report"]["auditEntry"])
    assert entry["operation"] == "report" and entry["subjects"] == [BIG]
