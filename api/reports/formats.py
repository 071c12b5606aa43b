"""A report as JSON, CSV or PDF (reportlab, its Chinese set in a CJK TrueType font).

Every format holds the same content: the identity as the caller's role may see it, the score
with every contribution and the total, the records with their source and standing, the
consequences in force, and when, by whom and under which audit entry the report was made.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import orjson

FORMATS = {"pdf": "application/pdf", "json": "application/json", "csv": "text/csv; charset=utf-8"}
# Debian's CJK TrueType fonts, the first found is used (``fonts-wqy-zenhei`` first).
FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)

LABELS: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "title": ("信用报告", "Credit report"),
    "made": ("生成时间", "Made at"),
    "key": ("调用密钥", "API key"),
    "role": ("角色", "Role"),
    "entry": ("审计记录编号", "Audit entry no."),
    "identity": ("主体信息", "Identity"),
    "score": ("信用评分", "Score"),
    "level": ("等级", "Level"),
    "value": ("分值", "Value"),
    "scheme": ("评分方案", "Scheme"),
    "as_of": ("评分日期", "As of"),
    "blacklisted": ("已列入黑名单", "On the blacklist"),
    "contributions": ("评分构成", "Contributions"),
    "kind": ("类型", "Kind"),
    "record": ("记录", "Record"),
    "rule": ("规则", "Rule"),
    "status": ("状态", "Status"),
    "points": ("分数", "Points"),
    "total": ("合计", "Total"),
    "base": ("基础分", "base"),
    "consequences": ("生效的惩戒与激励", "Consequences in force"),
    "none": ("无", "None"),
    "records": ("信用记录", "Records"),
    "authority": ("决定机关", "Authority"),
    "case": ("文书号", "Case number"),
    "decided": ("决定日期", "Decided on"),
    "until": ("有效期至", "Counts until"),
    "hidden": (
        "部分关联自然人不向您的角色展示。",
        "Some linked people are not shown to your role.",
    ),
    "public": ("公众", "public"),
    "restriction": ("【限制】", "[restriction]"),
    "privilege": ("【激励】", "[privilege]"),
}
COMPANY_STATUSES = {
    "ACTIVE": ("存续", "active"),
    "REVOKED": ("吊销", "revoked"),
    "CANCELLED": ("注销", "cancelled"),
}
FIELDS: dict[str, tuple[str, str]] = {
    "name": ("名称", "Name"),
    "key": ("主体标识", "Key"),
    "uscc": ("统一社会信用代码", "USCC"),
    "jurisdiction": ("注册地", "Jurisdiction"),
    "registryNumber": ("注册号", "Registry number"),
    "registrationNumber": ("工商注册号", "Registration number"),
    "status": ("登记状态", "Status"),
    "foundedOn": ("成立日期", "Founded"),
    "region": ("地区", "Region"),
    "address": ("地址", "Address"),
    "legalRepresentativeName": ("法定代表人", "Legal representative"),
    "registrationAuthority": ("登记机关", "Registered by"),
    "idNumber": ("证件号码", "Document number"),
    "idType": ("证件类型", "Document"),
    "nationality": ("国籍", "Nationality"),
    "profession": ("职业", "Profession"),
}
STATUSES: dict[str, tuple[str, str]] = {
    "COUNTING": ("计分中", "counting"),
    "EXPIRED": ("已过期", "expired"),
    "DISPUTED": ("异议中", "disputed"),
    "REMOVED": ("已撤销", "removed"),
    "RESTORED": ("已修复", "restored"),
    "UNSCORED": ("不计分", "unscored"),
    "CAPPED": ("封顶调整", "capped"),
}
KINDS: dict[str, tuple[str, str]] = {
    "RECORD": ("本主体记录", "own record"),
    "PROPAGATED": ("关联传导", "propagated"),
    "CAP": ("封顶", "cap"),
}


class FontMissing(Exception):
    """No CJK font to set a PDF's Chinese in."""


def render(report: dict[str, Any], fmt: str, language: str, font: Path | None) -> tuple[bytes, str]:
    """The report in ``fmt``, and its media type."""
    makers: dict[str, Callable[[], bytes]] = {
        "json": lambda: orjson.dumps(report, option=orjson.OPT_INDENT_2),
        "csv": lambda: _csv(report, language),
        "pdf": lambda: _pdf(report, language, font),
    }
    return makers[fmt](), FORMATS[fmt]


