"""Ranked search over the registry: codes, registration numbers, names and legal representatives.

Tiers, best first: an exact code, registration or identity number; a USCC prefix; a company
whose name holds the whole query (starts with it, for one character); a company whose legal
representative's name holds it; then
full-text matches on pairs of Chinese characters and fuzzy latin words, which is how a typo still
finds its company (``lucene_query``: the same matches on both backends). Within a tier the
full-text (BM25) score orders. A result's ``score`` is ``tier weight + BM25 / (1 + BM25)``, so it
is comparable across one answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, LiteralString

from graph.dialect import FulltextIndex, fulltext_bigrams
from graph.driver import Graph
from graph.identifiers import IdentifierError, is_id_number
from graph.models import Entity, EntityKind
from graph.parties import parse_party_key
from graph.repositories import entities as entities_repo

COMPANY_NAME_INDEX = FulltextIndex("company_name", "Company", "name")
PERSON_NAME_INDEX = FulltextIndex("person_name", "Person", "name")
MAX_RESULTS = 200
MAX_QUERY = 100

# Ranking needs a key, a name and a score per hit, not the whole node: each statement returns
# them as columns (one row), and the caller loads whole entities for the page it shows only.
SEARCH_NAMES = """
CALL db.index.fulltext.queryNodes($index, $q) YIELD node, score
WITH node, score LIMIT $limit
RETURN collect(coalesce(node.uscc, node.idNumber)) AS keys, collect(node.name) AS names,
       collect(score) AS scores
"""
SEARCH_BY_REPRESENTATIVE = """
CALL db.index.fulltext.queryNodes($index, $q) YIELD node, score
WITH node, score LIMIT $limit
MATCH (node)-[:LEGAL_REPRESENTATIVE_OF]->(c:Company)
WITH c, node, score LIMIT $limit
RETURN collect(c.uscc) AS keys, collect(c.name) AS names, collect(node.name) AS vias,
       collect(score) AS scores
"""
USCC_PREFIX = """
MATCH (c:Company) WHERE c.uscc STARTS WITH $prefix
WITH c ORDER BY c.uscc LIMIT $limit
RETURN collect(c.uscc) AS keys, collect(c.name) AS names
"""
# A party's key with a colon (HK:1234567, passport:US:E12345678) names one entity exactly.
EXACT_PARTY = """
OPTIONAL MATCH (c:Company {uscc: $q})
OPTIONAL MATCH (p:Person {idNumber: $q})
RETURN c.uscc AS company, c.name AS companyName, p.idNumber AS person, p.name AS personName
"""
EXACT_KEYS = """
OPTIONAL MATCH (c:Company {registrationNumber: $q})
OPTIONAL MATCH (p:Person {idNumber: $q})
RETURN c.uscc AS company, c.name AS companyName, p.idNumber AS person, p.name AS personName
"""


class SearchKind(StrEnum):
    ANY = "any"
    COMPANY = "company"
    PERSON = "person"


class MatchedOn(StrEnum):
    """What made an entity a match."""

    CODE = "code"
    REGISTRATION_NUMBER = "registration_number"
    ID_NUMBER = "id_number"
    NAME = "name"
    LEGAL_REPRESENTATIVE = "legal_representative"


@dataclass(frozen=True)
class SearchHit:
    """A ranked match: which entity (by key), why, and how well. ``entities`` loads a page's."""

    kind: EntityKind
    key: str
    name: str
    score: float
    matched_on: MatchedOn
    via: str | None = None  # the representative's name, for LEGAL_REPRESENTATIVE matches


_TERMS = re.compile(r"[A-Za-z0-9]+|[\u3400-\u9fff\uf900-\ufaff]+")
_CODE_PREFIX = re.compile(r"^[0-9]{2}[0-9A-HJ-NPQRTUWXY]{0,16}$")


def _party_key(query: str) -> str | None:
    """The key a query names when it is a party's key with a colon, else None."""
    if ":" not in query:
        return None
    try:
        return parse_party_key(query).key
    except IdentifierError:
        return None


