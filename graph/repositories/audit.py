"""The audit log: a hash chain of entries, appended in the transaction of what it records.

Entry ``n`` stores the hash of entry ``n - 1`` and its own hash, the SHA-256 of its canonical
JSON (every field but the hash). One ``AuditHead`` node holds the latest sequence number and hash;
appending compares and sets it, so two writers cannot both take number ``n``: the second fails and
its whole transaction (the write it recorded included) is retried by the caller. Editing,
removing or reordering any entry breaks the chain at that entry, and ``verify`` names it.
``AuditMention`` nodes (one per subject of an entry) find a subject's entries through an index.
An entry of a write also seals what the write stored (``graph.repositories.state``): its hash
covers the digest of every object as the transaction left it.

``act`` is the one way to write: the work, the seals of what it touched and the entry, in one
transaction, run again when another writer took the chain's next number first.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from graph.driver import BoundGraph, Graph, bound
from graph.errors import GraphConflict, GraphConstraintError, GraphError
from graph.repositories import state
from graph.repositories.seals import Seal, state_digest

if TYPE_CHECKING:
    from graph.repositories.appender import Appender

GENESIS = "0" * 64
RETRIES = 10
log = logging.getLogger("credgraph.audit")
T = TypeVar("T")


class ChainConflict(GraphError):
    """Another writer appended first; the transaction must be retried."""


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str  # ISO 8601, UTC, as hashed
    key_id: str | None
    role: str
    operation: str
    kind: str  # "write" or "read"
    args_digest: str
    subjects: tuple[str, ...]
    prev_hash: str
    hash: str
    state_digest: str | None = None  # of what the write stored; None for reads and refusals

    def body(self) -> dict[str, Any]:
        stored = {} if self.state_digest is None else {"stateDigest": self.state_digest}
        return {
            **stored,
            "seq": self.seq,
            "at": self.at,
            "keyId": self.key_id,
            "role": self.role,
            "operation": self.operation,
            "kind": self.kind,
            "argsDigest": self.args_digest,
            "subjects": list(self.subjects),
            "prevHash": self.prev_hash,
        }


def digest(value: Any) -> str:
    """The SHA-256 of a value's canonical JSON (sorted keys); arguments are stored only so."""
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def entry_hash(body: dict[str, Any]) -> str:
    return digest(body)


HEAD = "MATCH (h:AuditHead {chain: 'main'}) RETURN h.seq AS seq, h.hash AS hash"
INIT = """
MERGE (h:AuditHead {chain: 'main'})
ON CREATE SET h.seq = 0, h.hash = $genesis
"""


async def head(graph: Graph) -> tuple[int, str]:
    """The chain's head (its last seq and hash), the chain begun when there is none yet. When
    two writers begin it in the same instant, one MERGE wins and the other's constraint error
    means the head exists: read outside a transaction, it is read again; inside one (whose
    transaction that error spoilt) it is raised, for ``act``'s retry to run the change again."""
    rows = await graph.read(HEAD)
    if not rows:
        try:
            await graph.write(INIT, {"genesis": GENESIS})
        except (GraphConflict, GraphConstraintError):
            if isinstance(graph, BoundGraph):
                raise
        rows = await graph.read(HEAD)
        if not rows:
            # Begun by a concurrent writer that this transaction cannot see yet (the embedded
            # backend's index, as in ``read_back``): a conflict, so ``act`` runs it again.
            raise GraphConflict("the audit chain's head was begun by a concurrent write")
    return int(rows[0]["seq"]), str(rows[0]["hash"])


