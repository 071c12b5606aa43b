"""Batched, idempotent writes of the registry: entities, links and records.

Each statement takes a batch of rows through ``UNWIND``. A row carries a hash of its properties;
the write compares it with the hash stored on the node or relationship and touches nothing when
they agree, so importing the same data again changes nothing and reports every row unchanged.
Links and records are only ever attached to entities that exist: rows whose ends are unknown come
back as unmatched, for the caller to reject, and nothing is created for them.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, LiteralString

import orjson

from graph.driver import Graph
from graph.models import CompanyInput, LinkInput, PersonInput, RecordInput, RelType


@dataclass
class BatchOutcome:
    """What one batch did: counts, and the positions of rows that could not be attached."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: list[int] = field(default_factory=list)
    conflicts: dict[int, str] = field(default_factory=dict)


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
        "jurisdiction": c.jurisdiction,
        "source": c.source,
    }


def person_props(p: PersonInput) -> dict[str, Any]:
    return {"name": p.name, "profession": p.profession, "source": p.source}


def link_props(link: LinkInput) -> dict[str, Any]:
    return {
        "stake": link.stake,
        "since": link.since,
        "until": link.until,
        "source": link.source,
    }


def record_props(r: RecordInput) -> dict[str, Any]:
    return {
        "category": r.category.value,
        "code": r.code,
        "polarity": r.polarity.value,
        "severity": r.severity.value,
        "decidedOn": r.decided_on,
        "caseNumber": r.case_number,
        "description": r.description,
        "penalty": r.penalty,
        "source": r.source,
        "authorityName": r.authority,
    }


# MERGE first, then read the stored hash: cheaper than a separate OPTIONAL MATCH, and on create
# the hash is still null, which tells created from updated.
UPSERT_COMPANIES = """
UNWIND $rows AS row
MERGE (c:Company {uscc: row.key})
ON CREATE SET c.createdAt = $now
WITH c, row, c.rowHash AS oldHash
WHERE oldHash IS NULL OR oldHash <> row.hash
SET c += row.props, c.rowHash = row.hash, c.updatedAt = $now
RETURN sum(CASE WHEN oldHash IS NULL THEN 1 ELSE 0 END) AS created, count(*) AS changed
"""

UPSERT_PERSONS = """
UNWIND $rows AS row
MERGE (p:Person {idNumber: row.key})
ON CREATE SET p.createdAt = $now, p.uid = row.uid
WITH p, row, p.rowHash AS oldHash
WHERE oldHash IS NULL OR oldHash <> row.hash
SET p += row.props, p.rowHash = row.hash, p.updatedAt = $now
RETURN sum(CASE WHEN oldHash IS NULL THEN 1 ELSE 0 END) AS created, count(*) AS changed
"""

# One statement per relationship type: types never come from input, only from this table.
_LINK_TAIL = """
WITH a, b, row
MERGE (a)-[r:{rel}]->(b)
ON CREATE SET r.createdAt = $now
WITH r, row, r.rowHash AS oldHash
SET r += CASE WHEN oldHash IS NULL OR oldHash <> row.hash THEN row.props ELSE {{}} END,
    r.rowHash = row.hash
RETURN row.i AS i, oldHash IS NULL AS created, oldHash = row.hash AS unchanged
"""
_PERSON_TO_COMPANY = """
UNWIND $rows AS row
MATCH (a:Person {idNumber: row.from})
MATCH (b:Company {uscc: row.to})
"""
_COMPANY_TO_COMPANY = """
UNWIND $rows AS row
MATCH (a:Company {uscc: row.from})
MATCH (b:Company {uscc: row.to})
"""
_ANY_TO_COMPANY = """
UNWIND $rows AS row
OPTIONAL MATCH (p:Person {idNumber: row.from})
OPTIONAL MATCH (pc:Company {uscc: row.from})
WITH row, coalesce(p, pc) AS a
WHERE a IS NOT NULL
MATCH (b:Company {uscc: row.to})
"""
_OFFICER_TAIL = """
WITH a, b, row
MERGE (a)-[r:OFFICER_OF {role: row.role}]->(b)
ON CREATE SET r.createdAt = $now
WITH r, row, r.rowHash AS oldHash
SET r += CASE WHEN oldHash IS NULL OR oldHash <> row.hash THEN row.props ELSE {} END,
    r.rowHash = row.hash
RETURN row.i AS i, oldHash IS NULL AS created, oldHash = row.hash AS unchanged
"""
UPSERT_LINKS: dict[RelType, LiteralString] = {
    RelType.LEGAL_REPRESENTATIVE_OF: _PERSON_TO_COMPANY
    + _LINK_TAIL.format(rel="LEGAL_REPRESENTATIVE_OF"),
    RelType.OFFICER_OF: _PERSON_TO_COMPANY + _OFFICER_TAIL,
    RelType.SHAREHOLDER_OF: _ANY_TO_COMPANY + _LINK_TAIL.format(rel="SHAREHOLDER_OF"),
    RelType.BRANCH_OF: _COMPANY_TO_COMPANY + _LINK_TAIL.format(rel="BRANCH_OF"),
}

