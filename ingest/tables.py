"""Tables as publishers lay them out: a CSV file (UTF-8, or GB18030 as many government exports
are) or the first sheet of an XLSX file, the first row its header; and their cells, read as the
publishers write them (dates in several forms, amounts in 万元 or in yuan). Every problem is a
``RowError`` naming the column as the publisher named it."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from graph.rows import RowError
from ingest.readers import ImportFileError


def _header(name: Any) -> str:
    """A header as published, made comparable: no spaces, ASCII parentheses."""
    text = str(name or "").strip().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text)


def _cell(value: Any) -> Any:
    # A blank cell is no value: publishers pad cells with spaces.
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_table(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every non-blank row of a CSV or XLSX table, by its published header, with its line."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        yield from _read_xlsx(path)
    else:
        raise ImportFileError(f"{path}: a national format is read from .csv or .xlsx")


def _decoded(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: the file is neither UTF-8 nor GB18030 text") from None


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(_decoded(path), newline=""))
    try:
        header = [_header(name) for name in next(reader)]
    except StopIteration:
        return
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        yield reader.line_num, dict(zip(header, (_cell(c) for c in cells), strict=False))


def _read_xlsx(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise ImportFileError(f"{path}: not a readable XLSX workbook ({exc})") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [_header(name) for name in next(rows, ())]
        for number, cells in enumerate(rows, start=2):
            values = [_cell(c) for c in cells]
            if all(v is None for v in values):
                continue
            yield number, dict(zip(header, values, strict=False))
    finally:
        book.close()


# ---------------------------------------------------------------------------------------------
# Cells


def column(row: Mapping[str, Any], *names: str) -> tuple[str, Any]:
    """The first of the header ``names`` that the table has, and its value."""
    for name in names:
        if name in row:
            return name, row[name]
    return names[0], None


def required(row: Mapping[str, Any], *names: str) -> str:
    """The text of the first of the columns ``names`` the table has; its absence is an error."""
    name, value = column(row, *names)
    if value is None or not str(value).strip():
        raise RowError(name, "is required")
    return str(value).strip()


def optional(row: Mapping[str, Any], *names: str) -> str | None:
    """The text of the first of the columns ``names`` the table has, or None."""
    _, value = column(row, *names)
    return str(value).strip() if value is not None and str(value).strip() else None


_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")


def day(row: Mapping[str, Any], *names: str, required: bool = True) -> date | None:
    """A date as publishers write it: 2023-05-01, 2023/5/1, 2023年5月1日, 20230501, or a
    spreadsheet date."""
    name, value = column(row, *names)
    if value is None:
        if required:
            raise RowError(name, "is required")
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _DAY.match(text)
    parts = match.groups() if match else None
    if parts is None and re.fullmatch(r"\d{8}", text):
        parts = (text[:4], text[4:6], text[6:])
    try:
        if parts is None:
            raise ValueError
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise RowError(name, f"is not a date: {text!r}") from None


def amount(row: Mapping[str, Any], name: str, per_ten_thousand: str) -> float:
    """An amount in 万元 (ten thousand yuan): the standard's column, or one in yuan."""
    for header, scale in ((per_ten_thousand, 1.0), (name + "(元)", 1e-4), (name, 1.0)):
        value = row.get(header)
        if value is None or not str(value).strip():
            continue
        try:
            return float(str(value).replace(",", "")) * scale
        except ValueError:
            raise RowError(header, f"is not an amount: {value!r}") from None
    return 0.0


def stable_id(prefix: str, *parts: str) -> str:
    """A record id that the same published decision always gets."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{prefix}:{digest}"
