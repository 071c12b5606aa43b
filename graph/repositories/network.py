"""The network around entities, for investigators: neighbours hop by hop, shared parties and
addresses, shareholders upstream.

Every function reads a whole frontier in one statement per label (``UNWIND $keys``), anchored on
the indexed node: ArcadeDB plans patterns as written. Relationship types come from the pattern's
fixed list and are narrowed with ``type(r) IN $types``, a parameter: nothing in these statements is
built from input. The walking itself (paths, subgraphs, equity penetration) is pure and lives in
``graph.traversal``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from graph.driver import Graph
from graph.models import EntityKind, RelType
from graph.repositories import convert

# How many links of one entity a single expansion reads; more make it a hub.
MAX_LINKS_READ = 1000

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


@dataclass(frozen=True)
class Link:
    """One relationship seen from ``key``: ``out`` when ``key`` is its start node."""

    key: str
    other: str
    other_kind: EntityKind
    rel: RelType
    out: bool
    props: dict[str, Any]

    @property
    def start(self) -> str:
        return self.key if self.out else self.other

    @property
    def end(self) -> str:
        return self.other if self.out else self.key

    @property
    def identity(self) -> tuple[str, str, str]:
        """The same for the link seen from either end."""
        return (self.start, self.end, self.rel.value)


@dataclass(frozen=True)
class Neighbours:
    """An entity's links of the asked types, at most ``MAX_LINKS_READ``; ``degree`` counts all."""

    degree: int
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Holding:
    holder: str
    holder_kind: EntityKind
    stake: float | None


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


def link_props(props: dict[str, Any]) -> dict[str, Any]:
    """A relationship's properties as the models have them (dates as ``date``)."""
    return {
        "stake": props.get("stake"),
        "role": props.get("role"),
        "since": convert.to_date(props.get("since")),
        "until": convert.to_date(props.get("until")),
        "source": props.get("source"),
    }


def _reverse(link: Link, kind: EntityKind) -> Link:
    """``link`` seen from its other end (``kind`` is the kind of ``link.key``)."""
    return Link(
        key=link.other,
        other=link.key,
        other_kind=kind,
        rel=link.rel,
        out=not link.out,
        props=link.props,
    )


@dataclass
class Subgraph:
    """Entities around a root (key -> kind and hops from the root) and the links among them."""

    kinds: dict[str, EntityKind]
    distance: dict[str, int]
    links: dict[tuple[str, str, str], Link]
    hubs: list[str]
    truncated: bool


async def linkage(
    graph: Graph,
    root: str,
    kind: EntityKind,
    hops: int,
    rel_types: Sequence[RelType],
    limit: int,
    hub_links: int,
) -> Subgraph:
    """The entities within ``hops`` links of ``root``, at most ``limit``, nearest first.

    An entity with more than ``hub_links`` links is a hub: it is kept, and listed, but its links
    are not followed (the root's are, up to ``limit``), so one super-node cannot flood the
    answer. ``truncated`` says that ``limit`` left some entity out.
    """
    sub = Subgraph({root: kind}, {root: 0}, {}, [], False)
    frontier = {root: kind}
    for step in range(1, hops + 1):
        if not frontier:
            break
        read = await neighbours(graph, frontier, rel_types, cap=max(hub_links, limit) + 1)
        following: dict[str, EntityKind] = {}
        for key in frontier:
            found = read[key]
            if found.degree > hub_links:
                sub.hubs.append(key)
                if key != root:
                    continue
            for link in sorted(found.links, key=lambda x: (x.rel.value, x.other)):
                if link.other not in sub.kinds:
                    if len(sub.kinds) >= limit:
                        sub.truncated = True
                        continue
                    sub.kinds[link.other] = link.other_kind
                    sub.distance[link.other] = step
                    following[link.other] = link.other_kind
                sub.links.setdefault(link.identity, link)
            if key == root and found.degree > len(found.links):
                sub.truncated = True
        frontier = following
    return sub


@dataclass
class Ball:
    """Entities within ``radius`` of a centre, with every link of those nearer than ``radius``
    listed from both ends; ``cut`` when a hub's links or the size limit left something out."""

    distance: dict[str, int]
    kinds: dict[str, EntityKind]
    adjacency: dict[str, list[Link]]
    cut: bool


async def ball(
    graph: Graph,
    centre: str,
    kind: EntityKind,
    radius: int,
    rel_types: Sequence[RelType],
    max_entities: int,
) -> Ball:
    """Breadth-first from ``centre``: what a meet-in-the-middle path search needs of one side."""
    found = Ball({centre: 0}, {centre: kind}, {}, False)
    seen: set[tuple[str, str, str]] = set()
    frontier = {centre: kind}
    for step in range(1, radius + 1):
        if not frontier:
            break
        read = await neighbours(graph, frontier, rel_types)
        following: dict[str, EntityKind] = {}
        for key, near in read.items():
            if near.degree > len(near.links):
                found.cut = True
            for link in near.links:
                if link.identity in seen:
                    continue
                seen.add(link.identity)
                found.adjacency.setdefault(key, []).append(link)
                found.adjacency.setdefault(link.other, []).append(_reverse(link, frontier[key]))
                if link.other not in found.distance:
                    if len(found.distance) >= max_entities:
                        found.cut = True
                        continue
                    found.distance[link.other] = step
                    found.kinds[link.other] = link.other_kind
                    following[link.other] = link.other_kind
        frontier = following
    return found


async def ownership(
    graph: Graph, company: str, max_levels: int, max_companies: int
) -> dict[str, list[tuple[str, float]]]:
    """The shareholdings above ``company`` up to ``max_levels``: company -> (holder, stake)."""
    holdings: dict[str, list[tuple[str, float]]] = {}
    frontier = [company]
    for _ in range(max_levels):
        if not frontier or len(holdings) >= max_companies:
            break
        read = await holders(graph, frontier)
        following: list[str] = []
        for key, found in read.items():
            holdings[key] = [(h.holder, h.stake or 0.0) for h in found]
            for h in found:
                if h.holder_kind is EntityKind.COMPANY and h.holder not in holdings:
                    following.append(h.holder)
        frontier = list(dict.fromkeys(following))
    return holdings


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