# A record's subject never changes: a row naming another subject for a known record id is a
# conflict, reported rather than applied. Status (disputes, expiry) is ours and never imported.
UPSERT_RECORDS = """
UNWIND $rows AS row
OPTIONAL MATCH (p:Person {idNumber: row.subject})
OPTIONAL MATCH (c:Company {uscc: row.subject})
WITH row, coalesce(p, c) AS s
WHERE s IS NOT NULL
OPTIONAL MATCH (old:Record {recordId: row.key})-[:CONCERNS]->(oldSubject)
WITH row, s, old, oldSubject
WHERE old IS NULL OR oldSubject = s
MERGE (r:Record {recordId: row.key})
ON CREATE SET r.createdAt = $now, r.status = 'active'
WITH r, s, row, r.rowHash AS oldHash
MERGE (r)-[:CONCERNS]->(s)
WITH r, row, oldHash
WHERE oldHash IS NULL OR oldHash <> row.hash
MERGE (a:Authority {name: row.props.authorityName})
WITH r, row, oldHash, a
OPTIONAL MATCH (r)-[stale:ISSUED_BY]->(other:Authority)
WHERE other.name <> row.props.authorityName
DELETE stale
WITH DISTINCT r, row, oldHash, a
MERGE (r)-[:ISSUED_BY]->(a)
SET r += row.props, r.rowHash = row.hash, r.updatedAt = $now
RETURN row.i AS i, oldHash IS NULL AS created
"""

RECORD_SUBJECT_CONFLICTS = """
UNWIND $rows AS row
MATCH (r:Record {recordId: row.key})-[:CONCERNS]->(s)
WHERE coalesce(s.uscc, s.idNumber) <> row.subject
RETURN row.i AS i, coalesce(s.uscc, s.idNumber) AS current
"""


def _now() -> datetime:
    return datetime.now(UTC)


async def upsert_companies(graph: Graph, companies: Sequence[CompanyInput]) -> BatchOutcome:
    """Create or update companies by USCC."""
    rows = []
    for c in companies:
        props = company_props(c)
        rows.append({"key": c.uscc, "hash": row_hash(props), "props": props})
    return await _upsert_entities(graph, UPSERT_COMPANIES, rows)


async def upsert_persons(graph: Graph, persons: Sequence[PersonInput]) -> BatchOutcome:
    """Create or update people by identity number; a new person gets an opaque uid."""
    rows = []
    for p in persons:
        props = person_props(p)
        rows.append(
            {"key": p.id_number, "hash": row_hash(props), "props": props, "uid": str(uuid.uuid4())}
        )
    return await _upsert_entities(graph, UPSERT_PERSONS, rows)


async def _upsert_entities(
    graph: Graph, query: LiteralString, rows: list[dict[str, Any]]
) -> BatchOutcome:
    if not rows:
        return BatchOutcome()
    result = await graph.write(query, {"rows": rows, "now": _now()})
    created = int(result[0]["created"] or 0) if result else 0
    changed = int(result[0]["changed"] or 0) if result else 0
    return BatchOutcome(created=created, updated=changed - created, unchanged=len(rows) - changed)


async def upsert_links(graph: Graph, links: Sequence[LinkInput]) -> BatchOutcome:
    """Create or update links; rows whose ends are not in the registry come back unmatched."""
    outcome = BatchOutcome()
    by_rel: dict[RelType, list[dict[str, Any]]] = {}
    for i, link in enumerate(links):
        props = link_props(link)
        by_rel.setdefault(link.rel, []).append(
            {
                "i": i,
                "from": link.from_key,
                "to": link.to_key,
                "role": link.role,
                "hash": row_hash({**props, "role": link.role}),
                "props": props,
            }
        )
    seen: set[int] = set()
    now = _now()
    for rel, rows in by_rel.items():
        for row in await graph.write(UPSERT_LINKS[rel], {"rows": rows, "now": now}):
            seen.add(int(row["i"]))
            if row["created"]:
                outcome.created += 1
            elif row["unchanged"]:
                outcome.unchanged += 1
            else:
                outcome.updated += 1
    outcome.unmatched = [i for i in range(len(links)) if i not in seen]
    return outcome


async def upsert_records(graph: Graph, records: Sequence[RecordInput]) -> BatchOutcome:
    """Create or update records; unknown subjects and subject changes are not applied."""
    rows = []
    for i, record in enumerate(records):
        props = record_props(record)
        rows.append(
            {
                "i": i,
                "key": record.record_id,
                "subject": record.subject,
                "hash": row_hash({**props, "subject": record.subject}),
                "props": props,
            }
        )
    if not rows:
        return BatchOutcome()
    outcome = BatchOutcome()
    written = await graph.write(UPSERT_RECORDS, {"rows": rows, "now": _now()})
    changed = {int(row["i"]): bool(row["created"]) for row in written}
    outcome.created = sum(1 for created in changed.values() if created)
    outcome.updated = len(changed) - outcome.created
    conflicts = await graph.read(RECORD_SUBJECT_CONFLICTS, {"rows": rows})
    outcome.conflicts = {
        int(row["i"]): f"record_id: already recorded for another subject ({row['current']})"
        for row in conflicts
    }
    missing = await _unknown_subjects(graph, [r.subject for r in records])
    for i, row in enumerate(rows):
        if i in changed or i in outcome.conflicts:
            continue
        if row["subject"] in missing:
            outcome.unmatched.append(i)
        else:
            outcome.unchanged += 1
    return outcome


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


async def _unknown_subjects(graph: Graph, keys: Sequence[str]) -> set[str]:
    known = await known_keys(graph, keys)
    return {key for key, (person, company) in known.items() if not (person or company)}
