"""Reading import files line by line: JSON Lines (a ``type`` per object) or CSV (a type per file).

Readers yield ``(line_number, raw_row_or_problem)`` and never raise on a bad line: a line that is
not valid JSON, or a CSV row with the wrong number of cells, comes back as a ``LineProblem`` for
the importer to reject with its line number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from graph.errors import CredgraphError

_CSV_TYPE = re.compile(r"(company|companies|person|persons|people|link|links|record|records)")
_CSV_TYPES = {
    "company": "company",
    "companies": "company",
    "person": "person",
    "persons": "person",
    "people": "person",
    "link": "link",
    "links": "link",
    "record": "record",
    "records": "record",
}


class ImportFileError(CredgraphError):
    """An input file that cannot be read at all (missing, unknown format, no CSV header)."""


@dataclass(frozen=True)
class LineProblem:
    """A line that could not be parsed into a row (of ``kind``, when the reader knows it)."""

    reason: str
    text: str
    kind: str | None = None


def file_format(path: Path) -> str:
    """``jsonl`` or ``csv``, from the file's extension."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ImportFileError(f"{path}: unknown format; use .jsonl or .csv")


def csv_type(path: Path, header: list[str]) -> str | None:
    """The row type of a CSV file: its ``type`` column, else its file name (companies.csv ...)."""
    if "type" in header:
        return None
    match = _CSV_TYPE.search(path.stem.lower())
    if match is None:
        raise ImportFileError(
            f"{path}: a CSV file needs a 'type' column or a name saying its type "
            "(companies.csv, persons.csv, links.csv, records.csv)"
        )
    return _CSV_TYPES[match.group(1)]


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    """Every non-blank line of ``path`` with its 1-based line number."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    if file_format(path) == "jsonl":
        yield from _read_jsonl(path)
    else:
        yield from _read_csv(path)


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, LineProblem(f"not valid JSON: {exc}", _text(line))
                continue
            if not isinstance(value, dict):
                yield number, LineProblem("a line must hold one JSON object", _text(line))
                continue
            yield number, value


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            return
        kind = csv_type(path, header)
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                yield (
                    number,
                    LineProblem(
                        f"has {len(cells)} cells where the header has {len(header)}",
                        ",".join(cells),
                    ),
                )
                continue
            pairs = zip(header, cells, strict=True)
            row: dict[str, Any] = {k: (v if v.strip() else None) for k, v in pairs}
            if kind is not None:
                row["type"] = kind
            yield number, row


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\n")[:1000]


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, and for a folder the .jsonl and .csv files in it (not rejects files)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in (".jsonl", ".csv") and not p.name.endswith(".rejects.jsonl")
            )
            if not inside:
                raise ImportFileError(f"{path}: the folder holds no .jsonl or .csv file")
            files.extend(inside)
        elif not path.is_file():
            raise ImportFileError(f"{path}: no such file or folder")
        else:
            files.append(path)
    return files
