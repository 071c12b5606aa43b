"""The catalogue of record codes (``catalogue.toml``): what each code means and whom it concerns."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scoring.vocabulary import CATEGORIES, POLARITIES, SEVERITIES

CATALOGUE_FILE = Path(__file__).with_name("catalogue.toml")
SUBJECTS = ("person", "company", "both")


@dataclass(frozen=True)
class RecordCode:
    """One kind of record: a code with its usual area, polarity, severity and issuer."""

    code: str
    title: str  # in English
    title_zh: str  # in Chinese, as the registries name it
    category: str
    polarity: str
    severity: str
    subjects: str
    authority: str

    def concerns(self, kind: str) -> bool:
        """True when records of this code can concern a ``person`` or a ``company``."""
        return self.subjects in (kind, "both")


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> dict[str, RecordCode]:
    """Read and check the catalogue; codes are unique and every field takes a known value."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    codes: dict[str, RecordCode] = {}
    for entry in data.get("code", []):
        code = RecordCode(**entry)
        for field, allowed in (
            ("category", CATEGORIES),
            ("polarity", POLARITIES),
            ("severity", SEVERITIES),
            ("subjects", SUBJECTS),
        ):
            if getattr(code, field) not in allowed:
                raise ValueError(f"{path.name}: {code.code}.{field} must be one of {allowed}")
        if code.code in codes:
            raise ValueError(f"{path.name}: code {code.code} is listed twice")
        codes[code.code] = code
    return codes
