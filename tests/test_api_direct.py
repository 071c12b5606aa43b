"""The view's direct answer (``api.direct``) to ordinary planned lookups over HTTP: the same
responses as strawberry's view and normal execution give (status, headers, body), the same
refusals of the cost limit and the cost budget, each request charged once, no answer without
its read entry; and every request that is not ordinary goes on to the view."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from graphql import parse
from starlette.testclient import TestClient

from api import direct
from api.app import create_app
from api.cost import BUDGET, operation_cost
from api.schema import build_schema
from backend.local import LocalServer
from cli.shards import generate
from cli.synthetic import Spec, company
from graph.driver import Graph
from graph.migrate import apply_migrations, load_migrations
from graph.repositories.appender import Appender
from ingest.importer import Importer
from ingest.readers import expand_paths
from tests.conftest import settings_for
from tests.factories import api_key, bearer

LOOKUP = (
    "query($u: String!) { company(uscc: $u) { uscc name legalRepresentative { name idNumber } "
    "records(first: 5) { edges { node { recordId code decidedOn } } } } }"
)
# Pages of records three levels down: over the budget, though every list is short.
HEAVY = (
    "query($u: String!) { company(uscc: $u) { shareholders { holder { ... on Person { "
    "holdings { company { shareholders { holder { name } } records(first: 100) { edges { "
    "node { recordId } } } } } } } } } }"
)
# Within the budget, and between a sixth and a quarter of the smallest budget a minute.
COSTLY = (
    "query($u: String!) { company(uscc: $u) { shareholders { holder { ... on Person { "
    "holdings { company { records(first: 15) { edges { node { recordId } } } } } } } } } }"
)
SAME_HEADERS = ("content-type", "cache-control", "x-content-type-options")


@pytest.fixture(scope="module")
def world(
    graph_server: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A small registry; an app answering lookups directly, one without plans at all."""
    folder = tmp_path_factory.mktemp("direct")
    spec = Spec(companies=30, persons=40, seed=17)
    generate(spec, folder / "data", workers=1)
    fast = settings_for(graph_server)
    slow = settings_for(graph_server, compiled_lookups=False)

    async def load() -> None:
        graph = await Graph.connect(fast.graph_config())
        try:
            await apply_migrations(graph, load_migrations())
            report = await Importer(graph).run(expand_paths([folder / "data"]))
            assert report.rejected == 0
        finally:
            await graph.close()

    asyncio.run(load())
    rp = bearer(api_key(fast, "relying_party"))
    codes = [company(spec, i)["uscc"] for i in range(spec.companies)]
    with TestClient(create_app(fast)) as with_plans, TestClient(create_app(slow)) as without:
        yield {"codes": codes, "rp": rp, "fast": with_plans, "slow": without, "fast_s": fast}


def _post(client: TestClient, body: Any, headers: dict[str, str], **kwargs: Any) -> Any:
    return client.post("/graphql", json=body, headers=headers, **kwargs)


def test_a_lookup_is_answered_directly_as_the_view_answers_it(world: dict[str, Any]) -> None:
    for accept in ("application/json", "application/graphql-response+json"):
        headers = {**world["rp"], "accept": accept}
        for uscc in [*world["codes"][:3], "91110000000000000X", "not a code"]:
            body = {"query": LOOKUP, "variables": {"u": uscc}}
            answered = direct.counters.answered
            fast = _post(world["fast"], body, headers)
            slow = _post(world["slow"], body, headers)
            valid = uscc != "not a code"  # a malformed code is the resolver's error
            assert direct.counters.answered == answered + (1 if valid else 0)
            assert (fast.status_code, fast.json()) == (slow.status_code, slow.json())
            for name in SAME_HEADERS:
                assert fast.headers.get(name) == slow.headers.get(name), name
    # An answer with data, masked as the role requires.
    data = _post(world["fast"], {"query": LOOKUP, "variables": {"u": world["codes"][0]}},
                 world["rp"]).json()["data"]  # fmt: skip
    assert data["company"]["uscc"] == world["codes"][0]


def test_requests_that_are_not_ordinary_go_on_to_the_view(world: dict[str, Any]) -> None:
    uscc = world["codes"][1]
    one = {"query": LOOKUP, "variables": {"u": uscc}}
    cases: list[tuple[str, Any]] = [
        ("batch", [one, one]),
        ("extensions", {**one, "extensions": {"persistedQuery": {"version": 1}}}),
        ("variables that do not coerce", {"query": LOOKUP, "variables": {"u": 7}}),
        ("syntax", {"query": "query($u: String!) { company(uscc: $u) { name "}),
        ("validation", {"query": "query($u: String!) { company(uscc: $u) { nope } }"}),
        ("no plan", {"query": "{ schemes { id } }"}),
        ("two operations", {"query": LOOKUP + " query B { schemes { id } }",
                            "variables": {"u": uscc}}),
        ("not an object", "just text"),
    ]  # fmt: skip
    for name, body in cases:
        answered = direct.counters.answered
        fast = _post(world["fast"], body, world["rp"])
        slow = _post(world["slow"], body, world["rp"])
        assert direct.counters.answered == answered, name
        assert (fast.status_code, fast.json()) == (slow.status_code, slow.json()), name
    # Other media types and methods are the view's.
    text = world["fast"].post(
        "/graphql", content=b'{"query": "{ schemes { id } }"}',
        headers={**world["rp"], "content-type": "text/plain"},
    )  # fmt: skip
    assert text.status_code == world["slow"].post(
        "/graphql", content=b'{"query": "{ schemes { id } }"}',
        headers={**world["rp"], "content-type": "text/plain"},
    ).status_code  # fmt: skip
    got = world["fast"].get("/graphql", params={"query": LOOKUP, "variables": f'{{"u":"{uscc}"}}'},
                            headers={**world["rp"], "accept": "application/json"})  # fmt: skip
    assert got.json() == world["slow"].get(
        "/graphql", params={"query": LOOKUP, "variables": f'{{"u":"{uscc}"}}'},
        headers={**world["rp"], "accept": "application/json"},
    ).json()  # fmt: skip


