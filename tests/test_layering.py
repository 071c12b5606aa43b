"""The layering rules of STYLE.md, enforced by walking the imports and the source."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# pyspark: DataFrame maths (scoring/spark_pass.py), as numpy arrays are; the job's I/O is jobs/.
NUMERIC = {"numpy", "scipy", "pyspark"}


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


# Each package and the packages above it, which it must never import: the layers run
# scoring -> graph -> usecases -> api / cli, with ingest, backend and config beside them.
ABOVE = {
    "graph": {"usecases", "ingest", "backend", "config", "api", "cli", "bench"},
    "usecases": {"ingest", "backend", "config", "api", "cli", "bench"},
    "ingest": {"backend", "config", "api", "cli", "bench"},
    "backend": {"usecases", "ingest", "config", "api", "cli", "bench", "scoring", "neo4j"},
    "config": {"usecases", "ingest", "api", "cli", "bench"},
    "api": {"cli", "ingest", "bench", "neo4j"},
    # The cluster's jobs know the rules and their tables, never the graph or the service.
    "jobs": {"graph", "usecases", "ingest", "backend", "config", "api", "cli", "bench", "neo4j"},
}


@pytest.mark.parametrize("package", sorted(ABOVE))
def test_layering_no_package_imports_one_above_it(package: str) -> None:
    offenders = [(p.name, m) for p, m in _imports(package) if _top(m) in ABOVE[package]]
    assert offenders == []


def test_layering_use_cases_know_neither_graphql_nor_http_nor_the_driver() -> None:
    # A use case is called by the API, the command line and the importer alike: what it takes
    # and returns is plain data, whatever the caller's protocol.
    banned = {"strawberry", "starlette", "graphql", "neo4j", "uvicorn"}
    offenders = [(p.name, m) for p, m in _imports("usecases") if _top(m) in banned]
    assert offenders == []


@pytest.mark.parametrize("package", ["api", "usecases", "ingest", "cli", "config", "backend"])
def test_layering_cypher_only_in_graph(package: str) -> None:
    cypher = re.compile(r"\b(MATCH|MERGE)\s*\(|\bDETACH DELETE\b")
    offenders = [p.name for p in (ROOT / package).rglob("*.py") if cypher.search(p.read_text())]
    assert offenders == []


@pytest.mark.parametrize(
    "package", ["api", "usecases", "graph", "scoring", "ingest", "backend", "config", "cli"]
)
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
