"""Bulk import against the real backend: order independence, idempotence, rejects, CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph.driver import Graph
from graph.identifiers import ric_check_character
from ingest.importer import Importer
from ingest.readers import ImportFileError
from tests.factories import company_row, id_number, link_row, person_row, record_row, uscc


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    with path.open("wb") as handle:
        for row in rows:
            handle.write(row if isinstance(row, bytes) else orjson.dumps(row))
            handle.write(b"\n")
    return path


def read_rejects(path: Path) -> list[dict[str, Any]]:
    rejects = path.with_name(path.name + ".rejects.jsonl")
    return [orjson.loads(line) for line in rejects.read_bytes().splitlines()]


async def count(graph: Graph, query: str) -> int:
    rows = await graph.read(query)
    return int(rows[0]["n"])


async def test_importer_links_before_entities_in_the_file(
    clean_graph: Graph, tmp_path: Path
) -> None:
    # Links and records come first in the file; entities later: order must not matter.
    rows = [
        link_row("LEGAL_REPRESENTATIVE_OF", id_number(1), uscc(1), since="2015-01-01"),
        link_row("SHAREHOLDER_OF", uscc(2), uscc(1), stake=0.6),
        link_row("SHAREHOLDER_OF", id_number(1), uscc(1), stake=0.4),
        link_row("OFFICER_OF", id_number(2), uscc(1), role="director"),
        link_row("OFFICER_OF", id_number(2), uscc(1), role="supervisor"),
        link_row("BRANCH_OF", uscc(3), uscc(1)),
        record_row("R1", uscc(1)),
        record_row(
            "R2",
            id_number(1),
            code="VOLUNTEER_SERVICE",
            polarity="good",
            category="social",
            severity="minor",
        ),
        company_row(1),
        company_row(2),
        company_row(3),
        person_row(1),
        person_row(2),
    ]
    path = write_jsonl(tmp_path / "mixed.jsonl", rows)
    report = await Importer(clean_graph, batch_size=2).run([path])

    assert report.rejected == 0, read_rejects(path)
    assert report.exit_code == 0
    assert report.counts["company"].created == 3
    assert report.counts["person"].created == 2
    assert report.counts["link"].created == 6
    assert report.counts["record"].created == 2
    assert (
        await count(clean_graph, "MATCH (:Person)-[r:OFFICER_OF]->(:Company) RETURN count(r) AS n")
        == 2
    )
    assert await count(clean_graph, "MATCH ()-[r:SHAREHOLDER_OF]->() RETURN count(r) AS n") == 2
    assert (
        await count(
            clean_graph, "MATCH (:Record)-[:ISSUED_BY]->(a:Authority) RETURN count(DISTINCT a) AS n"
        )
        == 1
    )
    stake = await clean_graph.read(
        "MATCH (:Company {uscc: $a})-[r:SHAREHOLDER_OF]->(:Company {uscc: $b}) RETURN r.stake AS s",
        {"a": uscc(2), "b": uscc(1)},
    )
    assert stake == [{"s": 0.6}]
    lr = await clean_graph.read(
        "MATCH (p:Person)-[r:LEGAL_REPRESENTATIVE_OF]->(c:Company) "
        "RETURN p.idNumber AS p, toString(r.since) AS since, r.source AS source"
    )
    assert lr == [{"p": id_number(1), "since": "2015-01-01", "source": "mixed.jsonl"}]


async def test_importer_is_idempotent_and_counts_updates(
    clean_graph: Graph, tmp_path: Path
) -> None:
    rows = [company_row(n) for n in range(1, 6)] + [person_row(1)]
    rows += [link_row("LEGAL_REPRESENTATIVE_OF", id_number(1), uscc(n)) for n in range(1, 6)]
    rows += [record_row(f"R{n}", uscc(n)) for n in range(1, 6)]
    path = write_jsonl(tmp_path / "data.jsonl", rows)
    first = await Importer(clean_graph).run([path])
    assert first.counts["company"].created == 5
    assert first.changed == 16

    again = await Importer(clean_graph).run([path])
    assert again.changed == 0
    assert again.counts["company"].unchanged == 5
    assert again.counts["link"].unchanged == 5
    assert again.counts["record"].unchanged == 5
    assert await count(clean_graph, "MATCH (c:Company) RETURN count(c) AS n") == 5
    assert await count(clean_graph, "MATCH ()-[r:CONCERNS]->() RETURN count(r) AS n") == 5

    rows[0] = company_row(1, name="北京改名科技有限公司")
    rows[-1] = record_row("R5", uscc(5), authority="北京市第二中级人民法院")
    write_jsonl(path, rows)
    third = await Importer(clean_graph).run([path])
    assert (third.counts["company"].updated, third.counts["company"].unchanged) == (1, 4)
    assert third.counts["record"].updated == 1
    name = await clean_graph.read("MATCH (c:Company {uscc: $u}) RETURN c.name AS n", {"u": uscc(1)})
    assert name == [{"n": "北京改名科技有限公司"}]
    issuers = await clean_graph.read(
        "MATCH (:Record {recordId: 'R5'})-[:ISSUED_BY]->(a) RETURN a.name AS a"
    )
    assert issuers == [{"a": "北京市第二中级人民法院"}]


async def test_importer_rejects_bad_rows_with_line_and_reason(
    clean_graph: Graph, tmp_path: Path
) -> None:
    rows: list[Any] = [
        company_row(1),  # 1 ok
        company_row(2, uscc="12345"),  # 2 malformed code
        company_row(3, uscc=uscc(3, valid=False)),  # 3 accepted, flagged
        b"{not json",  # 4
        {"type": "spaceship", "name": "x"},  # 5
        person_row(1, id_number="110105198001010071"),  # 6 wrong check character
        person_row(2),  # 7 ok
        link_row("SHAREHOLDER_OF", id_number(2), uscc(1), stake=1.5),  # 8 stake out of range
        link_row("LEGAL_REPRESENTATIVE_OF", id_number(9), uscc(1)),  # 9 unknown person
        record_row("R1", id_number(8)),  # 10 unknown subject
        record_row("R2", uscc(1), decided_on="2999-01-01"),  # 11 future date
        record_row("R3", uscc(1), polarity="bad"),  # 12 bad enum
        company_row(4, status=None, founded_on=None),  # 13 ok, defaults
    ]
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    report = await Importer(clean_graph).run([path])

    assert report.exit_code == 3
    rejects = {r["line"]: r["reason"] for r in read_rejects(path)}
    assert set(rejects) == {2, 4, 5, 6, 8, 9, 10, 11, 12}
    assert rejects[2].startswith("uscc: a USCC has 18 characters")
    assert rejects[4].startswith("not valid JSON")
    assert rejects[5].startswith("type: must be one of")
    assert rejects[6] == "id_number: the identity number's check character is wrong"
    assert rejects[8] == "stake: must be in (0, 1], got 1.5"
    assert rejects[9] == f"from: no person or company {id_number(9)} in the registry"
    assert rejects[10] == f"subject: no person or company {id_number(8)} in the registry"
    assert "in the future" in rejects[11]
    assert rejects[12] == "polarity: must be one of good|warning, got 'bad'"
    # Good rows were not lost; the flagged code went in.
    assert report.counts["company"].created == 3
    flagged = await clean_graph.read(
        "MATCH (c:Company {uscc: $u}) RETURN c.usccValid AS v", {"u": uscc(3, valid=False)}
    )
    assert flagged == [{"v": False}]
    # Nothing was attached to a blank entity.
    assert await count(clean_graph, "MATCH (p:Person) RETURN count(p) AS n") == 1
    assert await count(clean_graph, "MATCH (r:Record) RETURN count(r) AS n") == 0


async def test_importer_rejects_hidden_characters_and_codes_outside_the_catalogue(
    clean_graph: Graph, tmp_path: Path
) -> None:
    rows: list[Any] = [
        company_row(1),  # 1 ok
        company_row(2, name="北京\u202e司公限有技科"),  # 2 a right-to-left override
        person_row(1, name="张\ufeff三"),  # 3 a byte order mark
        person_row(2, id_number="110105180001011230"),  # 4 born in 1800 (check character right)
        record_row("H1", uscc(1), code="MADE_UP_CODE"),  # 5 not in the catalogue
        record_row("H2", uscc(1), polarity="good"),  # 6 a judgment is a warning
        record_row("H3", uscc(1), description="第一行\n第二行"),  # 7 ok: prose breaks lines
    ]
    rows[3]["id_number"] = rows[3]["id_number"][:17] + ric_check_character(
        rows[3]["id_number"][:17]
    )
    path = write_jsonl(tmp_path / "hidden.jsonl", rows)
    report = await Importer(clean_graph).run([path])
    assert report.exit_code == 3
    rejects = {r["line"]: r["reason"] for r in read_rejects(path)}
    assert set(rejects) == {2, 3, 4, 5, 6}
    assert rejects[2].startswith("name: holds the invisible or control character U+202E")
    assert rejects[3].startswith("name: holds the invisible or control character U+FEFF")
    assert rejects[4] == "id_number: the identity number's birth date 1800-01-01 is before 1900"
    assert rejects[5] == "code: MADE_UP_CODE is not in the record-code catalogue"
    assert rejects[6] == "polarity: JUDGMENT_DEFAULT is a warning record in the catalogue, not good"
    assert await count(clean_graph, "MATCH (r:Record) RETURN count(r) AS n") == 1


async def test_importer_record_subject_never_changes(clean_graph: Graph, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl", [company_row(1), company_row(2), record_row("R1", uscc(1))]
    )
    await Importer(clean_graph).run([path])
    write_jsonl(path, [record_row("R1", uscc(2))])
    report = await Importer(clean_graph).run([path])
    assert report.counts["record"].rejected == 1
    assert "already recorded for another subject" in read_rejects(path)[0]["reason"]
    subject = await clean_graph.read(
        "MATCH (:Record {recordId: 'R1'})-[:CONCERNS]->(s) RETURN s.uscc AS u"
    )
    assert subject == [{"u": uscc(1)}]


async def test_importer_reads_csv_files_per_type(clean_graph: Graph, tmp_path: Path) -> None:
    def write_csv(name: str, rows: list[dict[str, Any]]) -> Path:
        path = tmp_path / name
        fields = [k for k in rows[0] if k != "type"]
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return path

    links = write_csv(
        "links.csv",
        [
            link_row(
                "LEGAL_REPRESENTATIVE_OF",
                id_number(1),
                uscc(1),
                stake="",
                role="",
                since="",
                until="",
            )
        ],
    )
    companies = write_csv("companies.csv", [company_row(1), company_row(2, uscc="bad")])
    persons = write_csv("persons.csv", [person_row(1)])
    report = await Importer(clean_graph).run([links, companies, persons])
    assert report.counts["company"].created == 1
    assert report.counts["link"].created == 1
    # Line 1 is the header: the bad company is on line 3.
    assert [(r["line"], r["reason"][:5]) for r in read_rejects(companies)] == [(3, "uscc:")]


async def test_importer_unknown_format_fails_before_writing(graph: Graph, tmp_path: Path) -> None:
    path = tmp_path / "data.xml"
    path.write_text("<x/>")
    with pytest.raises(ImportFileError, match="unknown format"):
        await Importer(graph).run([path])
