"""Disputes of records, and requests to end a record's publication early (restoration).

Both are ``Dispute`` nodes (``kind`` dispute or restoration) beside the record they concern;
nothing is deleted: a record leaves the score and public view by its ``status`` (disputed while a
dispute is open, removed or restored after one is decided) and keeps its history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from graph.driver import Graph
from graph.repositories import convert
from graph.repositories.state import Tracked


class Kind(StrEnum):
    DISPUTE = "dispute"
    RESTORATION = "restoration"


class Status(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the record stands as it was
    AMENDED = "amended"  # the record stands, corrected as the note says
    REMOVED = "removed"  # the record was wrong: out of the score and of public view
    APPROVED = "approved"  # restoration granted: the record is no longer published
    REFUSED = "refused"


@dataclass(frozen=True)
class Dispute:
    dispute_id: str
    kind: Kind
    record_id: str
    subject_key: str
    reason: str
    status: Status
    opened_at: datetime
    due_on: date
    opened_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None


OPEN_OF_RECORD = """
MATCH (d:Dispute {recordId: $recordId})
WHERE d.status = 'open'
RETURN properties(d) AS props
"""
OPEN = """
MATCH (r:Record {recordId: $recordId})
CREATE (d:Dispute)
SET d = $props
CREATE (d)-[:DISPUTES]->(r)
SET r.status = CASE WHEN $kind = 'dispute' THEN 'disputed' ELSE r.status END
RETURN properties(d) AS props
"""
BY_ID = "MATCH (d:Dispute {disputeId: $id}) RETURN properties(d) AS props"
DECIDE = """
MATCH (d:Dispute {disputeId: $id})-[:DISPUTES]->(r:Record)
WHERE d.status = 'open'
SET d.status = $status, d.resolvedAt = $now, d.resolvedBy = $by, d.note = $note,
    r.status = $recordStatus
RETURN properties(d) AS props
"""
LIST = """
MATCH (d:Dispute)
WHERE ($status IS NULL OR d.status = $status) AND ($kind IS NULL OR d.kind = $kind)
  AND ($subject IS NULL OR d.subjectKey = $subject)
  AND ($overdueBefore IS NULL OR (d.status = 'open' AND d.dueOn < $overdueBefore))
RETURN properties(d) AS props
ORDER BY d.openedAt DESC, d.disputeId
SKIP $skip LIMIT $limit
"""
COUNT = """
MATCH (d:Dispute)
WHERE ($status IS NULL OR d.status = $status) AND ($kind IS NULL OR d.kind = $kind)
  AND ($subject IS NULL OR d.subjectKey = $subject)
  AND ($overdueBefore IS NULL OR (d.status = 'open' AND d.dueOn < $overdueBefore))
RETURN count(d) AS n
"""


def _dispute(p: dict[str, Any]) -> Dispute:
    resolved = p.get("resolvedAt")
    due = convert.to_date(p["dueOn"])
    assert due is not None
    return Dispute(
        dispute_id=p["disputeId"],
        kind=Kind(p["kind"]),
        record_id=p["recordId"],
        subject_key=p["subjectKey"],
        reason=p["reason"],
        status=Status(p["status"]),
        opened_at=convert.to_datetime(p["openedAt"]),
        due_on=due,
        opened_by=p.get("openedBy"),
        resolved_at=convert.to_datetime(resolved) if resolved else None,
        resolved_by=p.get("resolvedBy"),
        note=p.get("note"),
    )


async def open_of_record(graph: Graph, record_id: str) -> list[Dispute]:
    return [_dispute(r["props"]) for r in await graph.read(OPEN_OF_RECORD, {"recordId": record_id})]


async def open_dispute(
    graph: Graph,
    kind: Kind,
    record_id: str,
    subject_key: str,
    reason: str,
    by: str | None,
    *,
    opened_at: datetime,
    due_on: date,
) -> Dispute:
    """Open a dispute (the record becomes DISPUTED) or a restoration request (it stays as is)."""
    graph.require_audited(Tracked.DISPUTE)
    props = {
        "disputeId": str(uuid.uuid4()),
        "kind": kind.value,
        "recordId": record_id,
        "subjectKey": subject_key,
        "reason": reason,
        "status": Status.OPEN.value,
        "openedAt": opened_at,
        "dueOn": due_on,
        "openedBy": by,
    }
    rows = await graph.write(OPEN, {"recordId": record_id, "props": props, "kind": kind.value})
    graph.touch(Tracked.DISPUTE, [str(props["disputeId"])])
    graph.touch(Tracked.RECORD, [record_id])
    return _dispute(rows[0]["props"])


async def by_id(graph: Graph, dispute_id: str) -> Dispute | None:
    rows = await graph.read(BY_ID, {"id": dispute_id})
    return _dispute(rows[0]["props"]) if rows else None


async def decide(
    graph: Graph, dispute_id: str, status: Status, record_status: str, note: str, by: str | None
) -> Dispute | None:
    """Close an open dispute or request and set its record's status; None when not open."""
    graph.require_audited(Tracked.DISPUTE)
    rows = await graph.write(
        DECIDE,
        {
            "id": dispute_id,
            "status": status.value,
            "recordStatus": record_status,
            "note": note,
            "by": by,
            "now": datetime.now(UTC),
        },
    )
    if not rows:
        return None
    decided = _dispute(rows[0]["props"])
    graph.touch(Tracked.DISPUTE, [dispute_id])
    graph.touch(Tracked.RECORD, [decided.record_id])
    return decided


async def listing(
    graph: Graph,
    *,
    status: Status | None,
    kind: Kind | None,
    subject: str | None,
    overdue_on: date | None,
    skip: int,
    limit: int,
) -> tuple[list[Dispute], int]:
    params: dict[str, Any] = {
        "status": status.value if status else None,
        "kind": kind.value if kind else None,
        "subject": subject,
        "overdueBefore": overdue_on,
    }
    rows = await graph.read(LIST, {**params, "skip": skip, "limit": limit})
    total = await graph.read(COUNT, params)
    return [_dispute(r["props"]) for r in rows], int(total[0]["n"])
