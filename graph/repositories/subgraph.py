"""The subgraph around an entity: what rescoring its neighbourhood needs, in a few statements.

Rescoring after a record changes touches every entity within ``h`` links of the record's subject,
and each of those is reached by risk from ``h`` links further: so the edges of the ball of radius
``2h`` and the records of its entities are enough, and ``scoring.batch`` computes on them exactly
what it computes on the whole graph.
"""

from __future__ import annotations

from typing import LiteralString

from graph import traversal
from graph.driver import Graph
from graph.models import EntityKind
from graph.repositories.bulk import GraphArrays
from scoring.arrays import GraphData

MAX_SUBGRAPH = 20_000  # entities; a hub's surroundings are cut here

# Each statement returns one row of columns: a driver record costs ~20 µs of Python, a list
# element next to nothing, and a neighbourhood holds thousands of links and records.
_LINKS_OF: dict[EntityKind, LiteralString] = {
    EntityKind.PERSON: """
UNWIND $keys AS key
MATCH (a:Person {idNumber: key})-[r:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF]->(b:Company)
RETURN collect(key) AS starts, collect(b.uscc) AS ends, collect(type(r)) AS rels,
       collect(coalesce(r.stake, -1.0)) AS stakes, collect(b.uscc) AS others,
       collect(true) AS companies
""",
    EntityKind.COMPANY: """
UNWIND $keys AS key
MATCH (c:Company {uscc: key})-[r:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF]-(o)
WITH key, r, o, startNode(r) = c AS outgoing, coalesce(o.uscc, o.idNumber) AS other
RETURN collect(CASE WHEN outgoing THEN key ELSE other END) AS starts,
       collect(CASE WHEN outgoing THEN other ELSE key END) AS ends,
       collect(type(r)) AS rels, collect(coalesce(r.stake, -1.0)) AS stakes,
       collect(other) AS others, collect(o.uscc IS NOT NULL) AS companies
""",
}
RECORDS_OF = """
UNWIND $keys AS key
MATCH (r:Record {subjectKey: key})
RETURN collect(r.recordId) AS ids, collect(key) AS subjects, collect(r.code) AS codes,
       collect(r.category) AS categories, collect(r.severity) AS severities,
       collect(r.polarity) AS polarities,
       collect(coalesce(toString(r.decidedOn), '1900-01-01')) AS decided,
       collect(coalesce(r.status, 'active')) AS statuses
"""


async def subgraph_around(
    graph: Graph, key: str, kind: EntityKind, radius: int
) -> tuple[GraphData, dict[str, int]]:
    """Entities within ``radius`` links of ``key`` (with their distance), the links among them
    and all their records, as ``GraphData``; the walk is ``graph.traversal.within``."""
    links: dict[tuple[str, str, str], float | None] = {}

    async def linked(frontier: dict[str, EntityKind]) -> list[tuple[str, EntityKind]]:
        found: list[tuple[str, EntityKind]] = []
        for group in EntityKind:
            keys = [k for k, v in frontier.items() if v is group]
            rows = await graph.read(_LINKS_OF[group], {"keys": keys}) if keys else []
            if not rows:
                continue
            c = rows[0]
            for start, end, rel, stake, other, company in zip(
                c["starts"],
                c["ends"],
                c["rels"],
                c["stakes"],
                c["others"],
                c["companies"],
                strict=True,
            ):
                links[start, end, rel] = None if stake < 0 else stake
                found.append((other, EntityKind.COMPANY if company else EntityKind.PERSON))
        return found

    distance, kinds = await traversal.within(linked, key, kind, radius, MAX_SUBGRAPH)
    # Links whose far end lies outside the ball carry no risk that matters here.
    arrays = GraphArrays(list(distance), [kinds[k] is EntityKind.COMPANY for k in distance])
    for (start, end, rel), stake in links.items():
        arrays.link(start, end, rel, stake)
    rows = await graph.read(RECORDS_OF, {"keys": arrays.keys})
    if rows:
        c = rows[0]
        kinds_of = zip(c["codes"], c["categories"], c["severities"], c["polarities"], strict=True)
        for rid, subject, sort, day, status in zip(
            c["ids"], c["subjects"], kinds_of, c["decided"], c["statuses"], strict=True
        ):
            arrays.record(rid, subject, sort, day, status)
    return arrays.build(), distance
