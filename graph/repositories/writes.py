"""Batched, idempotent writes of the registry: entities and links (records: ``record_writes``).

Each statement takes a batch of rows through ``UNWIND``. A row carries a hash of its properties;
the write compares it with the hash stored on the node or relationship and touches nothing when
they agree, so importing the same data again changes nothing and reports every row unchanged.
Links and records are only ever attached to entities that exist: rows whose ends are unknown come
back as unmatched, for the caller to reject, and nothing is created for them.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, LiteralString

import orjson

from graph.driver import Graph
from graph.identifiers import is_id_number, looks_like_uscc
from graph.models import (
    REL_FROM_KINDS,
    CompanyInput,
    EntityKind,
    LinkInput,
    PersonInput,
    RelType,
)
from graph.parties import is_company_key, is_person_key
from graph.repositories.state import Tracked, link_key
from graph.rows import RowError


@dataclass
class BatchOutcome:
    """What one batch did: counts, and the positions of rows that could not be attached."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: list[int] = field(default_factory=list)
    conflicts: dict[int, RowError] = field(default_factory=dict)
    fresh: list[int] = field(default_factory=list)  # positions of the records created


def _default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def row_hash(props: Mapping[str, Any]) -> str:
    """A short digest of a row's properties, stable across runs and key order."""
    raw = orjson.dumps(props, option=orjson.OPT_SORT_KEYS, default=_default)
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def company_props(c: CompanyInput) -> dict[str, Any]:
    return {
        "usccValid": c.uscc_valid,
        "name": c.name,
        "registrationNumber": c.registration_number,
        "address": c.address,
        "phone": c.phone,
        "status": c.status.value,
        "foundedOn": c.founded_on,
        "registrationAuthority": c.registration_authority,
        "source": c.source,
    }


def person_props(p: PersonInput) -> dict[str, Any]:
    return {"name": p.name, "profession": p.profession, "source": p.source}


def encode_link_props(link: LinkInput) -> dict[str, Any]:
    return {
        "stake": link.stake,
        "since": link.since,
        "until": link.until,
        "source": link.source,
    }


UPSERT_COMPANIES = """
UNWIND $rows AS row
MERGE (c:Company {uscc: row.key})
ON CREATE SET c.createdAt = $now
WITH c, row, c.rowHash AS oldHash
WHERE oldHash IS NULL OR oldHash <> row.hash
SET c += row.props, c.rowHash = row.hash
RETURN sum(CASE WHEN oldHash IS NULL THEN 1 ELSE 0 END) AS created, collect(row.key) AS changed,
       collect(CASE WHEN oldHash IS NULL THEN {} ELSE c {.*} END) AS stored,
       collect(oldHash IS NULL) AS born
"""

UPSERT_PERSONS = """
UNWIND $rows AS row
MERGE (p:Person {idNumber: row.key})
ON CREATE SET p.createdAt = $now, p.uid = row.uid
WITH p, row, p.rowHash AS oldHash
WHERE oldHash IS NULL OR oldHash <> row.hash
SET p += row.props, p.rowHash = row.hash
RETURN sum(CASE WHEN oldHash IS NULL THEN 1 ELSE 0 END) AS created, collect(row.key) AS changed,
       collect(CASE WHEN oldHash IS NULL THEN {} ELSE p {.*} END) AS stored,
       collect(oldHash IS NULL) AS born
"""

