"""The stored properties a planned document reads of companies, people and records, so that the
look-ahead's one statement (``api.prefetch``) returns those and no more, as the peer compiles a
selection into projections.

Each field of ``Company``, ``Person`` and ``Record`` either shows stored properties of its object
(``ATTRIBUTES``: ``authority`` shows ``authorityName``), or of another (``ELSEWHERE``: a company's
``legalRepresentativeName`` is its representative's ``name``), or reads nothing of it but its key
(its relationships, records and scores, what is decoded from the code: ``KEYED``). A document's
projection is, for each of the three types, every property any field of the document shows of
it, anywhere: one loader entry serves every path of the document that reaches the object. The
properties the converters, the access rules and the masking need are always read besides
(``graph.repositories.convert``). A field these tables do not name reads every property of its
type, and ``tests/test_api_compiled.py`` fails for a field of the schema that they miss.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.repositories.convert import Projection

ATTRIBUTES: dict[str, dict[str, frozenset[str]]] = {
    "Company": {
        "uscc": frozenset({"uscc"}),
        "usccValid": frozenset({"usccValid"}),
        "name": frozenset({"name"}),
        "registrationNumber": frozenset({"registrationNumber"}),
        "address": frozenset({"address"}),
        "phone": frozenset({"phone"}),
        "status": frozenset({"status"}),
        "foundedOn": frozenset({"foundedOn"}),
        "registrationAuthority": frozenset({"registrationAuthority"}),
    },
    "Person": {
        "name": frozenset({"name"}),
        "profession": frozenset({"profession"}),
        "idNumber": frozenset({"idNumber"}),
    },
    "Record": {
        "recordId": frozenset({"recordId"}),
        "category": frozenset({"category"}),
        "code": frozenset({"code"}),
        "polarity": frozenset({"polarity"}),
        "severity": frozenset({"severity"}),
        "authority": frozenset({"authorityName"}),
        "caseNumber": frozenset({"caseNumber"}),
        "decidedOn": frozenset({"decidedOn"}),
        "description": frozenset({"description"}),
        "penalty": frozenset({"penalty"}),
        "status": frozenset({"status"}),
        "subject": frozenset({"subjectKey"}),
        "codeTitle": frozenset({"code"}),
        "standing": frozenset({"recordId", "subjectKey"}),
        "expiresOn": frozenset({"recordId", "code", "category", "polarity", "severity"})
        | frozenset({"decidedOn", "status", "subjectKey"}),
    },
}
_ENTITY_KEYED = frozenset({"__typename", "id", "scoreHistory", "score", "records"})
KEYED: dict[str, frozenset[str]] = {
    "Company": _ENTITY_KEYED
    | {"key", "registryNumber", "jurisdiction", "organisationType", "region"}
    | {"legalRepresentative"}
    | {"shareholders", "holdings", "officers", "branches", "parent"},
    "Person": _ENTITY_KEYED
    | {"idType", "nationality", "representedCompanies", "holdings", "offices"},
    "Record": frozenset({"__typename", "id"}),
}


# Fields that show stored properties of another object: a company's representative's name is
# the person's.
ELSEWHERE: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    "Company": {"legalRepresentativeName": ("Person", frozenset({"name"}))},
    "Person": {},
    "Record": {},
}


def projection(fields: Iterable[tuple[str, str]]) -> Projection:
    """The projection of a document that selects these (type, field) pairs."""
    shown: dict[str, set[str] | None] = {kind: set() for kind in ATTRIBUTES}
    for kind, name in fields:
        if kind not in shown:
            continue  # a type the projection does not cover
        found = shown[kind]
        if name in ELSEWHERE[kind]:
            kind, attribute = ELSEWHERE[kind][name]
            if (found := shown[kind]) is not None:
                found |= attribute
            continue
        if found is None or name in KEYED[kind]:
            continue  # every property already, or none
        shows = ATTRIBUTES[kind].get(name)
        if shows is None:
            shown[kind] = None  # a field the tables do not know: every property
        else:
            found |= shows

    def frozen(kind: str) -> frozenset[str] | None:
        found = shown[kind]
        return None if found is None else frozenset(found)

    return Projection(frozen("Company"), frozen("Person"), frozen("Record"))
