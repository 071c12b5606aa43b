"""Registered parties by exact name, for matching a published list's masked identifiers.

A published list (the courts' dishonest judgment debtors, an authority's double-publicity
penalties) names a party and masks its number. These statements return every registered party
of a name with its key; ``ingest.national`` keeps a candidate only when what the mask leaves
of the number agrees with it, and attaches a row only when exactly one does.

The names are found through the full-text indexes search uses (a second, exact index on the
same property clashes with ArcadeDB's full-text one), by a phrase of the name's words, and
kept only when equal to the name asked for: the index narrows, equality decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

from graph.dialect import FulltextIndex
from graph.driver import Graph
from graph.repositories.search import COMPANY_NAME_INDEX, PERSON_NAME_INDEX, phrase_query

PEOPLE_NAMED = """
UNWIND $asked AS asked
CALL db.index.fulltext.queryNodes($index, asked.q) YIELD node
WITH asked, node WHERE node.name = asked.name
RETURN asked.name AS name, collect(node.idNumber) AS keys
"""
COMPANIES_NAMED = """
UNWIND $asked AS asked
CALL db.index.fulltext.queryNodes($index, asked.q) YIELD node
WITH asked, node WHERE node.name = asked.name
RETURN asked.name AS name, collect(node.uscc) AS keys
"""
BATCH = 500  # names a statement asks about


async def people_named(graph: Graph, names: Sequence[str]) -> dict[str, list[str]]:
    """For each name, the keys of the registered people of exactly that name."""
    return await _named(graph, PEOPLE_NAMED, PERSON_NAME_INDEX, names)


async def companies_named(graph: Graph, names: Sequence[str]) -> dict[str, list[str]]:
    """For each name, the keys of the registered companies of exactly that name."""
    return await _named(graph, COMPANIES_NAMED, COMPANY_NAME_INDEX, names)


async def _named(
    graph: Graph, query: LiteralString, index: FulltextIndex, names: Sequence[str]
) -> dict[str, list[str]]:
    asked = []
    for name in sorted(set(names)):
        text = phrase_query(name)
        if text is not None:  # a name of punctuation alone matches no one
            asked.append({"name": name, "q": text})
    found: dict[str, list[str]] = {}
    params = {"index": graph.fulltext_index(index)}
    for start in range(0, len(asked), BATCH):
        rows = await graph.read(query, {**params, "asked": asked[start : start + BATCH]})
        for row in rows:
            found[str(row["name"])] = sorted(str(k) for k in row["keys"])
    return found
