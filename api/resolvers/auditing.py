"""The audit log over GraphQL: the entries for auditors, the chain's verification, and for a
subject, who read its file."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry

from api.context import Info
from api.permissions import Inherited, fields_need
from api.types.described import described
from api.types.pagination import Connection, page_size, parse_number
from graph.parties import mask_key
from graph.repositories import audit, state
from graph.repositories.keys import Role

AuditedObject = described(
    state.Tracked,
    "A kind of object whose every write the audit chain seals.",
    {
        state.Tracked.COMPANY: "A company.",
        state.Tracked.PERSON: "A person.",
        state.Tracked.LINK: "A relationship between two entities.",
        state.Tracked.RECORD: "A credit record.",
        state.Tracked.SNAPSHOT: "A stored score.",
        state.Tracked.DISPUTE: "A dispute or restoration request.",
        state.Tracked.API_KEY: "An API key.",
    },
    name="AuditedObject",
)
StateChange = described(
    state.Change,
    "How an object departs from the audit chain.",
    {
        state.Change.UNAUDITED: "No audited write made it.",
        state.Change.CHANGED: "Its content differs from what the last audited write stored.",
        state.Change.DELETED: "An audited write stored it and it is gone.",
        state.Change.DUPLICATE: "A second object under the key of another.",
    },
    name="StateChange",
)


class AuditActor(StrEnum):
    """Who acted, as the audit log records it: an API caller's role, or the operator."""

    PUBLIC = Role.PUBLIC.value
    RELYING_PARTY = Role.RELYING_PARTY.value
    INVESTIGATOR = Role.INVESTIGATOR.value
    REGISTRAR = Role.REGISTRAR.value
    AUDITOR = Role.AUDITOR.value
    SUBJECT = Role.SUBJECT.value
    OPERATOR = "operator"


described(
    AuditActor,
    AuditActor.__doc__ or "",
    {
        AuditActor.PUBLIC: "A caller without a key.",
        AuditActor.RELYING_PARTY: "A relying party's key.",
        AuditActor.INVESTIGATOR: "An investigator's key.",
        AuditActor.REGISTRAR: "A registrar's key.",
        AuditActor.AUDITOR: "An auditor's key.",
        AuditActor.SUBJECT: "A subject's key.",
        AuditActor.OPERATOR: "A command run on the server: an import, a migration, key "
        "management, the whole-graph rescoring.",
    },
)


class AuditKind(StrEnum):
    """What an audit entry records."""

    WRITE = "write"
    READ = "read"
    REFUSED = "refused"


described(
    AuditKind,
    AuditKind.__doc__ or "",
    {
        AuditKind.WRITE: "A write that committed.",
        AuditKind.READ: "A sensitive read (a person's file, a report).",
        AuditKind.REFUSED: "A write the registry refused (an unknown end, a record id of "
        "another subject); nothing was written.",
    },
)


def _masked(key: str) -> str:
    return mask_key(key)


@fields_need(Inherited)
@strawberry.type(description="One entry of the tamper-evident audit log.")
class AuditEntry:
    seq: int = strawberry.field(description="Its place in the chain, from 1.")
    at: datetime = strawberry.field(description="When the operation committed (UTC).")
    key_id: str | None = strawberry.field(description="The API key that acted (null: public).")
    role: AuditActor = strawberry.field(
        description="Who acted: the caller's role, or the operator."
    )
    operation: str = strawberry.field(description="The GraphQL field that ran.")
    kind: AuditKind = strawberry.field(description="A write, a read, or a refused write.")
    args_digest: str = strawberry.field(description="SHA-256 of the arguments' canonical JSON.")
    subjects: list[str] = strawberry.field(
        description="The USCCs and identity numbers (masked) the operation touched."
    )
    prev_hash: str = strawberry.field(
        description="The hash of the entry before it (the chain's link)."
    )
    hash: str = strawberry.field(description="SHA-256 over this entry's fields and `prevHash`.")

    @classmethod
    def of(cls, e: audit.Entry) -> AuditEntry:
        return cls(
            seq=e.seq,
            at=datetime.fromisoformat(e.at),
            key_id=e.key_id,
            role=AuditActor(e.role),
            operation=e.operation,
            kind=AuditKind(e.kind),
            args_digest=e.args_digest,
            subjects=[_masked(s) for s in e.subjects],
            prev_hash=e.prev_hash,
            hash=e.hash,
        )


