"""What the scoring engine needs of the graph: a subject's records, and the warning records of the
entities within the hop limit together with the confirmed paths that lead to them."""

from __future__ import annotations

from typing import Any, LiteralString

from graph.driver import Graph
from graph.models import EntityKind
from graph.repositories import convert
from scoring.engine import Reach, RecordFact, Step

MAX_PATHS = 5000  # a hub's neighbourhood is cut here; the strongest paths come first anyway

OWN_RECORDS = """
MATCH (r:Record {subjectKey: $key})
RETURN properties(r) AS props
"""

_ANCHOR: dict[EntityKind, LiteralString] = {
    EntityKind.PERSON: "MATCH (s:Person {idNumber: $key})\n",
    EntityKind.COMPANY: "MATCH (s:Company {uscc: $key})\n",
}
_LINKS = "LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF"
_HOPS: dict[int, LiteralString] = {
    1: "MATCH p = (s)-[:" + _LINKS + "*1..1]-(other)\n",
    2: "MATCH p = (s)-[:" + _LINKS + "*1..2]-(other)\n",
    3: "MATCH p = (s)-[:" + _LINKS + "*1..3]-(other)\n",
}
_REACH_TAIL = """WHERE other <> s
WITH p, coalesce(other.uscc, other.idNumber) AS source
MATCH (r:Record {subjectKey: source})
WHERE r.polarity = 'warning' AND r.status = 'active'
RETURN source, properties(r) AS record,
       [n IN nodes(p) | coalesce(n.uscc, n.idNumber)] AS keys,
       [rel IN relationships(p) | {type: type(rel),
          start: coalesce(startNode(rel).uscc, startNode(rel).idNumber), stake: rel.stake}] AS rels
ORDER BY length(p)
LIMIT $limit
"""
# Labels and hop counts come from these tables, never from input.
REACHES: dict[tuple[EntityKind, int], LiteralString] = {
    (kind, hops): _ANCHOR[kind] + _HOPS[hops] + _REACH_TAIL for kind in EntityKind for hops in _HOPS
}


def record_fact(props: dict[str, Any]) -> RecordFact:
    decided = convert.to_date(props.get("decidedOn"))
    assert decided is not None
    return RecordFact(
        record_id=props["recordId"],
        code=props["code"],
        category=props["category"],
        polarity=props["polarity"],
        severity=props["severity"],
        decided_on=decided,
        status=props.get("status") or "active",
    )


def _steps(keys: list[str], rels: list[dict[str, Any]]) -> tuple[Step, ...]:
    """The path walked from its far end (the source) back to the subject (``keys[0]``)."""
    steps = []
    for index in range(len(rels) - 1, -1, -1):
        rel = rels[index]
        here, arriving = keys[index + 1], keys[index]
        direction = "forward" if rel["start"] == here else "backward"
        steps.append(Step(rel["type"], direction, arriving, rel.get("stake")))
    return tuple(steps)


async def own_records(graph: Graph, key: str) -> list[RecordFact]:
    """Every record of the subject, whatever its status."""
    rows = await graph.read(OWN_RECORDS, {"key": key})
    return [record_fact(row["props"]) for row in rows]


async def reaches(graph: Graph, key: str, kind: EntityKind, hops: int) -> list[Reach]:
    """Active warning records of entities within ``hops`` confirmed links, with their paths."""
    if hops <= 0:
        return []
    rows = await graph.read(REACHES[kind, min(hops, 3)], {"key": key, "limit": MAX_PATHS})
    return [
        Reach(row["source"], record_fact(row["record"]), _steps(row["keys"], row["rels"]))
        for row in rows
    ]


_AROUND: dict[int, LiteralString] = {
    1: "MATCH (s)-[:" + _LINKS + "*0..1]-(n)\n",
    2: "MATCH (s)-[:" + _LINKS + "*0..2]-(n)\n",
    3: "MATCH (s)-[:" + _LINKS + "*0..3]-(n)\n",
}
_AROUND_TAIL = """RETURN DISTINCT coalesce(n.uscc, n.idNumber) AS key,
       'Company' IN labels(n) AS company
LIMIT $limit
"""
NEIGHBOURHOOD: dict[tuple[EntityKind, int], LiteralString] = {
    (kind, hops): _ANCHOR[kind] + _AROUND[hops] + _AROUND_TAIL
    for kind in EntityKind
    for hops in _AROUND
}
MAX_NEIGHBOURHOOD = 2000


async def neighbourhood(
    graph: Graph, key: str, kind: EntityKind, hops: int
) -> list[tuple[str, EntityKind]]:
    """The entity and every entity within ``hops`` confirmed links of it (a hub's is cut)."""
    if hops <= 0:
        return [(key, kind)]
    rows = await graph.read(
        NEIGHBOURHOOD[kind, min(hops, 3)], {"key": key, "limit": MAX_NEIGHBOURHOOD}
    )
    return [
        (row["key"], EntityKind.COMPANY if row["company"] else EntityKind.PERSON) for row in rows
    ]
