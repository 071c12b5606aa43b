"""The gateway's own work on a real server: rows as ``Record.data()`` makes them (taken as they
are when they are plain, which is most of them), and one-statement auto-commit writes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.driver import Graph, bound, row
from graph.errors import GraphError

GRAPH_VALUES = """
CREATE (a:DriverProbe {name: 'a', n: 1})-[r:PROBES {w: 0.5}]->(b:DriverProbe {name: 'b', n: 2})
WITH a, r, b
MATCH p = (a)-[:PROBES]->(b)
RETURN a, r, p, [a, b] AS nodes, {first: a, rel: r, deep: [{node: b}]} AS nested,
       date('2024-05-01') AS day, datetime('2024-05-01T10:00:00Z') AS moment,
       [1, 'two', 3.5, null, true] AS scalars, {k: [1, {m: 'x'}]} AS map
"""


async def test_rows_are_what_record_data_makes_of_graph_values(clean_graph: Graph) -> None:
    result = await clean_graph.driver.execute_query(GRAPH_VALUES, database_=clean_graph.database)
    (record,) = result.records
    made = row(record)
    assert made == record.data()
    # Nodes became their properties, wherever they were; plain values are untouched.
    assert made["a"] == {"name": "a", "n": 1}
    assert made["nested"]["deep"] == [{"node": {"name": "b", "n": 2}}]
    assert made["nodes"] == [{"name": "a", "n": 1}, {"name": "b", "n": 2}]
    assert made["scalars"] == [1, "two", 3.5, None, True]
    assert made["map"] == {"k": [1, {"m": "x"}]}
    assert str(made["day"]) == "2024-05-01"


_plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8)
    | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=_plain)
async def test_plain_values_come_back_as_they_went(clean_graph: Graph, value: Any) -> None:
    result = await clean_graph.driver.execute_query(
        "RETURN $value AS value", {"value": value}, database_=clean_graph.database
    )
    (record,) = result.records
    assert row(record) == record.data() == {"value": value}


async def test_write_once_commits_one_statement(clean_graph: Graph) -> None:
    before = clean_graph.statements
    rows = await clean_graph.write_once(
        "CREATE (p:DriverProbe {name: $name}) RETURN p.name AS name", {"name": "once"}
    )
    assert rows == [{"name": "once"}]
    assert clean_graph.statements == before + 1
    seen = await clean_graph.read("MATCH (p:DriverProbe {name: 'once'}) RETURN count(p) AS n")
    assert seen == [{"n": 1}]


async def test_write_once_inside_a_transaction_rolls_back_with_it(clean_graph: Graph) -> None:
    with pytest.raises(RuntimeError):
        async with bound(clean_graph) as tx:
            await tx.write_once("CREATE (:DriverProbe {name: 'inside'})")
            raise RuntimeError("the work failed")
    seen = await clean_graph.read("MATCH (p:DriverProbe {name: 'inside'}) RETURN count(p) AS n")
    assert seen == [{"n": 0}]


async def test_write_once_names_a_bad_statement(clean_graph: Graph) -> None:
    with pytest.raises(GraphError):
        await clean_graph.write_once("CREATE (p:DriverProbe {name: }) RETURN p")


async def test_auto_commit_sessions_are_reused_and_a_failed_one_is_not(
    settings: Any,
) -> None:
    """Reads one after another run on one idle session; reads at once each take their own
    (none is shared while its result is open); a session whose statement failed is closed,
    never handed out again."""
    import asyncio

    import neo4j

    graph = await Graph.connect(settings.graph_config())
    try:
        assert await graph.read("RETURN 1 AS n") == [{"n": 1}]
        (first,) = graph._idle[neo4j.READ_ACCESS]
        assert await graph.read("RETURN 2 AS n") == [{"n": 2}]
        assert graph._idle[neo4j.READ_ACCESS] == [first]
        answers = await asyncio.gather(*(graph.read(f"RETURN {n} AS n") for n in range(5)))
        assert answers == [[{"n": n}] for n in range(5)]
        idle = graph._idle[neo4j.READ_ACCESS]
        assert len(idle) == 5 and len({id(s) for s in idle}) == 5 and first in idle
        with pytest.raises(GraphError):
            await graph.read("RETURN 1 +")
        assert len(graph._idle[neo4j.READ_ACCESS]) == 4
        assert all(not s.closed() for s in graph._idle[neo4j.READ_ACCESS])
        assert await graph.write_once("RETURN 3 AS n") == [{"n": 3}]
        assert len(graph._idle[neo4j.WRITE_ACCESS]) == 1
    finally:
        await graph.close()
    assert graph._idle == {}