APPEND = """
MATCH (h:AuditHead {chain: 'main'})
WHERE h.seq = $prevSeq AND h.hash = $prevHash
SET h.seq = $entry.seq, h.hash = $entry.hash
CREATE (e:AuditEntry)
SET e = $entry
WITH e
UNWIND $subjects AS subject
CREATE (:AuditMention {subjectKey: subject, seq: e.seq, kind: e.kind})
WITH e, count(*) AS mentions
RETURN e.seq AS seq
"""
APPEND_NO_SUBJECT = """
MATCH (h:AuditHead {chain: 'main'})
WHERE h.seq = $prevSeq AND h.hash = $prevHash
SET h.seq = $entry.seq, h.hash = $entry.hash
CREATE (e:AuditEntry)
SET e = $entry
RETURN e.seq AS seq
"""
ALL = "MATCH (e:AuditEntry) RETURN properties(e) AS props ORDER BY e.seq"
MENTIONS = "MATCH (m:AuditMention) RETURN m.seq AS seq, count(*) AS n"
PAGE = """
MATCH (e:AuditEntry) WHERE e.seq < $before
RETURN properties(e) AS props ORDER BY e.seq DESC LIMIT $limit
"""
OF_SUBJECT = """
MATCH (m:AuditMention {subjectKey: $key})
WHERE m.seq < $before AND ($kind IS NULL OR m.kind = $kind)
WITH m ORDER BY m.seq DESC LIMIT $limit
MATCH (e:AuditEntry {seq: m.seq})
RETURN properties(e) AS props ORDER BY e.seq DESC
"""


async def append(
    graph: Graph,
    *,
    key_id: str | None,
    role: str,
    operation: str,
    kind: str,
    args: Any,
    subjects: Sequence[str],
    seals: Sequence[Seal] = (),
) -> Entry:
    """Append an entry; run it on the transaction of the change it records (a ``BoundGraph``),
    with the seals of what that change stored."""
    prev_seq, prev_hash = await head(graph)
    entry = next_entry(
        prev_seq,
        prev_hash,
        key_id=key_id,
        role=role,
        operation=operation,
        kind=kind,
        args=args,
        subjects=subjects,
        state_digest=state_digest((s.key, s.digest) for s in seals) if seals else None,
    )
    params = {
        "prevSeq": prev_seq,
        "prevHash": prev_hash,
        "entry": {**entry.body(), "hash": entry.hash},
        "subjects": list(entry.subjects),
    }
    # No row back: the head moved since it was read (the grouped count has no row to group
    # when the compare-and-set matched nothing, where a bare count(*) would answer 0).
    written = await graph.write(APPEND if entry.subjects else APPEND_NO_SUBJECT, params)
    if not written:
        raise ChainConflict("another audit entry was appended at the same time")
    await state.save(graph, entry.seq, list(seals))
    return entry


def next_entry(
    prev_seq: int,
    prev_hash: str,
    *,
    key_id: str | None,
    role: str,
    operation: str,
    kind: str,
    args: Any,
    subjects: Sequence[str],
    state_digest: str | None = None,
) -> Entry:
    """The entry after ``prev_seq`` (whose hash is ``prev_hash``), with its own hash."""
    body = Entry(
        seq=prev_seq + 1,
        at=datetime.now(UTC).isoformat(timespec="microseconds"),
        key_id=key_id,
        role=role,
        operation=operation,
        kind=kind,
        args_digest=digest(args),
        subjects=tuple(dict.fromkeys(subjects)),
        prev_hash=prev_hash,
        hash="",
        state_digest=state_digest,
    ).body()
    return _entry({**body, "hash": entry_hash(body)})


@dataclass(frozen=True)
class Actor:
    """Who acts: an API key and its role, or the operator at the command line."""

    key_id: str | None
    role: str


OPERATOR = Actor(key_id=None, role="operator")
RETRIED: tuple[type[Exception], ...] = (ChainConflict, GraphConflict, GraphConstraintError)


