"""The audit log over GraphQL: the entries for auditors, the chain's verification, and for a
subject, who read its file."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from api.context import Info
from api.permissions import Inherited, fields_need
from api.types.pagination import page_info, page_size, parse_number
from graph.identifiers import is_id_number, mask_id_number
from graph.repositories import audit


@fields_need(Inherited)
@strawberry.type(description="One entry of the tamper-evident audit log.")
class AuditEntry:
    seq: int = strawberry.field(description="Its place in the chain, from 1.")
    at: datetime
    key_id: str | None = strawberry.field(description="The API key that acted (null: public).")
    role: str
    operation: str = strawberry.field(description="The GraphQL field that ran.")
    kind: str = strawberry.field(
        description="write, read, or refused (a write the registry refused: an unknown end, "
        "a record id of another subject)."
    )
    args_digest: str = strawberry.field(description="SHA-256 of the arguments' canonical JSON.")
    subjects: list[str] = strawberry.field(
        description="The USCCs and identity numbers (masked) the operation touched."
    )
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, e: audit.Entry) -> AuditEntry:
        return cls(
            seq=e.seq,
            at=datetime.fromisoformat(e.at),
            key_id=e.key_id,
            role=e.role,
            operation=e.operation,
            kind=e.kind,
            args_digest=e.args_digest,
            subjects=[mask_id_number(s) if is_id_number(s) else s for s in e.subjects],
            prev_hash=e.prev_hash,
            hash=e.hash,
        )


@fields_need(Inherited)
@strawberry.type(description="An audit entry and its cursor.")
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@fields_need(Inherited)
@strawberry.type(description="A page of audit entries, newest first.")
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: relay.PageInfo


@fields_need(Inherited)
@strawberry.type(description="The audit chain checked from its first entry.")
class AuditVerification:
    entries: int = strawberry.field(description="How many entries hold, in order, from the first.")
    intact: bool
    broken_at: int | None = strawberry.field(description="The first broken entry's number.")
    reason: str | None


@fields_need(Inherited)
@strawberry.type(description="Someone who read the subject's file.")
class FileRead:
    at: datetime
    role: str = strawberry.field(description="relying_party or investigator.")
    who: str | None = strawberry.field(description="The name the reader's API key was issued to.")
    operation: str


def _before(after: str | None) -> int:
    if after is None:
        return 2**62
    return parse_number(after, "after")


async def audit_log(
    info: Info, first: int | None, after: str | None, subject: str | None
) -> AuditEntryConnection:
    size = page_size(first)
    found = await audit.page(info.context.graph, _before(after), size + 1, subject)
    edges = [AuditEntryEdge(cursor=str(e.seq), node=AuditEntry.of(e)) for e in found[:size]]
    return AuditEntryConnection(
        edges=edges,
        page_info=page_info(edges, has_next=len(found) > size, has_previous=after is not None),
    )


async def verify_chain(info: Info) -> AuditVerification:
    count, broken = await audit.verify(info.context.graph)
    return AuditVerification(
        entries=count,
        intact=broken is None,
        broken_at=broken.seq if broken else None,
        reason=broken.reason if broken else None,
    )


async def who_looked(info: Info, first: int | None, after: str | None) -> list[FileRead]:
    caller = info.context.caller
    assert caller.subject is not None
    from graph.repositories import keys

    found = await audit.page(
        info.context.graph, _before(after), page_size(first), caller.subject, "read"
    )
    names = {k.key_id: k.name for k in await keys.all_keys(info.context.graph)}
    return [
        FileRead(
            at=datetime.fromisoformat(e.at),
            role=e.role,
            who=names.get(e.key_id or ""),
            operation=e.operation,
        )
        for e in found
    ]
