"""GraphQL hardening: the cost budget, batches of at most 10, per-caller rate limits with
Retry-After, the request timeout, and Cypher that never takes input as text."""

from __future__ import annotations

import ast
from pathlib import Path

from starlette.testclient import TestClient

from api.app import create_app
from api.cost import BUDGET
from backend.local import LocalServer
from tests.conftest import settings_for
from tests.factories import api_key, bearer

ROOT = Path(__file__).resolve().parent.parent


def test_cost_budget_refuses_a_greedy_operation(graph_server: LocalServer) -> None:
    greedy = """{ search(query: "科技", first: 100) { edges { node { entity {
      records(first: 100) { edges { node { subject { records(first: 100) { totalCount } } } } }
    } } } } }"""
    modest = '{ search(query: "科技", first: 5) { edges { node { entity { name } } } } }'
    with TestClient(create_app(settings_for(graph_server))) as client:
        refused = client.post("/graphql", json={"query": greedy}).json()
        message = refused["errors"][0]["message"]
        assert (
            message.startswith("the operation would cost ") and f"budget is {BUDGET:,}" in message
        )
        assert refused["data"] is None
        assert "errors" not in client.post("/graphql", json={"query": modest}).json()
        # Variables count too: the same operation with a small page passes.
        paged = "query($n: Int) { publicity(first: $n) { edges { node { recordId } } } }"
        ok = client.post("/graphql", json={"query": paged, "variables": {"n": 5}}).json()
        assert "errors" not in ok


def test_batches_of_at_most_ten(graph_server: LocalServer) -> None:
    one = {"query": "{ serviceVersion }"}
    with TestClient(create_app(settings_for(graph_server))) as client:
        answers = client.post("/graphql", json=[one] * 3)
        assert answers.status_code == 200
        assert [set(a["data"]) for a in answers.json()] == [{"serviceVersion"}] * 3
        too_many = client.post("/graphql", json=[one] * 11)
        assert too_many.status_code == 400 and "Too many operations" in too_many.text


def test_rate_limit_answers_429_with_retry_after(graph_server: LocalServer) -> None:
    settings = settings_for(graph_server, public_rate_limit=3, rate_limit=5)
    key = api_key(settings, "relying_party", name="limited")
    query = {"query": "{ serviceVersion }"}
    with TestClient(create_app(settings)) as client:
        codes = [client.post("/graphql", json=query).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.post("/graphql", json=query)
        assert limited.json()["error"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        # A key has its own bucket, independent of the address's.
        keyed = [
            client.post("/graphql", json=query, headers=bearer(key)).status_code for _ in range(6)
        ]
        assert keyed == [200] * 5 + [429]
        assert client.get("/healthz").status_code == 200  # health checks are never limited


def test_request_timeout_answers_504_and_the_server_keeps_serving(
    graph_server: LocalServer,
) -> None:
    slow = settings_for(graph_server, request_timeout=0.001)
    query = {"query": '{ search(query: "北京测试有限公司", first: 50) { totalCount } }'}
    with TestClient(create_app(slow)) as client:
        answer = client.post("/graphql", json=query)
        assert answer.status_code == 504
        assert answer.json()["error"] == "timeout"
        assert client.get("/readyz").status_code == 200
    with TestClient(create_app(settings_for(graph_server))) as client:
        assert client.post("/graphql", json=query).status_code == 200


GRAPH_CALLS = {"read", "write", "run", "stream", "execute_query"}
GRAPH_RECEIVERS = {"graph", "tx", "target", "driver", "session", "_tx", "connected"}


def _constant_statement(node: ast.expr) -> bool:
    """A name, a table lookup, a literal, a choice between those, or ``self._query(name)``."""
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Constant)):
        return True
    if isinstance(node, ast.IfExp):
        return _constant_statement(node.body) and _constant_statement(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "_query" and bool(node.args) and _constant_statement(node.args[0])
    return False


def _receiver(func: ast.Attribute) -> str:
    value = func.value
    if isinstance(value, ast.Attribute):
        return value.attr
    return value.id if isinstance(value, ast.Name) else ""


def _calls_with_built_cypher(path: Path) -> list[str]:
    """Calls that send Cypher built at run time (f-strings, +, %, .format) to the graph."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in GRAPH_CALLS:
            continue
        if _receiver(func) not in GRAPH_RECEIVERS:
            continue
        if not _constant_statement(node.args[0]):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_cypher_never_built_from_input() -> None:
    """Statements are constants (module-level strings, tables of them keyed by enums, or made
    once from such constants by a cached function) and take input only as $parameters; mypy
    checks that every statement is a LiteralString too."""
    offenders = []
    for package in ("api", "graph", "cli", "scoring"):
        for path in sorted((ROOT / package).rglob("*.py")):
            offenders += _calls_with_built_cypher(path)
    assert offenders == []
    # The check itself catches what it should.
    bad = ROOT / "tests" / "artifacts" / "bad_cypher.py"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text(
        'async def f(graph, name):\n    await graph.read(f"MATCH (n {{name: {name}}})")\n'
    )
    try:
        assert _calls_with_built_cypher(bad) == ["tests/artifacts/bad_cypher.py:2"]
    finally:
        bad.unlink()


def test_graph_gateway_takes_literal_statements_only() -> None:
    source = (ROOT / "graph" / "driver.py").read_text(encoding="utf-8")
    for signature in ("async def read(", "async def write(", "async def stream(", "async def run("):
        start = source.index(signature)
        assert "query: LiteralString" in source[start : start + 200], signature