async def act(
    graph: Graph,
    actor: Actor,
    operation: str,
    args: Any,
    work: Callable[[BoundGraph], Awaitable[T]],
    subjects: Callable[[T], Sequence[str]] = lambda _: (),
    kind: str | Callable[[T], str] = "write",
    *,
    appender: Appender | None = None,
    retried: tuple[type[Exception], ...] = RETRIED,
    when_untouched: bool = True,
) -> T:
    """Run ``work`` on an audited transaction, seal what it touched and append its entry; all
    of it commits, or none. ``kind`` may depend on the outcome (a write the registry refused is
    ``refused``). When another writer took the chain's next number (or the same record, or the
    same new key) first, nothing of the attempt was kept, and it runs again after a short,
    random wait; an ``appender`` (one a worker) makes one process's appends take their turn
    before they get that far. ``when_untouched=False``: work that changed no tracked object
    (a data migration on a graph without the data it changes) appends no entry."""
    turn = appender.lock if appender is not None else contextlib.nullcontext()
    for attempt in range(RETRIES):
        try:
            async with turn, bound(graph, audited=True) as tx:
                result = await work(tx)
                if not when_untouched and not any(tx.touched.values()):
                    return result
                seals = await state.seal(tx, tx.touched)
                entry = await append(
                    tx,
                    key_id=actor.key_id,
                    role=actor.role,
                    operation=operation,
                    kind=kind(result) if callable(kind) else kind,
                    args=args,
                    subjects=subjects(result),
                    seals=seals,
                )
            if appender is not None:
                appender.moved(entry)
            return result
        except retried:
            if attempt == RETRIES - 1:
                raise
            log.info("conflict on %s, retrying", operation)
            await asyncio.sleep(random.uniform(0, 0.02 * (attempt + 1)))
    raise AssertionError("unreachable")


def _entry(p: dict[str, Any]) -> Entry:
    return Entry(
        seq=int(p["seq"]),
        at=str(p["at"]),
        key_id=p.get("keyId"),
        role=str(p["role"]),
        operation=str(p["operation"]),
        kind=str(p["kind"]),
        args_digest=str(p["argsDigest"]),
        subjects=tuple(p.get("subjects") or ()),
        prev_hash=str(p["prevHash"]),
        hash=str(p.get("hash", "")),
        state_digest=p.get("stateDigest"),
    )


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


async def verify(graph: Graph) -> tuple[int, Break | None]:
    """Walk the chain from the first entry: how many entries hold, and the first break (an
    entry missing, reordered or edited, a subject mention gone, the head out of step)."""
    mentions = {int(r["seq"]): int(r["n"]) for r in await graph.read(MENTIONS)}
    stored = await state.stored_digests(graph)
    expected_prev, expected_seq, count = GENESIS, 1, 0
    async for (props,) in _all(graph):
        entry = _entry(props)
        if entry.seq != expected_seq:
            return count, Break(
                expected_seq, f"entry {expected_seq} is missing (found {entry.seq})"
            )
        if entry.prev_hash != expected_prev:
            return count, Break(
                entry.seq, "its previous-entry hash does not match the entry before"
            )
        if entry_hash(entry.body()) != entry.hash:
            return count, Break(entry.seq, "its content does not match its hash (it was edited)")
        if mentions.get(entry.seq, 0) != len(entry.subjects):
            return count, Break(
                entry.seq,
                f"{len(entry.subjects) - mentions.get(entry.seq, 0)} of its "
                f"{len(entry.subjects)} subject mentions are missing (its subjects cannot be "
                "found by subject)",
            )
        if stored.pop(entry.seq, None) != entry.state_digest:
            return count, Break(
                entry.seq,
                "the seals of what it stored do not match its hash (they were edited, removed "
                "or added)",
            )
        expected_prev, expected_seq, count = entry.hash, entry.seq + 1, count + 1
    if stored:
        seq = min(stored)
        return count, Break(seq, f"seals of an entry {seq} that is not in the chain")
    head = await graph.read(HEAD)
    if head and (int(head[0]["seq"]) != count or str(head[0]["hash"]) != expected_prev):
        return count, Break(
            count + 1,
            f"the chain head names entry {head[0]['seq']}: entries after {count} are missing",
        )
    return count, None


async def _all(graph: Graph) -> AsyncIterator[list[Any]]:
    async for row in graph.stream(ALL):
        yield row


async def length(graph: Graph) -> int:
    """How many entries the chain holds (its head's number: they are numbered from 1)."""
    rows = await graph.read(HEAD)
    return int(rows[0]["seq"]) if rows else 0


async def page(
    graph: Graph, before: int, limit: int, subject: str | None, kind: str | None = None
) -> list[Entry]:
    """Entries with a sequence number below ``before``, newest first (of one subject, if given)."""
    if subject is None:
        rows = await graph.read(PAGE, {"before": before, "limit": limit})
    else:
        rows = await graph.read(
            OF_SUBJECT, {"key": subject, "before": before, "limit": limit, "kind": kind}
        )
    return [_entry(r["props"]) for r in rows]
