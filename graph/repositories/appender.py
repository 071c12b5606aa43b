"""A worker's appends to the audit chain: its acts take turns, its reads go in groups.

``Appender`` (one a worker, on the app's state) is what ``audit.act`` takes its turn with, and
what every operation that read people appends its read entry through (``Session.audited_read``).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

from graph.driver import Graph
from graph.errors import GraphConflict, GraphConstraintError
from graph.repositories.audit import (
    RETRIES,
    Actor,
    ChainConflict,
    Entry,
    head,
    next_entry,
)

APPEND_READS = """
MATCH (h:AuditHead {chain: 'main'})
WHERE h.seq = $prevSeq AND h.hash = $prevHash
SET h.seq = $lastSeq, h.hash = $lastHash
WITH h
CALL (h) {
  UNWIND $entries AS entry
  CREATE (e:AuditEntry)
  SET e = entry
  RETURN count(*) AS entries
}
CALL (h) {
  UNWIND $mentions AS mention
  CREATE (:AuditMention {subjectKey: mention.subject, seq: mention.seq, kind: 'read'})
  RETURN count(*) AS mentions
}
RETURN h.seq AS seq
"""


@dataclass(frozen=True)
class Read:
    """A read to log: who read which people, by which operation."""

    actor: Actor
    operation: str
    args: Any
    subjects: tuple[str, ...]


class Appender:
    """One worker's way onto the chain (``act`` and ``Appender.read``).

    Its appends take turns (``lock``): only other processes' appends can take the next number
    first. Reads are appended together (a group commit): while one group is being written, the
    reads that arrive wait and go in the next group (after ``LINGER`` turns of the event loop
    when the last group had more than one), one statement for all of them, each its own entry
    chained to the one before; every caller returns once its entry is committed, or raises
    when it could not be. The head last written here is remembered, so a group is one
    round trip (one auto-commit statement) unless another process moved the head (then it is
    read and the group retried).
    """

    GROUP = 200  # entries at most in one statement
    # Turns of the event loop a group waits for more reads when the last one had company (a
    # loaded worker): the requests a step away from their read entry reach it and go in the
    # same statement. Fewer, fuller groups cost the graph and the driver less (a group of one
    # is a write transaction of its own: on Neo4j most of a lookup's graph CPU); a read that
    # comes alone never waits.
    LINGER = 2

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.lock = asyncio.Lock()
        self._head: tuple[int, str] | None = None
        self._waiting: list[tuple[Read, asyncio.Future[Entry]]] = []
        self._writer: asyncio.Task[None] | None = None

    def moved(self, entry: Entry) -> None:
        """Remember the head an ``act`` of this worker just committed."""
        self._head = (entry.seq, entry.hash)

    async def read(self, read: Read) -> Entry:
        """Append ``read``'s entry with whatever other reads are waiting; its entry, committed.
        A read may name no one (a lookup that found nobody is still a read)."""
        done: asyncio.Future[Entry] = asyncio.get_running_loop().create_future()
        self._waiting.append((read, done))
        if self._writer is None or self._writer.done():
            # A task of its own: a caller that gives up (its request timed out) leaves the
            # group to be written for the others.
            self._writer = asyncio.create_task(self._drain())
        return await asyncio.shield(done)

    async def _drain(self) -> None:
        last = 1
        while self._waiting:
            if last > 1:
                for _ in range(self.LINGER):
                    await asyncio.sleep(0)
            group, self._waiting = self._waiting[: self.GROUP], self._waiting[self.GROUP :]
            last = len(group)
            try:
                async with self.lock:
                    entries = await self._append([read for read, _ in group])
            except Exception as exc:  # every caller of the group raises it
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), entry in zip(group, entries, strict=True):
                if not done.done():
                    done.set_result(entry)

    async def _append(self, reads: list[Read]) -> list[Entry]:
        for attempt in range(RETRIES):
            head = self._head or await self._read_head()
            entries: list[Entry] = []
            seq, prev = head
            for read in reads:
                entry = next_entry(
                    seq,
                    prev,
                    key_id=read.actor.key_id,
                    role=read.actor.role,
                    operation=read.operation,
                    kind="read",
                    args=read.args,
                    subjects=read.subjects,
                )
                entries.append(entry)
                seq, prev = entry.seq, entry.hash
            params = {
                "prevSeq": head[0],
                "prevHash": head[1],
                "lastSeq": seq,
                "lastHash": prev,
                "entries": [{**e.body(), "hash": e.hash} for e in entries],
                "mentions": [{"subject": s, "seq": e.seq} for e in entries for s in e.subjects],
            }
            try:
                if await self.graph.write_once(APPEND_READS, params):
                    self._head = (seq, prev)
                    return entries
            except (GraphConflict, GraphConstraintError):
                pass  # another writer took these numbers in the same instant
            # Another process appended since: read the head again.
            self._head = None
            if attempt:
                await asyncio.sleep(random.uniform(0, 0.02 * attempt))
        raise ChainConflict("the audit chain kept moving while reads were being logged")

    async def _read_head(self) -> tuple[int, str]:
        return await head(self.graph)