# One statement per (relationship type, label of the start): both come from this table, never
# from input. The end of every link is a company.
_LINK_HEAD: dict[EntityKind, LiteralString] = {
    EntityKind.PERSON: """
UNWIND $rows AS row
MATCH (a:Person {idNumber: row.from})
MATCH (b:Company {uscc: row.to})
""",
    EntityKind.COMPANY: """
UNWIND $rows AS row
MATCH (a:Company {uscc: row.from})
MATCH (b:Company {uscc: row.to})
""",
}
_LINK_MERGE: dict[RelType, LiteralString] = {
    RelType.LEGAL_REPRESENTATIVE_OF: "MERGE (a)-[r:LEGAL_REPRESENTATIVE_OF]->(b)",
    RelType.SHAREHOLDER_OF: "MERGE (a)-[r:SHAREHOLDER_OF]->(b)",
    RelType.OFFICER_OF: "MERGE (a)-[r:OFFICER_OF {role: row.role}]->(b)",
    RelType.BRANCH_OF: "MERGE (a)-[r:BRANCH_OF]->(b)",
}
_LINK_TAIL = """
WITH r, row, r.rowHash AS oldHash
SET r += CASE WHEN oldHash IS NULL OR oldHash <> row.hash THEN row.props ELSE {} END,
    r.rowHash = row.hash
RETURN collect(row.i) AS seen,
       sum(CASE WHEN oldHash IS NULL THEN 1 ELSE 0 END) AS created,
       sum(CASE WHEN oldHash = row.hash THEN 1 ELSE 0 END) AS unchanged,
       collect(CASE WHEN oldHash IS NULL OR oldHash <> row.hash THEN row.i END) AS changed,
       collect(CASE WHEN oldHash IS NULL THEN {} WHEN oldHash <> row.hash THEN properties(r) END)
         AS stored,
       collect(CASE WHEN oldHash IS NULL OR oldHash <> row.hash THEN oldHash IS NULL END) AS born
"""
UPSERT_LINKS: dict[tuple[RelType, EntityKind], LiteralString] = {
    (rel, kind): _LINK_HEAD[kind] + _LINK_MERGE[rel] + _LINK_TAIL
    for rel, kinds in REL_FROM_KINDS.items()
    for kind in kinds
}


# A record's subject never changes (``subjectKey`` keeps it on the node): a row naming another
# subject for a known record id is not applied. Status (disputes, expiry) is ours, never imported.
def now_utc() -> datetime:
    return datetime.now(UTC)


