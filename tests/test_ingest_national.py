"""The national formats as import sources (``ingest.national``): the samples in
``ingest/samples/`` imported as their publishers lay them out, in UTF-8, GB18030 and XLSX, with
masked parties matched only when exactly one registered party agrees."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import orjson
import pytest

from graph.driver import Graph
from graph.parties import IdType
from graph.rows import RowError
from ingest import national
from ingest.importer import Importer, ImportReport
from ingest.listed import Party, document
from ingest.national import NationalFormat, penalty_severity
from ingest.tables import day, read_table

SAMPLES = Path(__file__).resolve().parent.parent / "ingest" / "samples"
PENALTIES = SAMPLES / "shuanggongshi-penalty.csv"
DEBTORS = SAMPLES / "dishonest-debtors.csv"
LICENCES = SAMPLES / "shuanggongshi-licence.csv"
TRAVELLER, MILLER = "mainland_travel_permit:H60218437", "passport:US:E48213067"
MINGYUAN, XINDA, HENGXIN = "91330100MA2H3K7Q55", "91330203MA2GXR8L1W", "92330304MA2J6N0T89"
WANG, WANG_TOO, LI, CHEN = (
    "330102197803154318",
    "330102197901184318",
    "330106198506212120",
    "330102197504022315",
)

RECORDS = """
MATCH (r:Record)-[:CONCERNS]->(s)
RETURN r.recordId AS id, coalesce(s.uscc, s.idNumber) AS subject, r.code AS code,
       r.severity AS severity, r.category AS category, toString(r.decidedOn) AS decided,
       r.authorityName AS authority, r.caseNumber AS case, r.penalty AS penalty,
       r.description AS description, r.polarity AS polarity
