"""Ranked search over the registry: codes, registration numbers, names and legal representatives.

Tiers, best first: an exact code, registration or identity number; a USCC prefix; a company
whose name holds the whole query; a company whose legal representative's name holds it; then
full-text matches on single characters and fuzzy latin words, which is how a typo still finds
its company. Within a tier the full-text (BM25) score orders. A result's ``score`` is
``tier weight + BM25 / (1 + BM25)``, so it is comparable across one answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from graph.dialect import FulltextIndex
from graph.driver import Graph
from graph.identifiers import is_id_number
from graph.models import Entity, EntityKind
from graph.repositories import convert

COMPANY_NAME_INDEX = FulltextIndex("company_name", "Company", "name")
PERSON_NAME_INDEX = FulltextIndex("person_name", "Person", "name")
MAX_RESULTS = 200
MAX_QUERY = 100

SEARCH_NAMES = """
CALL db.index.fulltext.queryNodes($index, $q) YIELD node, score
RETURN labels(node) AS labels, properties(node) AS props, score
LIMIT $limit
"""
SEARCH_BY_REPRESENTATIVE = """
CALL db.index.fulltext.queryNodes($index, $q) YIELD node, score
WITH node, score LIMIT $limit
MATCH (node)-[:LEGAL_REPRESENTATIVE_OF]->(c:Company)
RETURN properties(c) AS props, node.name AS via, score
LIMIT $limit
"""
USCC_PREFIX = """
MATCH (c:Company) WHERE c.uscc STARTS WITH $prefix
RETURN properties(c) AS props
ORDER BY c.uscc
LIMIT $limit
"""
EXACT_KEYS = """
OPTIONAL MATCH (c:Company {registrationNumber: $q})
OPTIONAL MATCH (p:Person {idNumber: $q})
RETURN properties(c) AS company, properties(p) AS person
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
    entity: Entity
    score: float
    matched_on: MatchedOn
    via: str | None = None  # the representative's name, for LEGAL_REPRESENTATIVE matches


_TERMS = re.compile(r"[A-Za-z0-9]+|[\u3400-\u9fff\uf900-\ufaff]")
_CODE_PREFIX = re.compile(r"^[0-9]{2}[0-9A-HJ-NPQRTUWXY]{0,16}$")


def lucene_query(text: str) -> str | None:
    """A Lucene query from free text: CJK characters one by one, latin words fuzzy.

    Only letters, digits and CJK characters reach the query, so nothing in the input can act
    as Lucene syntax.
    """
    terms = []
    for term in _TERMS.findall(text):
        if term.isascii() and len(term) >= 4 and not term.isdigit():
            terms.append(f"{term.lower()}~1")
        else:
            terms.append(term.lower() if term.isascii() else term)
    return " ".join(terms) if terms else None


async def search(graph: Graph, text: str, kind: SearchKind, limit: int) -> list[SearchHit]:
    """The best ``limit`` (at most ``MAX_RESULTS``) entities for ``text``, best first."""
    query = text.strip()
    limit = max(1, min(limit, MAX_RESULTS))
    hits: dict[str, SearchHit] = {}

    def offer(hit: SearchHit) -> None:
        key = hit.entity.key
        if key not in hits or hits[key].score < hit.score:
            hits[key] = hit

    companies = kind in (SearchKind.ANY, SearchKind.COMPANY)
    persons = kind in (SearchKind.ANY, SearchKind.PERSON)
    compact = query.upper().replace(" ", "")
    if _CODE_PREFIX.match(compact) and companies:
        rows = await graph.read(USCC_PREFIX, {"prefix": compact, "limit": limit})
        for row in rows:
            exact = row["props"]["uscc"] == compact
            offer(SearchHit(_company(row["props"]), 6.0 if exact else 5.0, MatchedOn.CODE))
    if compact.isalnum() and len(compact) >= 6:
        row = (await graph.read(EXACT_KEYS, {"q": compact}))[0]
        if row["company"] and companies:
            offer(SearchHit(_company(row["company"]), 6.0, MatchedOn.REGISTRATION_NUMBER))
        if row["person"] and persons and is_id_number(compact):
            person = Entity(EntityKind.PERSON, person=convert.person(row["person"]))
            offer(SearchHit(person, 6.0, MatchedOn.ID_NUMBER))
    lucene = lucene_query(query)
    if lucene is None:
        return _ranked(hits, limit)
    needle = query.lower()
    if companies:
        rows = await graph.read(
            SEARCH_NAMES,
            {"index": graph.fulltext_index(COMPANY_NAME_INDEX), "q": lucene, "limit": limit},
        )
        for row in rows:
            whole = needle in (row["props"].get("name") or "").lower()
            offer(
                SearchHit(
                    _company(row["props"]), _score(4 if whole else 2, row["score"]), MatchedOn.NAME
                )
            )
    if companies or persons:
        person_index = graph.fulltext_index(PERSON_NAME_INDEX)
        if companies:
            rows = await graph.read(
                SEARCH_BY_REPRESENTATIVE, {"index": person_index, "q": lucene, "limit": limit}
            )
            for row in rows:
                whole = needle in (row["via"] or "").lower()
                offer(
                    SearchHit(
                        _company(row["props"]),
                        _score(3 if whole else 1, row["score"]),
                        MatchedOn.LEGAL_REPRESENTATIVE,
                        via=row["via"],
                    )
                )
        if persons:
            rows = await graph.read(
                SEARCH_NAMES, {"index": person_index, "q": lucene, "limit": limit}
            )
            for row in rows:
                whole = needle in (row["props"].get("name") or "").lower()
                person = Entity(EntityKind.PERSON, person=convert.person(row["props"]))
                offer(SearchHit(person, _score(4 if whole else 2, row["score"]), MatchedOn.NAME))
    return _ranked(hits, limit)


def _company(props: convert.Props) -> Entity:
    return Entity(EntityKind.COMPANY, company=convert.company(props))


def _score(tier: int, bm25: float) -> float:
    return tier + bm25 / (1.0 + bm25)


def _ranked(hits: dict[str, SearchHit], limit: int) -> list[SearchHit]:
    def name(hit: SearchHit) -> str:
        entity = hit.entity
        return (
            entity.company.name if entity.company else entity.person.name if entity.person else ""
        )

    return sorted(hits.values(), key=lambda h: (-h.score, name(h), h.entity.key))[:limit]