def _t(pair: tuple[str, str], language: str) -> str:
    return pair[0] if language == "zh" else pair[1]


def _text(value: dict[str, str] | None, language: str) -> str:
    if not value:
        return ""
    return value["zh"] if language == "zh" else value["en"]


def _points(value: float | Decimal) -> str:
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    return f"+{amount}" if amount > 0 else str(amount)


def total_line(report: dict[str, Any], language: str) -> tuple[str, str]:
    """``base + contributions = value`` in cents, as every format states it."""
    score = report["score"]
    summed = sum((Decimal(str(c["points"])) for c in score["contributions"]), Decimal(0))
    base = _t(LABELS["base"], language)
    return (
        f"{base} {score['base']} + {_points(summed)} = {_points(score['value']).lstrip('+')}",
        _points(summed),
    )


def identity_rows(report: dict[str, Any], language: str) -> Iterator[tuple[str, str]]:
    entity = report["entity"]
    for field, label in FIELDS.items():
        value = entity.get(field)
        if field == "status" and value in COMPANY_STATUSES:
            value = _t(COMPANY_STATUSES[value], language)
        if value not in (None, ""):
            yield _t(label, language), str(value)


def _csv(report: dict[str, Any], language: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["section", "id", "title", "points", "status", "authority", "case_number"]
    writer.writerow([*columns, "decided_on", "counts_until", "detail"])
    meta = report["report"]
    for name in ("madeAt", "keyId", "role", "auditEntry"):
        writer.writerow(["report", name, "", "", "", "", "", "", "", meta[name]])
    for label, value in identity_rows(report, language):
        writer.writerow(["identity", label, value, "", "", "", "", "", "", ""])
    score = report["score"]
    scheme = f"{score['scheme']['id']} {score['scheme']['version']}"
    writer.writerow(
        [
            "score",
            score["level"],
            scheme,
            score["value"],
            "blacklisted" if score["blacklisted"] else "",
            "",
            "",
            score["asOf"],
            "",
            "; ".join(score["blacklistReasons"]),
        ]
    )
    for c in score["contributions"]:
        rule = c["rule"] or {}
        writer.writerow(
            [
                "contribution",
                c["recordId"] or c["kind"],
                _text(rule.get("titleText"), language),
                _points(c["points"]),
                c["status"],
                rule.get("id", ""),
                "",
                c["decidedOn"] or "",
                c["expiresOn"] or "",
                c["kind"],
            ]
        )
    line, summed = total_line(report, language)
    writer.writerow(["total", "", line, summed, "", "", "", "", "", ""])
    for c in score["consequences"]:
        if c["inForce"]:
            writer.writerow(
                [
                    "consequence",
                    c["code"],
                    _text(c["titleText"], language),
                    "",
                    c["kind"],
                    "",
                    "",
                    "",
                    "",
                    _text(c["descriptionText"], language),
                ]
            )
    for r in report["records"]:
        standing = r["standing"] or {}
        writer.writerow(
            [
                "record",
                r["recordId"],
                _text(r["codeTitle"], language),
                _points(standing["points"]) if standing else "",
                standing.get("status", r["status"]),
                r["authority"],
                r["caseNumber"] or "",
                r["decidedOn"],
                standing.get("countsUntil") or "",
                r["description"] or "",
            ]
        )
    return out.getvalue().encode("utf-8-sig")  # the BOM: spreadsheet programs then read UTF-8


@cache
def _font(path: Path | None) -> str:
    """Register the CJK font once; its name for reportlab."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    candidates = (path,) if path is not None else FONT_PATHS
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            pdfmetrics.registerFont(TTFont("CJK", str(candidate), subfontIndex=0))
            return "CJK"
    where = str(path) if path is not None else ", ".join(str(p) for p in FONT_PATHS)
    raise FontMissing(
        f"no CJK font for the PDF report ({where} not found): install Debian's fonts-wqy-zenhei "
        "or set CREDGRAPH_REPORT_FONT to a TrueType font"
    )


def _pdf(report: dict[str, Any], language: str, font_path: Path | None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    font = _font(font_path)
    body = ParagraphStyle("body", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5)
    heading = ParagraphStyle("h", parent=body, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("t", parent=body, fontSize=16, leading=20, spaceAfter=4)

    def p(text: object, style: ParagraphStyle = body) -> Paragraph:
        safe = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(safe, style)

    def table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
        made = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
        style: list[Any] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d5dae3")),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")))
        made.setStyle(TableStyle(style))
        return made

    def L(key: str) -> str:  # a label, as the reader reads them
        return _t(LABELS[key], language)

    meta, score, entity = report["report"], report["score"], report["entity"]
    story: list[Any] = [p(f"{L('title')} · {entity['name']}", title)]
    made = [
        f"{L('made')} {meta['madeAt']}",
        f"{L('key')} {meta['keyId'] or L('public')}",
        f"{L('role')} {meta['role']}",
        f"{L('entry')} {meta['auditEntry']}",
    ]
    story.append(p(" · ".join(made), small))
    if "hidden_sources" in meta["notes"]:
        story.append(p(L("hidden"), small))
    width = A4[0] - 30 * mm
    story += [p(L("identity"), heading)]
    story.append(
        table(
            [[p(k), p(v)] for k, v in identity_rows(report, language)],
            [0.25 * width, 0.75 * width],
            header=False,
        )
    )
    story.append(p(L("score"), heading))
    level = next((lv for lv in score["scheme"]["levels"] if lv["name"] == score["level"]), None)
    summary = [
        f"{L('level')} {score['level']}",
        f"{L('value')} {_points(score['value']).lstrip('+')}",
        f"{L('scheme')} {score['scheme']['id']} {score['scheme']['version']}",
        f"{L('as_of')} {score['asOf']}",
    ]
    story.append(p(" · ".join(summary)))
    if level is not None:
        story.append(p(_text(level["meaning"], language), small))
    if score["blacklisted"]:
        story.append(p(f"{L('blacklisted')}: {'; '.join(score['blacklistReasons'])}"))
    story.append(p(L("contributions"), heading))
    rows: list[list[Any]] = [[p(L(k)) for k in ("kind", "record", "rule", "status", "points")]]
    for c in score["contributions"]:
        rule = c["rule"] or {}
        source = f" ← {c['source']['name']}" if c.get("source") else ""
        rows.append(
            [
                p(_t(KINDS[c["kind"]], language), small),
                p(f"{c['recordId'] or ''}{source}", small),
                p(f"{rule.get('id', '')} {_text(rule.get('titleText'), language)}", small),
                p(_t(STATUSES.get(c["status"], (c["status"], c["status"])), language), small),
                p(_points(c["points"])),
            ]
        )
    line, summed = total_line(report, language)
    rows.append([p(L("total")), p(line), "", "", p(summed)])
    contributions = table(
        rows, [0.13 * width, 0.25 * width, 0.36 * width, 0.12 * width, 0.14 * width]
    )
    contributions.setStyle(
        TableStyle([("SPAN", (1, -1), (3, -1)), ("ALIGN", (-1, 0), (-1, -1), "RIGHT")])
    )
    story.append(contributions)
    story.append(p(L("consequences"), heading))
    in_force = [c for c in score["consequences"] if c["inForce"]]
    for c in in_force:
        mark = L("restriction") if c["kind"] == "RESTRICTION" else L("privilege")
        story.append(
            p(f"{mark} {_text(c['titleText'], language)}: {_text(c['descriptionText'], language)}")
        )
    if not in_force:
        story.append(p(L("none")))
    story.append(p(f"{L('records')} ({len(report['records'])})", heading))
    rows = [
        [
            p(L(k), small)
            for k in ("record", "authority", "case", "decided", "until", "status", "points")
        ]
    ]
    for r in report["records"]:
        standing = r["standing"] or {}
        status = standing.get("status", r["status"])
        rows.append(
            [
                p(f"{r['recordId']} {_text(r['codeTitle'], language)}", small),
                p(r["authority"], small),
                p(r["caseNumber"] or "", small),
                p(r["decidedOn"], small),
                p(standing.get("countsUntil") or "", small),
                p(_t(STATUSES.get(status, (status, status)), language), small),
                p(_points(standing["points"]) if standing else "", small),
            ]
        )
    story.append(table(rows, [w * width for w in (0.24, 0.2, 0.18, 0.1, 0.1, 0.09, 0.09)]))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawString(15 * mm, 10 * mm, f"credgraph · {entity['name']} · {meta['madeAt']}")
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=f"{L('title')} {entity['name']}",
        author="credgraph",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
