"""Reading companies, people and their relationships, always for a batch of keys at once.

Patterns start at the node found through an index (``(:Company {uscc: key})<-[...]-(other)``):
ArcadeDB's planner follows the pattern as written, and starting from ``other`` scans its label.

Every function takes a list of keys and runs one ``UNWIND $keys`` statement, returning results in
key order: they back the GraphQL DataLoaders, so a page of 50 companies with their legal
representatives costs one query for all 50, not one each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, LiteralString

from graph.driver import Graph
from graph.models import Company, Entity, EntityKind, Link, Person, RelType
from graph.repositories import convert

# How many relationships of one kind an entity lists; hubs have more (linkage pages them).
LIST_LIMIT = 500

COMPANIES_BY_USCC = (
    "UNWIND $keys AS key\nMATCH (c:Company {uscc: key})\nRETURN key, "
    + convert.company_fields("c")
    + " AS props"
)
COMPANIES_BY_REGISTRATION = (
    "UNWIND $keys AS key\nMATCH (c:Company {registrationNumber: key})\nRETURN key, "
    + convert.company_fields("c")
    + " AS props"
)
PERSONS_BY_ID_NUMBER = (
    "UNWIND $keys AS key\nMATCH (p:Person {idNumber: key})\nRETURN key, "
    + convert.person_fields("p")
    + " AS props"
)
PERSONS_BY_UID = (
    "UNWIND $keys AS key\nMATCH (p:Person {uid: key})\nRETURN key, "
    + convert.person_fields("p")
    + " AS props"
)
ENTITIES_BY_KEY = (
    "UNWIND $keys AS key\nOPTIONAL MATCH (p:Person {idNumber: key})\n"
    "OPTIONAL MATCH (c:Company {uscc: key})\nRETURN key, "
    + convert.person_fields("p")
    + " AS person, "
    + convert.company_fields("c")
    + " AS company"
)


@dataclass(frozen=True)
class Edge:
    """How to list one kind of relationship seen from one side: ``match`` binds ``other`` and
    ``r`` from ``key``, ``order`` sorts them."""

    match: LiteralString
    order: LiteralString
    rel: RelType

    @cached_property
    def query(self) -> LiteralString:
        """The statement listing it for a batch of keys."""
        return "UNWIND $keys AS key\n" + self.subquery("links") + "RETURN key, links"

    def matching(self, key: LiteralString) -> LiteralString:
        """``match`` from the variable ``key`` (a nested subquery may not shadow ``key``)."""
        return self.match.replace(": key}", ": " + key + "}")

    def subquery(
        self,
        name: LiteralString,
        key: LiteralString = "key",
        projection: convert.Projection = convert.EVERYTHING,
    ) -> LiteralString:
        """A ``CALL`` subquery listing it for the ``key`` of the outer statement, as ``name``
        (of the entity at the other end, the properties ``projection`` names)."""
        return (
            "CALL ("
            + key
            + ") {\n"
            + self.matching(key)
            + "\nWITH other, r, "
            + link_columns(projection)
            + " ORDER BY "
            + self.order
            + "\nRETURN "
            + _LINKS
            + " AS "
            + name
            + "\n}\n"
        )


# A list of relationships, each with the labels and properties of the entity at its other end:
# the projections are taken as columns first (``LINK_COLUMNS``), then put in the list's maps
# (``LINK_ITEM``). ArcadeDB answers a map literal holding a map projection with the projection
# alone, so the projections never sit inside the map they go in.
def link_columns(projection: convert.Projection = convert.EVERYTHING) -> LiteralString:
    """The columns ``props`` and ``rel`` of a relationship ``r`` to ``other``."""
    return (
        convert.entity_fields("other", projection)
        + " AS props, "
        + convert.link_fields("r")
        + " AS rel"
    )


LINK_COLUMNS: LiteralString = link_columns()
LINK_ITEM: LiteralString = "labels: labels(other), props: props, rel: rel"
_LINKS: LiteralString = "collect({" + LINK_ITEM + "})[0..$limit]"


# Seen from a company: who represents, holds, serves, branches off it; whom it belongs to.
LEGAL_REPRESENTATIVES = Edge(
    "MATCH (:Company {uscc: key})<-[r:LEGAL_REPRESENTATIVE_OF]-(other:Person)",
    "r.until IS NULL DESC, r.since DESC",
    RelType.LEGAL_REPRESENTATIVE_OF,
)
SHAREHOLDERS = Edge(
    "MATCH (:Company {uscc: key})<-[r:SHAREHOLDER_OF]-(other)",
    "r.stake DESC, other.name",
    RelType.SHAREHOLDER_OF,
)
OFFICERS = Edge(
    "MATCH (:Company {uscc: key})<-[r:OFFICER_OF]-(other:Person)",
    "r.role, other.name",
    RelType.OFFICER_OF,
)
BRANCHES = Edge(
    "MATCH (:Company {uscc: key})<-[r:BRANCH_OF]-(other:Company)",
    "other.name",
    RelType.BRANCH_OF,
)
PARENTS = Edge(
    "MATCH (:Company {uscc: key})-[r:BRANCH_OF]->(other:Company)",
    "other.name",
    RelType.BRANCH_OF,
)
COMPANY_HOLDINGS = Edge(
    "MATCH (:Company {uscc: key})-[r:SHAREHOLDER_OF]->(other:Company)",
    "r.stake DESC",
    RelType.SHAREHOLDER_OF,
)
# Seen from a person.
PERSON_HOLDINGS = Edge(
    "MATCH (:Person {idNumber: key})-[r:SHAREHOLDER_OF]->(other:Company)",
    "r.stake DESC",
    RelType.SHAREHOLDER_OF,
)
REPRESENTED = Edge(
    "MATCH (:Person {idNumber: key})-[r:LEGAL_REPRESENTATIVE_OF]->(other:Company)",
    "other.name",
    RelType.LEGAL_REPRESENTATIVE_OF,
)
OFFICES = Edge(
    "MATCH (:Person {idNumber: key})-[r:OFFICER_OF]->(other:Company)",
    "other.name",
    RelType.OFFICER_OF,
)


async def _by_key(graph: Graph, query: LiteralString, keys: Sequence[str]) -> dict[str, Any]:
    if not keys:
        return {}
    rows = await graph.read(query, {"keys": list(dict.fromkeys(keys))})
    return {row["key"]: row["props"] for row in rows}


async def companies_by_uscc(graph: Graph, keys: Sequence[str]) -> list[Company | None]:
    """The companies with these codes, in key order (None where there is none)."""
    found = await _by_key(graph, COMPANIES_BY_USCC, keys)
    return [convert.company(found[k]) if k in found else None for k in keys]


async def companies_by_registration(graph: Graph, keys: Sequence[str]) -> list[Company | None]:
    """The companies with these registration numbers, in key order."""
    found = await _by_key(graph, COMPANIES_BY_REGISTRATION, keys)
    return [convert.company(found[k]) if k in found else None for k in keys]


async def persons_by_id_number(graph: Graph, keys: Sequence[str]) -> list[Person | None]:
    """The people with these identity numbers, in key order."""
    found = await _by_key(graph, PERSONS_BY_ID_NUMBER, keys)
    return [convert.person(found[k]) if k in found else None for k in keys]


async def persons_by_uid(graph: Graph, keys: Sequence[str]) -> list[Person | None]:
    """The people with these opaque ids, in key order."""
    found = await _by_key(graph, PERSONS_BY_UID, keys)
    return [convert.person(found[k]) if k in found else None for k in keys]


async def entities_by_key(graph: Graph, keys: Sequence[str]) -> list[Entity | None]:
    """The person or company holding each key (identity number or USCC), in key order."""
    if not keys:
        return []
    rows = await graph.read(ENTITIES_BY_KEY, {"keys": list(dict.fromkeys(keys))})
    found: dict[str, Entity] = {}
    for row in rows:
        if row["person"]:
            found[row["key"]] = Entity(EntityKind.PERSON, person=convert.person(row["person"]))
        elif row["company"]:
            found[row["key"]] = Entity(EntityKind.COMPANY, company=convert.company(row["company"]))
    return [found.get(k) for k in keys]


async def links(graph: Graph, edge: Edge, keys: Sequence[str]) -> list[list[Link]]:
    """The relationships of ``edge`` for each key, in key order (at most ``LIST_LIMIT`` each)."""
    if not keys:
        return []
    rows = await graph.read(edge.query, {"keys": list(dict.fromkeys(keys)), "limit": LIST_LIMIT})
    found = {row["key"]: links_of(edge, row["links"]) for row in rows}
    return [found.get(k, []) for k in keys]


def links_of(edge: Edge, items: list[dict[str, Any]]) -> list[Link]:
    """The links a statement listed as ``_LINKS`` does."""
    return [
        Link(
            rel=edge.rel,
            other=convert.entity(item["labels"], item["props"]),
            stake=item["rel"].get("stake"),
            role=item["rel"].get("role"),
            since=convert.to_date(item["rel"].get("since")),
            until=convert.to_date(item["rel"].get("until")),
            source=item["rel"].get("source"),
        )
        for item in items
    ]


async def count_companies(graph: Graph) -> int:
    """How many companies the registry holds (``make run`` loads demo data when none)."""
    rows = await graph.read("MATCH (c:Company) RETURN count(c) AS n")
    return int(rows[0]["n"]) if rows else 0
