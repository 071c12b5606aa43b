"""A company read with what a selection wants with it, in one statement: its relationships,
what to read with the entities at their other ends (down to ``MAX_DEPTH`` levels), and pages of
records at every level, as nested ``CALL`` subqueries (``api.prefetch`` is its one caller).

Each level reads under a key variable of its own (Neo4j refuses a subquery variable that
shadows one it imports); the statement is made once for each shape of what is wanted, and every
list and page has a column slot of its own, numbered across the levels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, LiteralString

from graph.driver import Graph
from graph.models import Company, Link
from graph.repositories import convert, records
from graph.repositories.convert import EVERYTHING, Projection
from graph.repositories.entities import LINK_ITEM, LIST_LIMIT, Edge, link_columns, links_of
from graph.repositories.records import RecordFilter, RecordPage


@dataclass(frozen=True)
class Wanted:
    """What one statement reads with an entity: relationships of some kinds, each with what to
    read with the entity at its other end, and pages of the entity's records."""

    edges: tuple[tuple[Edge, Wanted], ...] = ()
    pages: tuple[RecordFilter, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.edges or self.pages)

    @property
    def shape(self) -> Shape:
        """The statement's shape: one for every request that asks for the same kinds of
        things, whatever pages it asks for."""
        return Shape(tuple((e, w.shape) for e, w in self.edges), len(self.pages))

    @property
    def depth(self) -> int:
        """How many levels of relationships it follows."""
        return max((1 + w.depth for _, w in self.edges), default=0)


@dataclass(frozen=True)
class Shape:
    edges: tuple[tuple[Edge, Shape], ...]
    pages: int


@dataclass
class Reached:
    """What the statement brought for one entity it reached."""

    links: dict[Edge, list[Link]] = field(default_factory=dict)
    records: dict[RecordFilter, RecordPage] = field(default_factory=dict)


@dataclass(frozen=True)
class CompanyView:
    """A company, and what was asked with it, for it and for every entity reached from it, by
    entity key (a USCC or an identity number)."""

    company: Company
    reached: dict[str, Reached]


# Names of the columns one statement can carry (a literal each, as the driver wants): its lists
# of relationships and its pages of records, each numbered across all its levels.
_SLOTS: tuple[LiteralString, ...] = (
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
)  # fmt: skip
MAX_DEPTH = 3  # levels of relationships one statement follows from the company
# The variable holding the entity key at each level (Neo4j refuses a subquery's variable that
# shadows one it imports).
_KEYS: tuple[LiteralString, ...] = ("key", "key1", "key2", "key3")


def fits(wanted: Wanted) -> bool:
    """Whether one statement can read all of ``wanted`` (its columns and its depth)."""

    def count(w: Wanted) -> tuple[int, int]:
        edges, pages = len(w.edges), len(w.pages)
        for _, sub in w.edges:
            e, p = count(sub)
            edges, pages = edges + e, pages + p
        return edges, pages

    edges, pages = count(wanted)
    return edges <= len(_SLOTS) and pages <= len(_SLOTS) and wanted.depth <= MAX_DEPTH


@dataclass(frozen=True)
class _Layout:
    """A shape with its columns named: each list of relationships and each page of records
    has a slot of its own in the statement."""

    edges: tuple[tuple[Edge, LiteralString, _Layout], ...]
    pages: tuple[LiteralString, ...]


@cache
def _layout(shape: Shape) -> _Layout:
    taken = {"edges": 0, "pages": 0}

    def name(kind: str) -> LiteralString:
        slot = _SLOTS[taken[kind]]
        taken[kind] += 1
        return slot

    def walk(s: Shape) -> _Layout:
        edges = tuple((edge, "links" + name("edges"), walk(sub)) for edge, sub in s.edges)
        return _Layout(edges, tuple(name("pages") for _ in range(s.pages)))

    return walk(shape)


def _within(
    layout: _Layout, level: int, projection: Projection
) -> tuple[LiteralString, list[LiteralString]]:
    """The subqueries reading ``layout`` for the key in scope at ``level``, and the columns
    they bind."""
    query: LiteralString = ""
    columns: list[LiteralString] = []
    for edge, name, sub in layout.edges:
        query += _edge_subquery(edge, name, sub, level, projection)
        columns.append(name)
    for slot in layout.pages:
        query += records.subquery(slot, _KEYS[level], projection.records)
        columns += ["total" + slot, "page" + slot]
    return query, columns


