"""The network around entities, for investigators: neighbours hop by hop, shared parties and
addresses, shareholders upstream.

Every function reads a whole frontier in one statement per label (``UNWIND $keys``), anchored on
the indexed node: ArcadeDB plans patterns as written. Relationship types come from the pattern's
fixed list and are narrowed with ``type(r) IN $types``, a parameter: nothing in these statements is
built from input. The walking itself (breadth-first expansions, paths, equity penetration) lives in
``graph.traversal``; the readers here are what it calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, LiteralString

from graph import traversal
from graph.driver import Graph
from graph.models import EntityKind, RelType
from graph.repositories import convert
from graph.traversal import Holding, Link, Neighbours

MAX_LINKS_READ = traversal.MAX_LINKS_READ

_NEIGHBOURS: dict[EntityKind, LiteralString] = {
    EntityKind.PERSON: """
UNWIND $keys AS key
MATCH (:Person {idNumber: key})-[r:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF]->(o:Company)
WHERE type(r) IN $types
WITH key, collect({other: o.uscc, company: true, out: true, type: type(r),
                   props: properties(r)}) AS links
RETURN key, size(links) AS degree, links[0..$cap] AS links
""",
    EntityKind.COMPANY: """
UNWIND $keys AS key
MATCH (c:Company {uscc: key})-[r:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF]-(o)
WHERE type(r) IN $types
WITH key, collect({other: coalesce(o.uscc, o.idNumber), company: 'Company' IN labels(o),
                   out: startNode(r) = c, type: type(r), props: properties(r)}) AS links
RETURN key, size(links) AS degree, links[0..$cap] AS links
""",
}

_HOLDERS = """
UNWIND $keys AS key
MATCH (:Company {uscc: key})<-[r:SHAREHOLDER_OF]-(o)
RETURN key, coalesce(o.uscc, o.idNumber) AS holder, 'Company' IN labels(o) AS company,
       r.stake AS stake
"""

_CONTACTS = """
UNWIND $keys AS key
MATCH (c:Company {uscc: key})
RETURN key, c.address AS address, c.phone AS phone
"""


def _kind(company: bool) -> EntityKind:
    return EntityKind.COMPANY if company else EntityKind.PERSON


async def neighbours(
    graph: Graph,
    frontier: dict[str, EntityKind],
    rel_types: Iterable[RelType] = tuple(RelType),
    cap: int = MAX_LINKS_READ,
) -> dict[str, Neighbours]:
    """The links of every entity in ``frontier`` (key -> kind), in one statement per kind."""
    types = [t.value for t in rel_types]
    out: dict[str, Neighbours] = {}
    for kind, query in _NEIGHBOURS.items():
        keys = [k for k, v in frontier.items() if v is kind]
        if not keys:
            continue
        rows = await graph.read(query, {"keys": keys, "types": types, "cap": cap})
        for row in rows:
            key = row["key"]
            out[key] = Neighbours(
                degree=int(row["degree"]),
                links=tuple(
                    Link(
                        key=key,
                        other=item["other"],
                        other_kind=_kind(item["company"]),
                        rel=RelType(item["type"]),
                        out=bool(item["out"]),
                        props=dict(item["props"] or {}),
                    )
                    for item in row["links"]
                    if item["other"] is not None
                ),
            )
    for key in frontier:
        out.setdefault(key, Neighbours(0, ()))
    return out


async def holders(graph: Graph, companies: Sequence[str]) -> dict[str, list[Holding]]:
    """The shareholders of each company with their stakes (a missing stake stays ``None``)."""
    found: dict[str, list[Holding]] = {key: [] for key in companies}
    if not companies:
        return found
    for row in await graph.read(_HOLDERS, {"keys": list(companies)}):
        stake = row["stake"]
        found[row["key"]].append(
            Holding(
                holder=row["holder"],
                holder_kind=_kind(row["company"]),
                stake=float(stake) if stake is not None else None,
            )
        )
    return found


async def contacts(graph: Graph, companies: Sequence[str]) -> dict[str, tuple[str | None, ...]]:
    """Each company's registered address and phone."""
    if not companies:
        return {}
    rows = await graph.read(_CONTACTS, {"keys": list(companies)})
    return {row["key"]: (row["address"], row["phone"]) for row in rows}


def decode_link_props(props: dict[str, Any]) -> dict[str, Any]:
    """A relationship's properties as the models have them (dates as ``date``)."""
    return {
        "stake": props.get("stake"),
        "role": props.get("role"),
        "since": convert.to_date(props.get("since")),
        "until": convert.to_date(props.get("until")),
        "source": props.get("source"),
    }


def neighbour_reader(graph: Graph, rel_types: Sequence[RelType]) -> traversal.NeighbourReader:
    """What ``graph.traversal``'s walks call to read a frontier's links of ``rel_types``."""

    async def read(frontier: dict[str, EntityKind], cap: int) -> dict[str, Neighbours]:
        return await neighbours(graph, frontier, rel_types, cap)

    return read


def holder_reader(graph: Graph) -> traversal.HolderReader:
    """What ``graph.traversal.holdings_above`` calls to read companies' shareholders."""

    async def read(companies: list[str]) -> dict[str, list[Holding]]:
        return await holders(graph, companies)

    return read


_SHARED: dict[tuple[EntityKind, EntityKind], LiteralString] = {}
for _a, _anchor in (
    (EntityKind.PERSON, "MATCH (a:Person {idNumber: $a})"),
    (EntityKind.COMPANY, "MATCH (a:Company {uscc: $a})"),
):
    for _b, _end in (
        (EntityKind.PERSON, "b.idNumber = $b"),
        (EntityKind.COMPANY, "b.uscc = $b"),
    ):
        _SHARED[_a, _b] = (
            _anchor
            + "-[r1:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF]-(x)"
            + "-[r2:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF]-(b)\nWHERE "
            + _end
            + """ AND x <> a AND x <> b
RETURN coalesce(x.uscc, x.idNumber) AS party, 'Company' IN labels(x) AS company,
       type(r1) AS rel1, startNode(r1) = a AS out1, properties(r1) AS props1,
       type(r2) AS rel2, startNode(r2) = b AS out2, properties(r2) AS props2
LIMIT $limit
"""
        )


async def shared_parties(
    graph: Graph, a: str, a_kind: EntityKind, b: str, b_kind: EntityKind, limit: int
) -> list[tuple[Link, Link]]:
    """The entities linked directly to both ``a`` and ``b``: the link from each side."""
    rows = await graph.read(_SHARED[a_kind, b_kind], {"a": a, "b": b, "limit": limit})
    out = []
    for row in rows:
        kind = _kind(row["company"])
        party = row["party"]
        out.append(
            (
                Link(a, party, kind, RelType(row["rel1"]), bool(row["out1"]), row["props1"]),
                Link(b, party, kind, RelType(row["rel2"]), bool(row["out2"]), row["props2"]),
            )
        )
    return out
