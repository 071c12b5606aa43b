"""Every GraphQL document the investigator console sends is valid against the exported schema
(api/schema.graphql): the console keeps them in console/src/documents.js, and every call of
``gql`` in its sources passes one of them by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "console" / "src"
DOCUMENT = re.compile(r"export const (\w+) = `([^`]*)`;", re.S)


def documents() -> dict[str, str]:
    text = (SOURCES / "documents.js").read_text()
    found = dict(DOCUMENT.findall(text))
    assert "${" not in text, "documents are plain strings: no interpolation"
    return found


def test_the_console_has_its_documents_in_one_place() -> None:
    found = documents()
    assert {"SEARCH", "SUGGEST", "FILE", "LINKAGE", "PATHS", "COMMON_LINKS", "OWNERS"} <= set(found)
    assert {"RISK_SCAN", "SCHEMES"} <= set(found)
    # Every gql(...) call names one of them: no document is written anywhere else.
    calls = []
    for source in SOURCES.glob("*.js"):
        calls += re.findall(r"\bgql\(\s*([^,)\s]+)", source.read_text())
    assert calls
    unknown = [c for c in calls if c not in found and c != "query"]  # `query`: gql's parameter
    assert not unknown, unknown
    assert not [c for c in calls if c.startswith("`")]


@pytest.mark.parametrize("name", sorted(documents()))
def test_a_console_document_is_valid_against_the_schema(name: str) -> None:
    schema = build_schema((ROOT / "api" / "schema.graphql").read_text())
    errors = validate(schema, parse(documents()[name]))
    assert not errors, [e.message for e in errors]
