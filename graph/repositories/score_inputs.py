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
UNWIND $keys AS key
MATCH (r:Record {subjectKey: key})
RETURN key, properties(r) AS props
"""

_ANCHOR: dict[EntityKind, LiteralString] = {
    EntityKind.PERSON: "UNWIND $keys AS key\nMATCH (s:Person {idNumber: key})\n",
    EntityKind.COMPANY: "UNWIND $keys AS key\nMATCH (s:Company {uscc: key})\n",
}
_LINKS = "LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF"
_HOPS: dict[int, LiteralString] = {
    1: "MATCH p = (s)-[:" + _LINKS + "*1..1]-(other)\n",
    2: "MATCH p = (s)-[:" + _LINKS + "*1..2]-(other)\n",
    3: "MATCH p = (s)-[:" + _LINKS + "*1..3]-(other)\n",
}
# Paths only: the records at their far ends are read once per source, not once per path.
_REACH_TAIL = """WHERE other <> s
RETURN key, [n IN nodes(p) | coalesce(n.uscc, n.idNumber)] AS keys,
       [rel IN relationships(p) | [type(rel),
          coalesce(startNode(rel).uscc, startNode(rel).idNumber), rel.stake]] AS rels
ORDER BY length(p)
LIMIT $limit
"""
WARNINGS_OF = """
UNWIND $keys AS key
MATCH (r:Record {subjectKey: key})
WHERE r.polarity = 'warning' AND r.status = 'active'
RETURN key, r.recordId AS recordId, r.code AS code, r.category AS category,
       r.severity AS severity, r.polarity AS polarity, r.decidedOn AS decidedOn,
       r.status AS status
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


def _steps(keys: list[str], rels: list[list[Any]]) -> tuple[Step, ...]:
    """The path walked from its far end (the source) back to the subject (``keys[0]``)."""
    steps = []
    for index in range(len(rels) - 1, -1, -1):
        rel_type, start, stake = rels[index]
        here, arriving = keys[index + 1], keys[index]
        direction = "forward" if start == here else "backward"
        steps.append(Step(rel_type, direction, arriving, stake))
    return tuple(steps)


async def own_records(graph: Graph, key: str) -> list[RecordFact]:
    """Every record of the subject, whatever its status."""
    return (await own_records_of(graph, [key]))[key]


async def own_records_of(graph: Graph, keys: list[str]) -> dict[str, list[RecordFact]]:
    """Every record of each subject, in one statement."""
    found: dict[str, list[RecordFact]] = {key: [] for key in keys}
    for row in await graph.read(OWN_RECORDS, {"keys": keys}):
        found[row["key"]].append(record_fact(row["props"]))
    return found


async def reaches(graph: Graph, key: str, kind: EntityKind, hops: int) -> list[Reach]:
    """Active warning records of entities within ``hops`` confirmed links, with their paths."""
    return (await reaches_of(graph, [key], kind, hops))[key]


async def reaches_of(
    graph: Graph, keys: list[str], kind: EntityKind, hops: int
) -> dict[str, list[Reach]]:
    """``reaches`` for several subjects of one kind."""
    return await reaches_for(graph, [(key, kind) for key in keys], hops)


async def reaches_for(
    graph: Graph, subjects: list[tuple[str, EntityKind]], hops: int
) -> dict[str, list[Reach]]:
    """``reaches`` for subjects of either kind: one path statement per kind, one for records."""
    found: dict[str, list[Reach]] = {key: [] for key, _ in subjects}
    if hops <= 0 or not subjects:
        return found
    paths: list[tuple[str, tuple[Step, ...], str]] = []
    for kind in EntityKind:
        keys = [key for key, k in subjects if k is kind]
        if not keys:
            continue
        params = {"keys": keys, "limit": MAX_PATHS * len(keys)}
        for row in await graph.read(REACHES[kind, min(hops, 3)], params):
            paths.append((row["key"], _steps(row["keys"], row["rels"]), row["keys"][-1]))
    sources = sorted({source for _, _, source in paths})
    warnings: dict[str, list[RecordFact]] = {source: [] for source in sources}
    if sources:
        for row in await graph.read(WARNINGS_OF, {"keys": sources}):
            warnings[row["key"]].append(record_fact(row))
    for key, steps, source in paths:
        found[key].extend(Reach(source, fact, steps) for fact in warnings[source])
    return found


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
        NEIGHBOURHOOD[kind, min(hops, 3)], {"keys": [key], "limit": MAX_NEIGHBOURHOOD}
    )
    return [
        (row["key"], EntityKind.COMPANY if row["company"] else EntityKind.PERSON) for row in rows
    ]


async def warnings_of(graph: Graph, keys: list[str]) -> dict[str, list[RecordFact]]:
    """The active warning records of each entity (whether they still count is the scheme's
    call: ``scoring.engine.standing``)."""
    found: dict[str, list[RecordFact]] = {key: [] for key in keys}
    if keys:
        for row in await graph.read(WARNINGS_OF, {"keys": keys}):
            found[row["key"]].append(record_fact(row))
    return found