@fields_need(Inherited)
@strawberry.type(name="AuditEntryConnection", description="A page of audit entries, newest first.")
class AuditEntryConnection(Connection[AuditEntry]):
    total_count: int | None = strawberry.field(  # type: ignore[assignment]
        description="How many entries the log holds (null for one subject's entries: "
        "counting those would read the whole log)."
    )


@fields_need(Inherited)
@strawberry.type(description="The audit chain checked from its first entry.")
class AuditVerification:
    entries: int = strawberry.field(description="How many entries hold, in order, from the first.")
    intact: bool = strawberry.field(description="True when every entry's hash and link check out.")
    broken_at: int | None = strawberry.field(description="The first broken entry's number.")
    reason: str | None = strawberry.field(
        description="Where the chain breaks and how; null when intact."
    )


@fields_need(Inherited)
@strawberry.type(description="An object whose stored content no audited write accounts for.")
class StateDifference:
    object: state.Tracked = strawberry.field(description="The kind of object.")
    key: str = strawberry.field(
        description="Its key (identity numbers masked): a USCC, an identity number, a record, "
        "snapshot, dispute or API key id, or for a link its type, ends and role joined by spaces."
    )
    change: state.Change = strawberry.field(description="How it departs from the audit chain.")
    fields: list[str] = strawberry.field(
        description="The fields that differ (every field of an unaudited object; none of a "
        "deleted one). `@concerns`, `@issuers` and `@disputes` are what its edges say."
    )
    last_audited_entry: int | None = strawberry.field(
        description="The audit entry of the last write that stored it (null: none did)."
    )


@fields_need(Inherited)
@strawberry.type(
    description="Every company, person, link, record, score snapshot, dispute and API key in "
    "the graph, compared with what the last audited write that touched it stored."
)
class AuditStateVerification:
    intact: bool = strawberry.field(description="True when every object matches its seal.")
    checked: int = strawberry.field(description="Objects in the graph compared.")
    sealed: int = strawberry.field(description="Objects the audit chain has sealed.")
    difference_count: int = strawberry.field(description="How many objects differ.")
    differences: list[StateDifference] = strawberry.field(
        description="The first `first` of them, by kind and key."
    )


@fields_need(Inherited)
@strawberry.type(description="Someone who read the subject's file.")
class FileRead:
    at: datetime = strawberry.field(description="When the file was read.")
    role: AuditActor = strawberry.field(description="The reader's role.")
    who: str | None = strawberry.field(description="The name the reader's API key was issued to.")
    operation: str = strawberry.field(description="What was read (the GraphQL field, or `report`).")


def _before(after: str | None) -> int:
    if after is None:
        return 2**62
    return parse_number(after, "after")


async def audit_log(
    info: Info, first: int | None, after: str | None, subject: str | None
) -> AuditEntryConnection:
    size = page_size(first)
    graph = info.context.graph
    found = await audit.page(graph, _before(after), size + 1, subject)
    total = await audit.length(graph) if subject is None else None
    return AuditEntryConnection.page(
        [AuditEntry.of(e) for e in found[:size]],
        total=total,
        has_next=len(found) > size,
        has_previous=after is not None,  # a cursor is an entry's number, not an offset
        cursor=lambda _, entry: str(entry.seq),
    )


async def verify_chain(info: Info) -> AuditVerification:
    count, broken = await audit.verify(info.context.graph)
    return AuditVerification(
        entries=count,
        intact=broken is None,
        broken_at=broken.seq if broken else None,
        reason=broken.reason if broken else None,
    )


async def verify_state(info: Info, first: int | None) -> AuditStateVerification:
    report = await state.verify(info.context.graph)
    return AuditStateVerification(
        intact=report.intact,
        checked=report.checked,
        sealed=report.sealed,
        difference_count=len(report.differences),
        differences=[
            StateDifference(
                object=d.kind,
                key=" ".join(_masked(part) for part in state.describe(d.kind, d.key)),
                change=d.change,
                fields=list(d.fields),
                last_audited_entry=d.seq,
            )
            for d in report.differences[: page_size(first)]
        ],
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
            role=AuditActor(e.role),
            who=names.get(e.key_id or ""),
            operation=e.operation,
        )
        for e in found
    ]