def _edge_subquery(
    edge: Edge, name: LiteralString, sub: _Layout, level: int, projection: Projection
) -> LiteralString:
    """``edge``'s relationships of the key in scope at ``level`` as the list ``name``, each
    with what ``sub`` reads of the entity at its other end (under the next level's key)."""
    key = _KEYS[level]
    if not sub.edges and not sub.pages:
        return edge.subquery(name, key, projection)
    inner, columns = _within(sub, level + 1, projection)
    carried: LiteralString = "".join(", " + c for c in columns)
    entries: LiteralString = "".join(", " + c + ": " + c for c in columns)
    return (
        "CALL ("
        + key
        + ") {\n"
        + edge.matching(key)
        + "\nWITH other, r, coalesce(other.uscc, other.idNumber) AS "
        + _KEYS[level + 1]
        + "\n"
        + inner
        + "WITH other, r, "
        + link_columns(projection)
        + carried
        + " ORDER BY "
        + edge.order
        + "\nRETURN collect({"
        + LINK_ITEM
        + entries
        + "})[0..$limit] AS "
        + name
        + "\n}\n"
    )


@cache
def _companies_with(shape: Shape, projection: Projection) -> LiteralString:
    """The statement of ``companies_with``, made once for each shape and projection."""
    inner, columns = _within(_layout(shape), 0, projection)
    return (
        "UNWIND $keys AS key\nMATCH (c:Company {uscc: key})\n"
        + inner
        + "RETURN key, "
        + convert.company_fields("c", projection.companies)
        + " AS props"
        + "".join(", " + c for c in columns)
    )


def _page_params(wanted: Wanted, layout: _Layout, params: dict[str, Any]) -> None:
    for (_, sub), (_, _, inner) in zip(wanted.edges, layout.edges, strict=True):
        _page_params(sub, inner, params)
    for page, slot in zip(wanted.pages, layout.pages, strict=True):
        params.update(records.subquery_params(slot, page))


def _reach(
    item: Mapping[str, Any],
    key: str,
    wanted: Wanted,
    layout: _Layout,
    reached: dict[str, Reached],
) -> None:
    """What ``item`` (a row, or one relationship's map in a list) holds for the entity
    ``key`` and, through its lists, for the entities they reach."""
    at = reached.setdefault(key, Reached())
    for (edge, sub), (_, name, inner) in zip(wanted.edges, layout.edges, strict=True):
        items = item[name]
        links = links_of(edge, items)
        at.links[edge] = links
        if sub:
            for entry, link in zip(items, links, strict=True):
                _reach(entry, link.other.key, sub, inner, reached)
    for page, slot in zip(wanted.pages, layout.pages, strict=True):
        at.records[page] = records.page_of(item, slot)


async def companies_with(
    graph: Graph, keys: Sequence[str], wanted: Wanted, projection: Projection = EVERYTHING
) -> list[CompanyView | None]:
    """The companies with these codes, each with what ``wanted`` asks for it (relationships,
    what to read with the entities at their other ends, pages of records) in one statement
    (None where there is no such company). Of every company, person and record it reads, the
    properties ``projection`` names (the converters leave the rest at their defaults)."""
    if not fits(wanted):
        raise ValueError(
            f"at most {len(_SLOTS)} relationship lists and pages of records, "
            f"{MAX_DEPTH} levels deep, in one statement"
        )
    if not keys:
        return []
    layout = _layout(wanted.shape)
    params: dict[str, Any] = {"keys": list(dict.fromkeys(keys)), "limit": LIST_LIMIT}
    _page_params(wanted, layout, params)
    statement = _companies_with(wanted.shape, projection)  # made once, from constants only
    rows = await graph.read(statement, params)
    found: dict[str, CompanyView] = {}
    for row in rows:
        reached: dict[str, Reached] = {}
        _reach(row, row["key"], wanted, layout, reached)
        found[row["key"]] = CompanyView(convert.company(row["props"]), reached)
    return [found.get(k) for k in keys]