ORDER BY decided
"""


async def _import(graph: Graph, path: Path, fmt: NationalFormat | None) -> ImportReport:
    if fmt is None:
        return await Importer(graph).run([path])
    converted = await national.convert(graph, path, fmt)
    return await Importer(graph, rows={path: converted}.__getitem__).run([path])


def _rejects(path: Path) -> dict[int, dict[str, Any]]:
    rejects = path.with_name(path.name + ".rejects.jsonl")
    entries = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    return {entry["line"]: entry for entry in entries}


async def test_penalties_become_records_of_the_parties_they_name(
    clean_graph: Graph, tmp_path: Path
) -> None:
    registry = await _import(clean_graph, SAMPLES / "registry.jsonl", None)
    assert registry.rejected == 0
    source = shutil.copy(PENALTIES, tmp_path / PENALTIES.name)
    report = await _import(clean_graph, Path(source), NationalFormat.SHUANGGONGSHI_PENALTY)
    assert (report.counts["record"].created, report.counts["record"].rejected) == (4, 3)
    rows = await clean_graph.read(RECORDS)
    assert [(r["subject"], r["code"], r["severity"], r["decided"]) for r in rows] == [
        (XINDA, "ADMIN_PENALTY_MINOR", "minor", "2024-01-09"),  # a warning only
        (MINGYUAN, "ADMIN_PENALTY_GENERAL", "general", "2024-03-18"),  # 5 万元
        (LI, "ADMIN_PENALTY_GENERAL", "general", "2024-05-21"),  # masked, one 李秀英 agrees
        (MINGYUAN, "ADMIN_PENALTY_SERIOUS", "serious", "2024-07-02"),  # 10 + 2.3 万元
    ]
    first = rows[1]
    assert first["authority"] == "杭州市市场监督管理局"
    assert first["case"] == "杭市监处罚〔2024〕112号"
    assert first["category"] == "administrative"
    assert first["description"].startswith("虚假宣传；当事人在其网店宣传")
    assert "罚没金额 5 万元" in first["penalty"] and "反不正当竞争法" in first["penalty"]
    rejected = _rejects(Path(source))
    assert set(rejected) == {6, 7, 8}  # the CSV's own line numbers (the header is line 1)
    # Two registered 王建国 share what the mask leaves: neither gets the record.
    assert rejected[6]["reason"].startswith(
        "证件号码: not matched: 2 registered people named 王建国"
    )
    assert "330102********4318" in rejected[6]["reason"]
    assert "330102********4318" in rejected[6]["row"]
    # A company without its code is never matched by its name alone.
    assert rejected[7]["reason"].startswith(
        "统一社会信用代码: not matched: no registered companies"
    )
    assert rejected[8]["reason"] == "处罚决定日期: is not a date: '2024-13-01'"
    assert not await clean_graph.read(
        "MATCH (r:Record)-[:CONCERNS]->(:Person {idNumber: $a}) RETURN r UNION "
        "MATCH (r:Record)-[:CONCERNS]->(:Person {idNumber: $b}) RETURN r",
        {"a": WANG, "b": WANG_TOO},
    )
    # The same published decisions again change nothing.
    again = await _import(clean_graph, Path(source), NationalFormat.SHUANGGONGSHI_PENALTY)
    assert (again.counts["record"].created, again.counts["record"].unchanged) == (0, 4)
    # The rows naming no registered party are kept as records without a subject.
    written = national.unmatched_path(Path(source)).read_bytes()
    kept = [orjson.loads(line) for line in written.splitlines()]
    assert [(k["listed"]["line"], k["listed"]["agreeing"], k["subject"]) for k in kept] == [
        (6, 2, None),
        (7, 0, None),
    ]
    assert kept[0]["listed"] == {
        "line": 6,
        "name": "王建国",
        "number": "330102********4318",
        "kind": "person",
        "document": "resident_id",
        "agreeing": 2,
    }
    assert (kept[0]["code"], kept[0]["case_number"]) == (
        "ADMIN_PENALTY_GENERAL",
        "上城交警罚〔2024〕3301号",
    )
    # A registrar who finds the first party gives it its subject; the file imports as ours, the
    # row still without a subject is refused.
    kept[0]["subject"] = WANG_TOO
    resolved = tmp_path / "resolved.jsonl"
    resolved.write_bytes(b"\n".join(orjson.dumps(k) for k in kept))
    matched = await _import(clean_graph, resolved, None)
    assert (matched.counts["record"].created, matched.counts["record"].rejected) == (1, 1)
    assert _rejects(resolved)[2]["reason"].startswith("subject: is required")
    owned = await clean_graph.read(
        "MATCH (r:Record)-[:CONCERNS]->(:Person {idNumber: $p}) RETURN r.caseNumber AS case",
        {"p": WANG_TOO},
    )
    assert owned == [{"case": "上城交警罚〔2024〕3301号"}]


async def test_dishonest_debtors_are_matched_by_masked_numbers_and_organisation_codes(
    clean_graph: Graph, tmp_path: Path
) -> None:
    await _import(clean_graph, SAMPLES / "registry.jsonl", None)
    source = Path(shutil.copy(DEBTORS, tmp_path / DEBTORS.name))
    report = await _import(clean_graph, source, NationalFormat.DISHONEST_DEBTORS)
    assert (report.counts["record"].created, report.counts["record"].rejected) == (2, 1)
    rows = await clean_graph.read(RECORDS)
    assert [(r["subject"], r["code"], r["category"], r["decided"]) for r in rows] == [
        (CHEN, "JUDGMENT_DEFAULT", "judicial", "2023-06-15"),  # 3301021975****2315
        (XINDA, "JUDGMENT_DEFAULT", "judicial", "2023-12-04"),  # organisation code MA2GXR8L-1
    ]
    assert rows[0]["authority"] == "杭州市西湖区人民法院"
    assert rows[0]["case"] == "（2023）浙0106执1187号"
    assert rows[0]["description"] == "有履行能力而拒不履行生效法律文书确定义务"
    assert "履行情况：全部未履行" in rows[0]["penalty"]
    rejected = _rejects(source)
    assert list(rejected) == [4]
    assert "not matched: no registered people named 赵磊" in rejected[4]["reason"]
    assert "3310221990****1538" in rejected[4]["reason"]


def _as_gb18030(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_text(encoding="utf-8").encode("gb18030"))
    return target


def _as_xlsx(source: Path, target: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for cells in csv.reader(io.StringIO(source.read_text(encoding="utf-8"))):
        sheet.append([_typed(c) for c in cells])
    book.save(target)
    return target


def _typed(cell: str) -> Any:
    """Cells as a spreadsheet holds them: amounts as numbers; codes (long digit strings, kept
    as text by publishers, whose spreadsheets would round them) as text."""
    try:
        amount = cell and len(cell) <= 10 and cell.replace(".", "", 1).isdigit()
        return float(cell) if amount else cell
    except ValueError:
        return cell


@pytest.mark.parametrize("kind", ["gb18030", "xlsx"])
def test_a_table_reads_the_same_in_gb18030_and_xlsx(kind: str, tmp_path: Path) -> None:
    expected = list(read_table(PENALTIES))
    if kind == "gb18030":
        other = _as_gb18030(PENALTIES, tmp_path / "penalties.csv")
    else:
        other = _as_xlsx(PENALTIES, tmp_path / "penalties.xlsx")
    found = list(read_table(other))
    assert [line for line, _ in found] == [line for line, _ in expected]
    for (_, want), (_, got) in zip(expected, found, strict=True):
        assert want.keys() == got.keys()
        for column, value in want.items():
            if kind == "xlsx" and isinstance(got[column], (int, float)):
                assert float(value) == got[column], column
            else:
                assert got[column] == value, column
    # Converted, both give the same records.
    ours = [
        national.CONVERTERS[NationalFormat.SHUANGGONGSHI_PENALTY](r, "x")[1]
        for _, r in expected[:5]
    ]
    theirs = [
        national.CONVERTERS[NationalFormat.SHUANGGONGSHI_PENALTY](r, "x")[1] for _, r in found[:5]
    ]
    assert ours == theirs


@pytest.mark.parametrize(
    ("kinds", "fine", "person", "severity"),
    [
        ("警告", 0.0, False, "minor"),
        ("警告、通报批评", 0.0, True, "minor"),
        ("警告;罚款", 0.2, False, "general"),
        ("罚款", 9.99, False, "general"),
        ("罚款", 10.0, False, "serious"),
        ("罚款", 1.0, True, "serious"),
        ("罚款", 0.99, True, "general"),
        ("吊销许可证件", 0.0, False, "serious"),
        ("责令停产停业;罚款", 2.0, False, "serious"),
        ("没收违法所得", 0.3, False, "general"),
    ],
)
def test_a_penalty_s_severity_follows_its_type_and_amount(
    kinds: str, fine: float, person: bool, severity: str
) -> None:
    assert penalty_severity(kinds, fine, person) == severity


@pytest.mark.parametrize(
    ("shown", "key", "agrees"),
    [
        ("330102********4318", WANG, True),
        ("330102********4318", WANG_TOO, True),
        ("330102********4318", LI, False),
        ("3301021975****2315", CHEN, True),
        ("3301021975****2316", CHEN, False),
        ("330102*****4318", WANG, False),  # a mask of another length agrees with nothing
    ],
)
def test_a_masked_number_agrees_only_with_what_it_leaves(
    shown: str, key: str, agrees: bool
) -> None:
    assert Party("王建国", True, shown, "证件号码").agrees(key) is agrees


def test_an_organisation_code_is_the_uscc_s_characters_9_to_17() -> None:
    party = Party("宁波鑫达贸易有限公司", False, "MA2GXR8L-1", "组织机构代码")
    assert party.key() is None  # matched with the name, never looked up alone
    assert party.agrees(XINDA) and not party.agrees(MINGYUAN)


def test_a_whole_number_names_the_party_and_a_bad_one_says_which_column() -> None:
    assert Party("杭州明远建材有限公司", False, MINGYUAN, "统一社会信用代码").key() == MINGYUAN
    assert Party("陈志强", True, CHEN, "证件号码").key() == CHEN
    with pytest.raises(RowError) as bad:
        Party("陈志强", True, CHEN[:-1] + "9", "证件号码").key()
    assert bad.value.field == "证件号码" and "check character" in bad.value.reason


@pytest.mark.parametrize(
    "text",
    ["2024-03-18", "2024/3/18", "2024年3月18日", "20240318", "2024.03.18", "2024-03-18 00:00:00"],
)
def test_dates_as_publishers_write_them(text: str) -> None:
    row = {"处罚决定日期": text}
    assert day(row, "处罚决定日期") == date(2024, 3, 18)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    table = tmp_path / "penalties.csv"
    table.write_text("行政相对人名称,处罚机关\n杭州明远建材有限公司,杭州市市场监督管理局\n")
    _, row = next(read_table(table))
    with pytest.raises(RowError) as missing:
        national.CONVERTERS[NationalFormat.SHUANGGONGSHI_PENALTY](row, "x")
    assert (missing.value.field, missing.value.reason) == ("行政处罚决定书文号", "is required")


async def test_licences_become_good_records_of_the_parties_they_name(
    clean_graph: Graph, tmp_path: Path
) -> None:
    registry = await _import(clean_graph, SAMPLES / "registry.jsonl", None)
    assert registry.rejected == 0
    source = Path(shutil.copy(LICENCES, tmp_path / LICENCES.name))
    report = await _import(clean_graph, source, NationalFormat.SHUANGGONGSHI_LICENCE)
    assert (report.counts["record"].created, report.counts["record"].rejected) == (4, 2)
    rows = await clean_graph.read(RECORDS)
    assert [(r["subject"], r["code"], r["polarity"], r["decided"]) for r in rows] == [
        # A passport named in a list without its country: one registered David Miller's agrees.
        (MILLER, "ADMINISTRATIVE_LICENCE", "good", "2024-02-21"),
        (MINGYUAN, "ADMINISTRATIVE_LICENCE", "good", "2024-03-01"),
        (LI, "ADMINISTRATIVE_LICENCE", "good", "2024-06-03"),  # masked: one 李秀英 agrees
        (TRAVELLER, "ADMINISTRATIVE_LICENCE", "good", "2024-09-05"),  # a whole permit number
    ]
    licence = rows[1]
    assert (licence["authority"], licence["case"]) == (
        "浙江省市场监督管理局",
        "浙建材许〔2024〕0318号",
    )
    assert "全国工业产品生产许可证（浙XK13-201-00318）" in licence["description"]
    assert "有效期 2024-03-01 至 2029-02-28" in licence["description"]
    assert licence["penalty"] is None
    rejected = _rejects(source)
    assert rejected[6]["reason"] == "有效期至: the licence expired on 2022-05-09"
    assert rejected[7]["reason"].startswith("当前状态: the licence is not in force (2)")
    assert set(rejected) == {6, 7}


def test_a_document_type_names_the_key_or_the_candidates() -> None:
    permit = Party("陳家豪", True, "h60218437", "证件号码", IdType.MAINLAND_TRAVEL_PERMIT)
    assert permit.key() == TRAVELLER
    passport = Party("David Miller", True, "E48213067", "证件号码", IdType.PASSPORT)
    assert passport.key() is None  # the national layouts do not give the issuing country
    # The same number in two countries' passports: both agree, so neither is attached.
    assert passport.agrees(MILLER) and passport.agrees("passport:GB:E48213067")
    assert not passport.agrees("passport:US:E48213068")
    assert not passport.agrees(TRAVELLER) and not passport.agrees(LI)
    # A resident identity number never agrees with a permit holder of the same digits.
    resident = Party("王建国", True, "330102********4318", "证件号码")
    assert not resident.agrees("hk_macao_permit:810000197804120351")
    with pytest.raises(RowError) as bad:
        document({"证件类型": "军官证"})
    assert bad.value.field == "证件类型" and "is not a document credgraph knows" in bad.value.reason
    card = document({"证件类型": " 外国人永久居留身份证 "})
    assert card is IdType.FOREIGN_PERMANENT_RESIDENT
