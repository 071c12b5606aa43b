"""The subgraph around an entity: what rescoring its neighbourhood needs, in a few statements.

Rescoring after a record changes touches every entity within ``h`` links of the record's subject,
and each of those is reached by risk from ``h`` links further: so the edges of the ball of radius
``2h`` and the records of its entities are enough, and ``scoring.batch`` computes on them exactly
what it computes on the whole graph.
"""

from __future__ import annotations

from typing import LiteralString

from graph.driver import Graph
from graph.models import EntityKind
from graph.repositories.bulk import GraphArrays
from scoring.batch import GraphData

MAX_BALL = 20_000  # entities; a hub's surroundings are cut here

_LINKS_OF: dict[EntityKind, LiteralString] = {
    EntityKind.PERSON: """
UNWIND $keys AS key
MATCH (a:Person {idNumber: key})-[r:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF]->(b:Company)
RETURN key AS start, b.uscc AS end, type(r) AS rel, r.stake AS stake,
       b.uscc AS other, true AS otherCompany
""",
    EntityKind.COMPANY: """
UNWIND $keys AS key
MATCH (c:Company {uscc: key})-[r:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF]-(o)
RETURN CASE WHEN startNode(r) = c THEN key ELSE coalesce(o.uscc, o.idNumber) END AS start,
       CASE WHEN startNode(r) = c THEN o.uscc ELSE key END AS end,
       type(r) AS rel, r.stake AS stake,
       coalesce(o.uscc, o.idNumber) AS other, 'Company' IN labels(o) AS otherCompany
""",
}
RECORDS_OF = """
UNWIND $keys AS key
MATCH (r:Record {subjectKey: key})
RETURN r.recordId AS id, key, r.code AS code, r.category AS category, r.severity AS severity,
       r.polarity AS polarity, r.decidedOn AS decidedOn, r.status AS status
"""


async def ball(
    graph: Graph, key: str, kind: EntityKind, radius: int
) -> tuple[GraphData, dict[str, int]]:
    """Entities within ``radius`` links of ``key`` (with their distance), the links among them
    and all their records, as ``GraphData``."""
    distance: dict[str, int] = {key: 0}
    kinds: dict[str, EntityKind] = {key: kind}
    links: dict[tuple[str, str, str], float | None] = {}
    frontier = [key]
    for step in range(1, radius + 1):
        found: list[str] = []
        for group in EntityKind:
            keys = [k for k in frontier if kinds[k] is group]
            if not keys:
                continue
            for row in await graph.read(_LINKS_OF[group], {"keys": keys}):
                links[row["start"], row["end"], row["rel"]] = row["stake"]
                other = row["other"]
                if other not in distance and len(distance) < MAX_BALL:
                    distance[other] = step
                    kinds[other] = EntityKind.COMPANY if row["otherCompany"] else EntityKind.PERSON
                    found.append(other)
        frontier = found
    # Links whose far end lies outside the ball carry no risk that matters here.
    arrays = GraphArrays(list(distance), [kinds[k] is EntityKind.COMPANY for k in distance])
    for (start, end, rel), stake in links.items():
        arrays.link(start, end, rel, stake)
    for r in await graph.read(RECORDS_OF, {"keys": arrays.keys}):
        sort = (r["code"], r["category"], r["severity"], r["polarity"])
        arrays.record(r["id"], r["key"], sort, r["decidedOn"], r["status"])
    return arrays.build(), distance
