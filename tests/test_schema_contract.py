"""The exported schema as a contract front-end developers build on: everything described, one
casing convention, values that are enumerations typed as enums, every error code documented,
and the schema check of ``make schema-check`` able to fail on a breaking change."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)

from api.codes import ErrorCode
from api.schema import build_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = build_schema()._schema
OURS = {
    name: t
    for name, t in SCHEMA.type_map.items()
    if not name.startswith("__")
    and not (
        isinstance(t, GraphQLScalarType) and name in {"String", "Int", "Float", "Boolean", "ID"}
    )
}
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
PASCAL = re.compile(r"^[A-Z][a-zA-Z0-9]*$")
CAPITALS = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Field names that always hold one of a fixed set of values, wherever they appear; a field
# so named that is free text is listed here with why.
ENUMERATED = {"level", "previousLevel", "status", "kind", "rel", "direction", "type", "role"}
FREE_TEXT = {
    "Officer.role": "the office as registered (董事长, supervisor)",
    "Relationship.role": "the office as registered",
    "LinkEntitiesInput.role": "the office as registered",
}


def _members(t: GraphQLNamedType) -> list[tuple[str, str | None]]:
    """Every describable part of a type: its fields, their arguments, its enum values."""
    found: list[tuple[str, str | None]] = []
    if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
        for name, field in t.fields.items():
            found.append((f"{t.name}.{name}", field.description))
            for arg, definition in getattr(field, "args", {}).items():
                found.append((f"{t.name}.{name}({arg})", definition.description))
    if isinstance(t, GraphQLEnumType):
        found += [(f"{t.name}.{v}", d.description) for v, d in t.values.items()]
    return found


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = [name for name, t in OURS.items() if not (t.description or "").strip()]
    for t in OURS.values():
        missing += [name for name, text in _members(t) if not (text or "").strip()]
    assert not missing, missing
    assert len(OURS) > 80  # the walk saw the schema, not an empty one


def test_one_casing_convention() -> None:
    wrong = [n for n, t in OURS.items() if not PASCAL.match(n)]
    for t in OURS.values():
        for name, _ in _members(t):
            part = name.split(".", 1)[1]
            if isinstance(t, GraphQLEnumType):
                wrong += [name] if not CAPITALS.match(part) else []
            else:
                word = part.split("(")[-1].rstrip(")") if "(" in part else part
                wrong += [name] if not CAMEL.match(word) else []
    assert not wrong, wrong


def test_fields_that_hold_a_fixed_set_of_values_are_enums() -> None:
    stringly = []
    for t in OURS.values():
        if not isinstance(t, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            continue
        for name, field in t.fields.items():
            named = get_named_type(field.type)
            path = f"{t.name}.{name}"
            if name in ENUMERATED and named.name == "String" and path not in FREE_TEXT:
                stringly.append(path)
    assert not stringly, stringly
    levels = SCHEMA.type_map["CreditLevel"]
    assert isinstance(levels, GraphQLEnumType)
    assert list(levels.values) == ["AAA", "AA", "A", "B", "C", "D"]
    for path in ("Score.level", "ScoreSnapshot.level", "Standing.level", "Eligibility.level"):
        assert _field_type(path) == "CreditLevel", path
    assert _field_type("ConsequenceState.code") == "ConsequenceCode"
    assert _field_type("ConsequenceState.kind") == "ConsequenceKind"
    assert _field_type("Contribution.status") == "ScoringStatus"
    assert _field_type("PathStep.direction") == "Direction"
    assert _field_type("Scheme.subjects") == "EntityKind"


def _field_type(path: str) -> str:
    owner, field = path.split(".")
    t = SCHEMA.type_map[owner]
    assert isinstance(t, GraphQLObjectType)
    return str(get_named_type(t.fields[field].type).name)


def test_every_error_code_is_in_the_schema_and_in_readme() -> None:
    codes = SCHEMA.type_map["ErrorCode"]
    assert isinstance(codes, GraphQLEnumType)
    assert set(codes.values) == {c.value for c in ErrorCode}
    readme = (ROOT / "README.md").read_text()
    undocumented = [c.value for c in ErrorCode if f"`{c.value}`" not in readme]
    assert not undocumented, undocumented


def test_unions_name_their_members() -> None:
    for t in OURS.values():
        if isinstance(t, GraphQLUnionType):
            assert len(t.types) >= 2, t.name


INSPECTOR = ROOT / "tools" / "schema-check" / "node_modules" / ".bin" / "graphql-inspector"


@pytest.mark.skipif(shutil.which("node") is None, reason="the schema check runs on node")
def test_the_schema_check_fails_on_a_breaking_change_and_passes_a_safe_one(tmp_path: Path) -> None:
    assert INSPECTOR.exists(), "make schema-check installs tools/schema-check (npm ci)"
    committed = (ROOT / "api" / "schema.graphql").read_text()
    broken = tmp_path / "broken.graphql"
    # A field's type changed and an enum value gone: clients that use them break.
    broken.write_text(
        committed.replace("  exactValue: Float!\n", "  exactValue: String!\n", 1).replace(
            "  CAPPED\n", "  CAPPED_OFF\n", 1
        )
    )
    safe = tmp_path / "safe.graphql"
    safe.write_text(
        committed.replace("type Query {", 'type Query {\n  "New."\n  hello: String\n', 1)
    )
    found = subprocess.run(
        [str(INSPECTOR), "diff", str(ROOT / "api" / "schema.graphql"), str(broken)],
        capture_output=True, text=True, cwd=INSPECTOR.parent.parent.parent, timeout=120,
    )  # fmt: skip
    assert found.returncode != 0
    assert "exactValue" in found.stdout + found.stderr and "CAPPED" in found.stdout + found.stderr
    passed = subprocess.run(
        [str(INSPECTOR), "diff", str(ROOT / "api" / "schema.graphql"), str(safe)],
        capture_output=True, text=True, cwd=INSPECTOR.parent.parent.parent, timeout=120,
    )  # fmt: skip
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "hello" in passed.stdout
