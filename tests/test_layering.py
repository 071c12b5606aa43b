"""The layering rules of STYLE.md, enforced by walking the imports and the source."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NUMERIC = {"numpy", "scipy"}


def _imports(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def test_layering_scoring_imports_only_stdlib_and_numerics() -> None:
    allowed = set(sys.stdlib_module_names) | NUMERIC | {"scoring", "__future__"}
    offenders = [(p.name, m) for p, m in _imports("scoring") if _top(m) not in allowed]
    assert offenders == []


def test_layering_graph_does_not_import_api_or_cli() -> None:
    offenders = [(p.name, m) for p, m in _imports("graph") if _top(m) in {"api", "cli"}]
    assert offenders == []


def test_layering_api_has_no_driver_and_no_cypher() -> None:
    assert [(p.name, m) for p, m in _imports("api") if _top(m) == "neo4j"] == []
    cypher = re.compile(r"\b(MATCH|MERGE)\s*\(|\bDETACH DELETE\b")
    offenders = [p.name for p in (ROOT / "api").rglob("*.py") if cypher.search(p.read_text())]
    assert offenders == []


@pytest.mark.parametrize("package", ["api", "graph", "scoring", "cli"])
def test_layering_no_cypher_built_from_fstrings(package: str) -> None:
    # Cypher text must be constants with $parameters; an f-string holding Cypher keywords is how
    # input ends up inside a query.
    keywords = re.compile(r"\b(MATCH|MERGE|RETURN|DETACH|UNWIND)\b")
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr):
                text = "".join(
                    str(part.value) for part in node.values if isinstance(part, ast.Constant)
                )
                if keywords.search(text):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