def lucene_query(text: str, bigram_index: bool = False) -> str | None:
    """A Lucene query from free text with the same meaning on both backends: a run of Chinese
    matches as a sequence, as the phrases of its character pairs OR'ed (a phrase over ArcadeDB's
    single-character tokens, a bigram token under Neo4j's ``cjk`` analyzer, ``bigram_index``), so a
    shared surname alone is no match and one wrong character still finds the rest; a lone
    character matches inside a name (a wildcard over the bigrams where the index holds them);
    latin words are fuzzy.

    Only letters, digits and CJK characters reach the query, so nothing in the input can act
    as Lucene syntax.
    """
    terms = []
    for term in _TERMS.findall(text):
        if term.isascii():
            fuzzy = len(term) >= 4 and not term.isdigit()
            terms.append(f"{term.lower()}~1" if fuzzy else term.lower())
        elif len(term) == 1:
            terms.append(f"*{term}*" if bigram_index else term)
        else:
            terms += [f'"{pair}"' for pair in _pairs(term)]
    return " ".join(terms) if terms else None


def chinese_pairs(text: str) -> list[str]:
    """The pairs of neighbouring Chinese characters in ``text``'s runs of them (none for a run of
    one): what a name must hold to match it as a sequence."""
    return [pair for run in _TERMS.findall(text) if not run.isascii() for pair in _pairs(run)]


def _pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def phrase_query(text: str) -> str | None:
    """A Lucene phrase of ``text``'s words in order, for an exact name: selective on both
    backends (one hit per holder of the name, where ``lucene_query``'s pairs OR'ed would match
    every company with 有限 or 公司 in its name). Only letters, digits and CJK characters
    reach it, as in ``lucene_query``."""
    terms = _TERMS.findall(text)
    return f'"{" ".join(terms)}"' if terms else None


def ranks_by_relevance(text: str) -> bool:
    """Whether the full-text score of ``text``'s query means the same on both backends: not when
    it holds a lone Chinese character, a wildcard over Neo4j's bigrams that Lucene scores as a
    constant (names order such hits instead)."""
    return not any(len(t) == 1 and not t.isascii() for t in _TERMS.findall(text))


