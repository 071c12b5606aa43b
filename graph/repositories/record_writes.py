"""Batched, idempotent writes of records, attached only to an entity that exists.

As ``graph.repositories.writes`` does for entities and links: a row's hash against the one
stored, unchanged rows untouched; a record keeps the subject it was first recorded for (another
subject is a conflict), and a subject under the other label is tried there before the row comes
back unmatched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, LiteralString

from graph.driver import Graph
from graph.models import EntityKind, RecordInput
from graph.repositories.state import Tracked
from graph.repositories.writes import (
    BatchOutcome,
    as_stored,
    could_be,
    now_utc,
    other_kind,
    row_hash,
    set_props,
)
from graph.rows import RowError


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
# the hash is still null, which tells created from updated. Nodes note when they were created;
# there is no per-row "updated" stamp: the hash tells whether a row changed, and every write is
# for the audit log to record, not for a property on the node.
_RECORD_HEAD: dict[EntityKind, LiteralString] = {
    EntityKind.PERSON: "UNWIND $rows AS row MATCH (s:Person {idNumber: row.subject})",
    EntityKind.COMPANY: "UNWIND $rows AS row MATCH (s:Company {uscc: row.subject})",
}
_RECORD_TAIL = """
MERGE (r:Record {recordId: row.key})
ON CREATE SET r.subjectKey = row.subject, r.status = 'active', r.createdAt = $now
WITH r, s, row, r.rowHash AS oldHash, r.authorityName AS oldAuthority
WHERE r.subjectKey = row.subject AND (oldHash IS NULL OR oldHash <> row.hash)
SET r += row.props, r.rowHash = row.hash
MERGE (r)-[:CONCERNS]->(s)
MERGE (a:Authority {name: row.props.authorityName})
MERGE (r)-[:ISSUED_BY]->(a)
WITH row, oldHash, oldAuthority IS NOT NULL AND oldAuthority <> row.props.authorityName AS moved,
     CASE WHEN oldHash IS NULL THEN {} ELSE r {.*} END AS stored
RETURN collect(row.i) AS written, collect(stored) AS stored, collect(oldHash IS NULL) AS born,
       sum(CASE WHEN oldHash IS NULL THEN 1 ELSE 0 END) AS created,
       collect(CASE WHEN moved THEN row.i END) AS moved,
       collect(CASE WHEN oldHash IS NULL THEN row.i END) AS fresh
"""
UPSERT_RECORDS: dict[EntityKind, LiteralString] = {
    kind: _RECORD_HEAD[kind] + _RECORD_TAIL for kind in EntityKind
}
# When an authority corrects the issuer of a record, the old ISSUED_BY goes.
DROP_STALE_ISSUERS = """
UNWIND $rows AS row
MATCH (r:Record {recordId: row.key})-[stale:ISSUED_BY]->(a:Authority)
WHERE a.name <> row.props.authorityName
DELETE stale
"""
NOTHING_WRITTEN: dict[str, Any] = {
    "written": [],
    "created": 0,
    "moved": [],
    "fresh": [],
    "stored": [],
    "born": [],
}
STORED_RECORD_SUBJECTS = """
UNWIND $rows AS row
MATCH (r:Record {recordId: row.key})
RETURN row.i AS i, r.subjectKey AS subject, r.rowHash AS hash
"""


def _made(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What the record statement sets on a record it creates."""
    return {
        "recordId": row["key"],
        "subjectKey": row["subject"],
        "status": "active",
        "createdAt": now,
        **set_props(row["props"]),
        "rowHash": row["hash"],
    }


async def upsert_records(graph: Graph, records: Sequence[RecordInput]) -> BatchOutcome:
    """Create or update records; unknown subjects and subject changes are not applied."""
    graph.require_audited(Tracked.RECORD)
    if not records:
        return BatchOutcome()
    groups: dict[EntityKind, list[dict[str, Any]]] = {}
    for i, record in enumerate(records):
        props = record_props(record)
        groups.setdefault(record.subject_kind, []).append(
            {
                "i": i,
                "key": record.record_id,
                "subject": record.subject,
                "hash": row_hash({**props, "subject": record.subject}),
                "props": props,
            }
        )
    outcome = BatchOutcome()
    written: set[int] = set()
    created = 0
    pending: list[dict[str, Any]] = []
    now = now_utc()
    async with graph.transaction() as tx:
        for kind, rows in groups.items():
            result = await tx.run(UPSERT_RECORDS[kind], {"rows": rows, "now": now})
            summary: dict[str, Any] = result[0] if result else dict(NOTHING_WRITTEN)
            outcome.fresh += [int(i) for i in summary["fresh"] if i is not None]
            done = set(summary["written"])
            by_i = {row["i"]: row for row in rows}
            changed = [by_i[int(i)] for i in summary["written"]]
            # As the statement left each record: its properties, the subject it concerns and
            # its issuer (the stale issuer goes below, in this transaction).
            graph.touch(
                Tracked.RECORD,
                [row["key"] for row in changed],
                (
                    {
                        "props": props,
                        "concerns": [row["subject"]],
                        "issuers": [row["props"]["authorityName"]],
                    }
                    for row, props in zip(
                        changed,
                        as_stored(
                            summary["stored"], summary["born"], (_made(r, now) for r in changed)
                        ),
                        strict=True,
                    )
                ),
            )
            written.update(done)
            created += int(summary["created"] or 0)
            moved = {int(i) for i in summary["moved"] if i is not None}
            if moved:
                await tx.run(DROP_STALE_ISSUERS, {"rows": [r for r in rows if r["i"] in moved]})
            pending += [row for row in rows if row["i"] not in done]
    outcome.created = created
    outcome.updated = len(written) - created
    if not pending:
        return outcome
    # Rows not written: unchanged, a subject conflict, or a subject under the other label / none.
    stored = {int(r["i"]): r for r in await graph.read(STORED_RECORD_SUBJECTS, {"rows": pending})}
    retry: list[RecordInput] = []
    retry_index: list[int] = []
    for row in pending:
        i = int(row["i"])
        found = stored.get(i)
        if found is not None and found["subject"] == row["subject"]:
            outcome.unchanged += 1
        elif found is not None:
            outcome.conflicts[i] = RowError(
                "record_id", f"already recorded for another subject ({found['subject']})"
            )
        else:
            record = records[i]
            other = other_kind(record.subject_kind)
            if could_be(other, record.subject) and record.subject_kind is EntityKind.PERSON:
                retry.append(replace(record, subject_kind=other))
                retry_index.append(i)
            else:
                outcome.unmatched.append(i)
    if retry:
        again = await upsert_records(graph, retry)
        outcome.created += again.created
        outcome.updated += again.updated
        outcome.unchanged += again.unchanged
        outcome.unmatched += [retry_index[j] for j in again.unmatched]
        outcome.fresh += [retry_index[j] for j in again.fresh]
        outcome.conflicts.update({retry_index[j]: why for j, why in again.conflicts.items()})
    return outcome