def as_stored(
    stored: Sequence[dict[str, Any]], born: Sequence[bool], made: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The properties of each object a write statement changed, as stored: those it returned
    for an object it updated, and for one it created (it returns an empty map for those) the
    ones ``made`` says it set. Sending back what the statement was just sent, and decoding it
    (its dates, its time of creation), cost an import more than the rest of a batch's results;
    what a statement sets on a new object is exactly its row (a null is not stored)."""
    return [
        new_props if new else props
        for props, new, new_props in zip(stored, born, made, strict=True)
    ]


def set_props(props: dict[str, Any]) -> dict[str, Any]:
    """What ``SET n += props`` stores: the properties that are not null."""
    return {k: v for k, v in props.items() if v is not None}


def other_kind(kind: EntityKind) -> EntityKind:
    return EntityKind.COMPANY if kind is EntityKind.PERSON else EntityKind.PERSON


def could_be(kind: EntityKind, key: str) -> bool:
    """Whether ``key`` could name an entity of ``kind`` (a digits-only USCC can pass as an
    identity number; a key with a colon says what it names)."""
    if ":" in key:
        return (is_person_key if kind is EntityKind.PERSON else is_company_key)(key)
    return looks_like_uscc(key) if kind is EntityKind.COMPANY else is_id_number(key)


async def upsert_companies(graph: Graph, companies: Sequence[CompanyInput]) -> BatchOutcome:
    """Create or update companies by USCC."""
    graph.require_audited(Tracked.COMPANY)
    rows = []
    for c in companies:
        props = company_props(c)
        rows.append({"key": c.uscc, "hash": row_hash(props), "props": props})

    def made(row: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {
            "uscc": row["key"],
            "createdAt": now,
            **set_props(row["props"]),
            "rowHash": row["hash"],
        }

    return await _upsert_entities(graph, UPSERT_COMPANIES, rows, Tracked.COMPANY, made)


async def upsert_persons(graph: Graph, persons: Sequence[PersonInput]) -> BatchOutcome:
    """Create or update people by identity number; a new person gets an opaque uid."""
    graph.require_audited(Tracked.PERSON)
    rows = []
    for p in persons:
        props = person_props(p)
        rows.append(
            {"key": p.id_number, "hash": row_hash(props), "props": props, "uid": str(uuid.uuid4())}
        )

    def made(row: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {
            "idNumber": row["key"],
            "createdAt": now,
            "uid": row["uid"],
            **set_props(row["props"]),
            "rowHash": row["hash"],
        }

    return await _upsert_entities(graph, UPSERT_PERSONS, rows, Tracked.PERSON, made)


async def _upsert_entities(
    graph: Graph,
    query: LiteralString,
    rows: list[dict[str, Any]],
    kind: Tracked,
    made: Callable[[dict[str, Any], datetime], dict[str, Any]],
) -> BatchOutcome:
    if not rows:
        return BatchOutcome()
    now = now_utc()
    result = await graph.write(query, {"rows": rows, "now": now})
    created = int(result[0]["created"] or 0) if result else 0
    keys = [str(k) for k in result[0]["changed"]] if result else []
    if result:
        by_key = {row["key"]: row for row in rows}
        new = (made(by_key[key], now) for key in keys)
        stored = as_stored(result[0]["stored"], result[0]["born"], new)
    else:
        stored = []
    graph.touch(kind, keys, ({"props": p} for p in stored))
    changed = len(keys)
    return BatchOutcome(created=created, updated=changed - created, unchanged=len(rows) - changed)


async def upsert_links(graph: Graph, links: Sequence[LinkInput]) -> BatchOutcome:
    """Create or update links; rows whose ends are not in the registry come back unmatched."""
    graph.require_audited(Tracked.LINK)
    outcome = BatchOutcome()
    groups: dict[tuple[RelType, EntityKind], list[dict[str, Any]]] = {}
    for i, link in enumerate(links):
        props = encode_link_props(link)
        row: dict[str, Any] = {
            "i": i,
            "from": link.from_key,
            "to": link.to_key,
            "role": link.role,
            "hash": row_hash({**props, "role": link.role}),
            "props": props,
        }
        groups.setdefault((link.rel, link.from_kind), []).append(row)
    now = now_utc()
    retry: dict[tuple[RelType, EntityKind], list[dict[str, Any]]] = {}
    for attempt in (groups, retry):
        for (rel, kind), rows in attempt.items():
            # One summary row back, not one per link: unpacking results costs real CPU.
            result = await graph.write(UPSERT_LINKS[rel, kind], {"rows": rows, "now": now})
            summary: dict[str, Any] = (
                result[0] if result else {"seen": [], "created": 0, "unchanged": 0}
            )
            seen = set(summary["seen"])
            by_i = {row["i"]: row for row in rows}
            changed = [by_i[int(i)] for i in summary.get("changed") or () if i is not None]
            made = (_link_made(rel, row) for row in changed)
            stored = as_stored(summary.get("stored") or [], summary.get("born") or [], made)
            graph.touch(
                Tracked.LINK,
                [link_key(rel, row["from"], row["to"], row["role"]) for row in changed],
                ({"props": p} for p in stored),
            )
            created, unchanged = int(summary["created"] or 0), int(summary["unchanged"] or 0)
            outcome.created += created
            outcome.unchanged += unchanged
            outcome.updated += len(seen) - created - unchanged
            for row in rows:
                if row["i"] in seen:
                    continue
                other = other_kind(kind)
                if (
                    attempt is groups
                    and (rel, other) in UPSERT_LINKS
                    and could_be(other, row["from"])
                ):
                    retry.setdefault((rel, other), []).append(row)
                else:
                    outcome.unmatched.append(int(row["i"]))
    return outcome


def _link_made(rel: RelType, row: dict[str, Any]) -> dict[str, Any]:
    """What the link statement sets on a link it creates: an officer's role (in its pattern),
    the row's properties and its hash."""
    role = {"role": row["role"]} if rel is RelType.OFFICER_OF else {}
    return {**role, **set_props(row["props"]), "rowHash": row["hash"]}


KNOWN_KEYS = """
UNWIND $keys AS key
OPTIONAL MATCH (p:Person {idNumber: key})
OPTIONAL MATCH (c:Company {uscc: key})
RETURN key, p IS NOT NULL AS person, c IS NOT NULL AS company
"""


async def known_keys(graph: Graph, keys: Sequence[str]) -> dict[str, tuple[bool, bool]]:
    """For each key: whether a person and whether a company holds it."""
    if not keys:
        return {}
    rows = await graph.read(KNOWN_KEYS, {"keys": sorted(set(keys))})
    return {row["key"]: (bool(row["person"]), bool(row["company"])) for row in rows}