async def search(
    graph: Graph, text: str, kind: SearchKind, limit: int, *, by_id_number: bool = True
) -> list[SearchHit]:
    """The best ``limit`` (at most ``MAX_RESULTS``) entities for ``text``, best first; people
    are matched on their identity number only when ``by_id_number``."""
    query = text.strip()
    limit = max(1, min(limit, MAX_RESULTS))
    hits: dict[str, SearchHit] = {}

    def offer(hit: SearchHit) -> None:
        if hit.key not in hits or hits[hit.key].score < hit.score:
            hits[hit.key] = hit

    company, person = EntityKind.COMPANY, EntityKind.PERSON
    companies = kind in (SearchKind.ANY, SearchKind.COMPANY)
    persons = kind in (SearchKind.ANY, SearchKind.PERSON)
    compact = query.upper().replace(" ", "")
    if _CODE_PREFIX.match(compact) and companies:
        found = await _columns(graph, USCC_PREFIX, {"prefix": compact, "limit": limit})
        for key, name in zip(found.get("keys", []), found.get("names", []), strict=True):
            score = 6.0 if key == compact else 5.0
            offer(SearchHit(company, key, name or "", score, MatchedOn.CODE))
    party = _party_key(query)
    if party is not None:
        row = await _columns(graph, EXACT_PARTY, {"q": party})
        if row.get("company") and companies:
            name = row["companyName"] or ""
            offer(SearchHit(company, row["company"], name, 6.0, MatchedOn.CODE))
        if row.get("person") and persons and by_id_number:
            name = row["personName"] or ""
            offer(SearchHit(person, row["person"], name, 6.0, MatchedOn.ID_NUMBER))
    if compact.isalnum() and len(compact) >= 6:
        row = await _columns(graph, EXACT_KEYS, {"q": compact})
        if row.get("company") and companies:
            name = row["companyName"] or ""
            offer(SearchHit(company, row["company"], name, 6.0, MatchedOn.REGISTRATION_NUMBER))
        if row.get("person") and persons and by_id_number and is_id_number(compact):
            name = row["personName"] or ""
            offer(SearchHit(person, row["person"], name, 6.0, MatchedOn.ID_NUMBER))
    lucene = lucene_query(query, bigram_index=fulltext_bigrams(graph.dialect))
    if lucene is None:
        return _ranked(hits, limit)
    needle = query.lower()
    # What the index matched must hold the query's pairs of Chinese characters but those one
    # wrong character breaks (at most two), and at least one: ArcadeDB takes a phrase for its
    # characters in any order (刘艳 would find 刘娟艳), and a pair alone is often a common word
    # (不存在的公司 would find every 公司).
    pairs = set(chinese_pairs(query))
    needed = max(1, len(pairs) - 2)

    def sequence(text: str | None) -> bool:
        return not pairs or sum(p in (text or "") for p in pairs) >= needed

    # One character is a prefix: 沈 ranks the names that start with it (a surname) first.
    holds = (lambda n: n.startswith(needle)) if len(needle) == 1 else (lambda n: needle in n)
    weigh = 1.0 if ranks_by_relevance(query) else 0.0
    person_index = graph.fulltext_index(PERSON_NAME_INDEX)
    params = {"q": lucene, "limit": limit}
    if companies:
        index = graph.fulltext_index(COMPANY_NAME_INDEX)
        found = await _columns(graph, SEARCH_NAMES, {**params, "index": index})
        for key, name, bm25 in _zip(found, "keys", "names", "scores"):
            if not sequence(name):
                continue
            tier = 4 if holds((name or "").lower()) else 2
            offer(SearchHit(company, key, name or "", _score(tier, weigh * bm25), MatchedOn.NAME))
        found = await _columns(graph, SEARCH_BY_REPRESENTATIVE, {**params, "index": person_index})
        for key, name, via, bm25 in _zip(found, "keys", "names", "vias", "scores"):
            if not sequence(via):
                continue
            tier = 3 if holds((via or "").lower()) else 1
            matched = MatchedOn.LEGAL_REPRESENTATIVE
            offer(SearchHit(company, key, name or "", _score(tier, weigh * bm25), matched, via=via))
    if persons:
        found = await _columns(graph, SEARCH_NAMES, {**params, "index": person_index})
        for key, name, bm25 in _zip(found, "keys", "names", "scores"):
            if not sequence(name):
                continue
            tier = 4 if holds((name or "").lower()) else 2
            offer(SearchHit(person, key, name or "", _score(tier, weigh * bm25), MatchedOn.NAME))
    return _ranked(hits, limit)


async def entities(graph: Graph, hits: list[SearchHit]) -> list[tuple[SearchHit, Entity]]:
    """The whole entities of ``hits`` (a page of them), in order; one gone since is left out."""
    companies = await entities_repo.companies_by_uscc(
        graph, [h.key for h in hits if h.kind is EntityKind.COMPANY]
    )
    persons = await entities_repo.persons_by_id_number(
        graph, [h.key for h in hits if h.kind is EntityKind.PERSON]
    )
    found: dict[str, Entity] = {}
    for c in companies:
        if c is not None:
            found[c.uscc] = Entity(EntityKind.COMPANY, company=c)
    for p in persons:
        if p is not None:
            found[p.id_number] = Entity(EntityKind.PERSON, person=p)
    return [(h, found[h.key]) for h in hits if h.key in found]


async def _columns(graph: Graph, query: LiteralString, params: dict[str, Any]) -> dict[str, Any]:
    rows = await graph.read(query, params)
    return rows[0] if rows else {}


def _zip(found: dict[str, Any], *columns: str) -> Iterator[tuple[Any, ...]]:
    return zip(*(found.get(c, []) for c in columns), strict=True)


def _score(tier: int, bm25: float) -> float:
    return tier + bm25 / (1.0 + bm25)


def _ranked(hits: dict[str, SearchHit], limit: int) -> list[SearchHit]:
    return sorted(hits.values(), key=lambda h: (-h.score, h.name, h.key))[:limit]