def test_the_cost_limit_refuses_as_the_view_does(world: dict[str, Any]) -> None:
    schema = build_schema()._schema
    assert operation_cost(schema, parse(HEAVY), None, {}) > BUDGET
    body = {"query": HEAVY, "variables": {"u": world["codes"][2]}}
    answered = direct.counters.answered
    fast, slow = _post(world["fast"], body, world["rp"]), _post(world["slow"], body, world["rp"])
    assert direct.counters.answered == answered
    assert (fast.status_code, fast.json()) == (slow.status_code, slow.json())
    assert "budget" in fast.json()["errors"][0]["message"]


@pytest.mark.parametrize("caller", ["relying_party", "public"])
def test_each_request_is_charged_once_and_the_budget_refuses_alike(
    graph_server: LocalServer, world: dict[str, Any], caller: str
) -> None:
    """With the smallest cost budget a minute, as many costly lookups are admitted with plans
    as without, and the next is refused in the same words: a relying party's are answered
    directly, the public's go on to the view (it may not read people) and are not charged
    twice for it."""
    cost = operation_cost(build_schema()._schema, parse(COSTLY), None, {})
    budget = 20_000
    assert budget // 6 < cost <= budget // 4  # four fit, the fifth does not
    answers: dict[bool, list[tuple[int, Any]]] = {}
    for plans in (True, False):
        settings = settings_for(
            graph_server, cost_limit=budget, public_cost_limit=budget, compiled_lookups=plans
        )
        headers = bearer(api_key(settings, caller)) if caller != "public" else {}
        with TestClient(create_app(settings)) as client:
            answered = direct.counters.answered
            got = []
            for uscc in world["codes"][:5]:
                response = _post(client, {"query": COSTLY, "variables": {"u": uscc}}, headers)
                got.append((response.status_code, response.json()))
            if plans:
                assert direct.counters.answered - answered == (4 if caller != "public" else 0)
        answers[plans] = got
    assert [status for status, _ in answers[True]] == [200, 200, 200, 200, 429]
    assert answers[True][:4] == answers[False][:4]
    refused = answers[True][4][1]
    assert "cost budget" in str(refused)
    assert str(refused).split("retry in")[0] == str(answers[False][4][1]).split("retry in")[0]


def test_no_answer_leaves_without_its_read_entry(world: dict[str, Any]) -> None:
    """With the worker's audit appender on a graph that is gone, a lookup that read a person
    answers no data, directly or not, and the same refusal."""
    uscc = next(
        code
        for code in world["codes"]
        if _post(world["slow"], {"query": LOOKUP, "variables": {"u": code}}, world["rp"]).json()[
            "data"
        ]["company"]["legalRepresentative"]
    )
    body = {"query": LOOKUP, "variables": {"u": uscc}}
    answers = []
    settings = world["fast_s"]

    async def gone() -> Appender:
        graph = await Graph.connect(settings.graph_config())
        await graph.close()
        return Appender(graph)

    for client in (world["fast"], world["slow"]):
        healthy = client.app.state.appender

        client.app.state.appender = client.portal.call(gone)
        try:
            answered = direct.counters.answered
            response = _post(client, body, world["rp"])
            assert direct.counters.answered == answered
        finally:
            client.app.state.appender = healthy
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    status, answer = answers[0]
    assert status >= 400 or answer.get("errors")
    assert not (answer.get("data") or {}).get("company")


def test_twenty_lookups_at_once_each_answered_directly_with_its_entry(
    world: dict[str, Any],
) -> None:
    client, rp = world["fast"], world["rp"]
    answered = direct.counters.answered

    def look(uscc: str) -> Any:
        return _post(client, {"query": LOOKUP, "variables": {"u": uscc}}, rp).json()

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(look, world["codes"][:20]))
    assert direct.counters.answered - answered == 20
    assert [a["data"]["company"]["uscc"] for a in answers] == world["codes"][:20]
    with ThreadPoolExecutor(20) as pool:
        again = list(pool.map(lambda u: _post(world["slow"], {"query": LOOKUP,
                                                               "variables": {"u": u}}, rp).json(),
                              world["codes"][:20]))  # fmt: skip
    assert answers == again
