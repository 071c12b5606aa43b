"""The national data formats as import sources: tables as their publishers lay them out.

``credgraph import --format FORMAT FILE`` reads a CSV (UTF-8, or GB18030 as many government
exports are) or an XLSX file with the publisher's Chinese headers and turns each row into a
``record`` row of our own format, which the importer then checks and writes like any other.

- ``shuanggongshi-penalty``: the administrative penalties every authority publishes under
  "double publicity" (双公示), in the national layout: 行政相对人名称, 行政相对人类别,
  统一社会信用代码, 法定代表人, 证件类型, 证件号码, 行政处罚决定书文号, 违法行为类型,
  违法事实, 处罚依据, 处罚类别, 处罚内容, 罚款金额(万元),
  没收违法所得、没收非法财物的金额(万元), 处罚决定日期, 处罚有效期, 处罚机关,
  数据来源单位 ...
- ``shuanggongshi-licence``: the administrative licences published the same way: 行政相对人名称,
  行政相对人类别, 统一社会信用代码, 证件类型, 证件号码, 行政许可决定文书名称, 行政许可决定文书号,
  许可类别, 许可证书名称, 许可编号, 许可内容, 许可决定日期, 有效期自, 有效期至, 许可机关,
  当前状态, 数据来源单位 ...
- ``dishonest-debtors``: the courts' list of dishonest judgment debtors (失信被执行人):
  被执行人姓名/名称, 身份证号码/组织机构代码, 执行法院, 案号, 立案时间, 执行依据文号,
  生效法律文书确定的义务, 被执行人的履行情况, 失信被执行人行为具体情形, 发布时间 ...

How a row maps (``PENALTY_SEVERITY`` and the functions below are the whole of it):

- A penalty is an ``administrative`` ``warning`` record, ``ADMIN_PENALTY_SERIOUS`` when it revokes
  a licence, orders production or business stopped or closed, restricts practice or detains
  (吊销, 责令停产停业, 责令关闭, 限制从业, 行政拘留 ...) or fines or confiscates a large
  amount (at least 10 万元 from an organisation, 1 万元 from a natural person: the
  thresholds many provinces set for 较大数额罚款, the fines the Law on Administrative
  Penalty gives a hearing for); ``ADMIN_PENALTY_MINOR`` when it only warns or
  criticises (警告, 通报批评); ``ADMIN_PENALTY_GENERAL`` otherwise. Its id is derived from the
  penalising authority and the decision's number, so publishing the same decision again changes
  nothing; its date is the decision's.
- A licence in force is an ``administrative`` ``good`` record, ``ADMINISTRATIVE_LICENCE``
  (``minor``; the schemes' rules E-GOOD-009 and I-GOOD-010 count it for 36 months, a typical
  licence term), of the licensing authority and the decision's number,
  dated by the decision; its certificate, kind, content and term are its description. A
  licence no longer in force (当前状态 other than 1/有效, or 有效期至 passed) is rejected with
  that reason: it is no good record.
- A dishonest judgment debtor is a ``judicial`` ``JUDGMENT_DEFAULT`` record (``serious``) of the
  executing court and the case number, dated by its publication (else its filing); the
  obligation and how far it was performed are its penalty, the conduct its description.
- The party: a Unified Social Credit Code or a whole identity number names it; so does a whole
  residence or travel permit number with its 证件类型 (``DOCUMENTS``). A passport's number
  comes without its issuing country and is matched like a masked number. A masked number
  (``3101**********1239``), or a 9-character organisation code (the USCC's characters 9-17), is
  matched to a registered party of exactly the row's name whose number agrees with everything
  the mask leaves; a row is attached only when exactly one does. Otherwise it goes to the rejects
  file as ``not matched`` with the masked number and how many registered parties of the name there
  are, and is kept in ``<input>.unmatched.jsonl`` for a registrar (``convert``): nothing is ever
  attached to a guess, and nothing by a name alone.

Every row that cannot be mapped (a missing column, a date that is no date, an unknown party) goes
to the rejects file with its line (the spreadsheet's row number) and the reason, naming the column
as the publisher named it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from graph.driver import Graph
from graph.identifiers import IdentifierError, compact, parse_id_number
from graph.repositories import matching
from graph.rows import RowError
from ingest.listed import Party, document, unmatched
from ingest.readers import LineProblem
from ingest.tables import amount, column, day, optional, read_table, required, stable_id

Row = dict[str, Any]
Line = tuple[int, Row | LineProblem]


class NationalFormat(StrEnum):
    SHUANGGONGSHI_PENALTY = "shuanggongshi-penalty"
    SHUANGGONGSHI_LICENCE = "shuanggongshi-licence"
    DISHONEST_DEBTORS = "dishonest-debtors"


# ---------------------------------------------------------------------------------------------
# The formats


# Penalty types (处罚类别) that make a penalty serious whatever its amount.
SERIOUS_PENALTIES = (
    "吊销",
    "责令停产停业",
    "责令关闭",
    "限制开展生产经营活动",
    "限制从业",
    "行政拘留",
    "降低资质等级",
)
MINOR_PENALTIES = ("警告", "通报批评")
LARGE_FINE = {False: 10.0, True: 1.0}  # 万元, by whether the party is a natural person
PENALTY_SEVERITY = {
    "serious": "ADMIN_PENALTY_SERIOUS",
    "general": "ADMIN_PENALTY_GENERAL",
    "minor": "ADMIN_PENALTY_MINOR",
}


def penalty_severity(kinds: str, fine: float, person: bool) -> str:
    """``serious``, ``general`` or ``minor`` from the penalty types and the amount (万元)."""
    if any(word in kinds for word in SERIOUS_PENALTIES) or fine >= LARGE_FINE[person]:
        return "serious"
    plain = re.sub(r"[、,，;；/\s]+", "", kinds)
    for word in MINOR_PENALTIES:
        plain = plain.replace(word, "")
    return "minor" if not plain and fine == 0 else "general"


def _publicity_party(row: Mapping[str, Any]) -> Party:
    """The party of a double-publicity row: a natural person (by 证件类型 and 证件号码), or an
    organisation or individual business (by its USCC)."""
    name = required(row, "行政相对人名称")
    category = optional(row, "行政相对人类别") or ""
    code = optional(row, "统一社会信用代码", "行政相对人代码_1(统一社会信用代码)")
    person = "自然人" in category or (code is None and optional(row, "证件号码") is not None)
    if person:
        return Party(name, True, optional(row, "证件号码"), "证件号码", document(row))
    return Party(name, False, code, "统一社会信用代码")


def _penalty(row: Mapping[str, Any], source: str) -> tuple[Party, Row]:
    party = _publicity_party(row)
    person = party.person
    number = required(row, "行政处罚决定书文号")
    authority = required(row, "处罚机关")
    kinds = required(row, "处罚类别")
    fine = amount(row, "罚款金额", "罚款金额(万元)") + amount(
        row, "没收违法所得、没收非法财物的金额", "没收违法所得、没收非法财物的金额(万元)"
    )
    severity = penalty_severity(kinds, fine, person)
    conduct = [t for t in (optional(row, "违法行为类型"), optional(row, "违法事实")) if t]
    content = [t for t in (optional(row, "处罚内容"),) if t]
    if fine:
        content.append(f"罚没金额 {fine:g} 万元")
    basis = optional(row, "处罚依据")
    if basis:
        content.append(f"依据：{basis}")
    unit = optional(row, "数据来源单位")
    return party, {
        "type": "record",
        "record_id": stable_id("SGS", authority, number),
        "authority": authority,
        "case_number": number,
        "category": "administrative",
        "code": PENALTY_SEVERITY[severity],
        "polarity": "warning",
        "severity": severity,
        "decided_on": day(row, "处罚决定日期").isoformat(),  # type: ignore[union-attr]
        "description": "；".join(conduct) or None,
        "penalty": "；".join(content) or None,
        "source": f"{source} · {unit}" if unit else source,
    }


# 当前状态 of a licence in force: the standard's code 1, or the word.
IN_FORCE = ("1", "有效", "正常")


def _licence(row: Mapping[str, Any], source: str) -> tuple[Party, Row]:
    party = _publicity_party(row)
    number = required(row, "行政许可决定文书号", "许可编号")
    authority = required(row, "许可机关")
    state = optional(row, "当前状态")
    if state is not None and state not in IN_FORCE:
        raise RowError(
            "当前状态",
            f"the licence is not in force ({state}); only licences in force are imported",
        )
    decided = day(row, "许可决定日期")
    start = day(row, "有效期自", required=False)
    until = day(row, "有效期至", required=False)
    if until is not None and until < date.today():
        raise RowError("有效期至", f"the licence expired on {until.isoformat()}")
    certificate = optional(row, "许可证书名称")
    serial = optional(row, "许可编号")
    if certificate and serial:
        certificate = f"{certificate}（{serial}）"
    kind = _labelled("许可类别", optional(row, "许可类别"))
    term = None
    if start or until:
        begins = start.isoformat() if start else "…"
        term = f"有效期 {begins} 至 {until.isoformat() if until else '长期'}"
    parts = [
        optional(row, "行政许可决定文书名称"),
        certificate,
        kind,
        optional(row, "许可内容"),
        term,
    ]
    unit = optional(row, "数据来源单位")
    assert decided is not None
    return party, {
        "type": "record",
        "record_id": stable_id("SGSXK", authority, number),
        "authority": authority,
        "case_number": number,
        "category": "administrative",
        "code": "ADMINISTRATIVE_LICENCE",
        "polarity": "good",
        "severity": "minor",
        "decided_on": decided.isoformat(),
        "description": "；".join(p for p in parts if p) or None,
        "penalty": None,
        "source": f"{source} · {unit}" if unit else source,
    }


def _debtor(row: Mapping[str, Any], source: str) -> tuple[Party, Row]:
    name = required(row, "被执行人姓名/名称", "被执行人姓名", "被执行人名称", "姓名/名称")
    header, number = column(
        row, "身份证号码/组织机构代码", "身份证号码", "组织机构代码", "证件号码"
    )
    shown = str(number).strip() if number is not None else None
    person = _looks_personal(shown, header)
    party = Party(name, person, shown, header)
    court = required(row, "执行法院")
    case = required(row, "案号")
    published = day(row, "发布时间", required=False)
    filed = day(row, "立案时间", required=published is None)
    obligation = [
        t
        for t in (
            optional(row, "生效法律文书确定的义务"),
            _labelled("履行情况", optional(row, "被执行人的履行情况")),
            _labelled("执行依据", optional(row, "执行依据文号")),
        )
        if t
    ]
    return party, {
        "type": "record",
        "record_id": stable_id("SXBZXR", court, case),
        "authority": court,
        "case_number": case,
        "category": "judicial",
        "code": "JUDGMENT_DEFAULT",
        "polarity": "warning",
        "severity": "serious",
        "decided_on": (published or filed).isoformat(),  # type: ignore[union-attr]
        "description": optional(row, "失信被执行人行为具体情形"),
        "penalty": "；".join(obligation) or None,
        "source": source,
    }


def _labelled(label: str, text: str | None) -> str | None:
    return f"{label}：{text}" if text else None


def _looks_personal(number: str | None, column: str) -> bool:
    """A debtor is a person when the number is an identity number's shape (18 or 15 characters,
    masked or not, not a USCC) or the column says so; an organisation code is 9 characters."""
    if column in ("身份证号码",):
        return True
    if column in ("组织机构代码",):
        return False
    if number is None:
        return False
    shown = compact(number)
    if len(shown) == 9:
        return False
    if len(shown) == 18 and "*" not in shown:
        try:
            parse_id_number(shown)
            return True
        except IdentifierError:
            return False
    return "*" in shown or len(shown) == 15


CONVERTERS: dict[NationalFormat, Callable[[Mapping[str, Any], str], tuple[Party, Row]]] = {
    NationalFormat.SHUANGGONGSHI_PENALTY: _penalty,
    NationalFormat.SHUANGGONGSHI_LICENCE: _licence,
    NationalFormat.DISHONEST_DEBTORS: _debtor,
}


# ---------------------------------------------------------------------------------------------
# A file, converted


def unmatched_path(path: Path) -> Path:
    """Where the rows of ``path`` whose party was not matched are kept."""
    return path.with_name(path.name + ".unmatched.jsonl")


async def convert(graph: Graph, path: Path, fmt: NationalFormat) -> list[Line]:
    """Every row of ``path`` as a ``record`` row of our format, or the reason it is not one,
    with its line; masked parties are matched against the registry.

    A row whose party is not matched is a rejected line here (``not matched``), and is kept in
    ``unmatched_path(path)`` as the record it would be, without a subject, with the party as
    the list names it: a registrar who finds the party fills in ``subject`` and imports that
    file like any other (a row left without one is refused, never guessed)."""
    converted: list[tuple[int, Party | None, Row | LineProblem]] = []
    for line, row in read_table(path):
        try:
            party, record = CONVERTERS[fmt](row, path.name)
            key = party.key()
        except RowError as exc:
            converted.append(
                (line, None, LineProblem(f"{exc.field}: {exc.reason}", _shown(row), "record"))
            )
            continue
        if key is not None:
            converted.append((line, None, {**record, "subject": key}))
        else:
            converted.append((line, party, record))
    people = [p.name for _, p, _ in converted if p is not None and p.person]
    companies = [p.name for _, p, _ in converted if p is not None and not p.person]
    named = {
        True: await matching.people_named(graph, people) if people else {},
        False: await matching.companies_named(graph, companies) if companies else {},
    }
    lines: list[Line] = []
    kept: list[bytes] = []
    for line, found, result in converted:
        if found is None or isinstance(result, LineProblem):
            lines.append((line, result))
            continue
        party, record = found, result
        agreeing = [k for k in named[party.person].get(party.name, ()) if party.agrees(k)]
        if len(agreeing) == 1:
            lines.append((line, {**record, "subject": agreeing[0]}))
        else:
            problem = unmatched(party, len(agreeing))
            text = f"{problem.field}: {problem.reason}"
            kept.append(
                orjson.dumps(
                    {
                        **record,
                        "subject": None,
                        "listed": {
                            "line": line,
                            "name": party.name,
                            "number": party.number,
                            "kind": "person" if party.person else "company",
                            "document": party.id_type.value if party.person else None,
                            "agreeing": len(agreeing),
                        },
                    }
                )
            )
            lines.append(
                (
                    line,
                    LineProblem(
                        text,
                        _shown(record | {"party": party.name, "number": party.number}),
                        "record",
                    ),
                )
            )
    target = unmatched_path(path)
    if kept:
        target.write_bytes(b"\n".join(kept) + b"\n")
    else:
        target.unlink(missing_ok=True)
    return lines


def _shown(row: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}={v}" for k, v in row.items() if v is not None)[:1000]
