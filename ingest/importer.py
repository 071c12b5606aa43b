"""Bulk import: files in, batched idempotent writes out, every bad row accounted for.

Two passes over the input: companies and people first, then links and records, so that the order
of the lines never matters. Rows are checked by ``graph.rows``; a row that fails, or whose subject
is not in the registry, goes to ``<input>.rejects.jsonl`` with its line number and reason and
never costs a good row: a batch the backend refuses is retried row by row. Parsing the next batch
overlaps with the backend writing the previous one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from graph.driver import BoundGraph, Graph
from graph.errors import GraphConflict, GraphConstraintError, GraphQueryError
from graph.models import LinkInput, RecordInput
from graph.repositories import audit, record_writes, writes
from graph.repositories.state import Tracked
from graph.rows import PARSERS, ROW_TYPES, RowError
from ingest.readers import LineProblem, file_format, read_rows
from usecases import events, registry

ENTITY_TYPES = ("company", "person")
YIELD_EVERY = 100  # lines parsed between two turns of the event loop
UNTYPED = "unreadable"  # lines that are not JSON, or name no known type
Progress = Callable[[int], None]
# Rows of a file with their lines: ``read_rows`` for our own format, or those a national format
# converted (``ingest.national``).
Rows = Callable[[Path], Iterable[tuple[int, dict[str, Any] | LineProblem]]]


@dataclass
class TypeCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected


@dataclass
class ImportReport:
    """What an import did, per row type, and where the rejected rows went."""

    counts: dict[str, TypeCounts] = field(
        default_factory=lambda: {kind: TypeCounts() for kind in (*ROW_TYPES, UNTYPED)}
    )
    rejects_files: list[Path] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.counts.values())

    @property
    def changed(self) -> int:
        return sum(c.created + c.updated for c in self.counts.values())

    @property
    def total(self) -> int:
        """Rows read, whatever became of them."""
        return sum(c.total for c in self.counts.values())

    @property
    def exit_code(self) -> int:
        """0 when every row went in, 3 when some were rejected."""
        return 3 if self.rejected else 0


@dataclass
class _Pending:
    path: Path
    line: int
    raw: dict[str, Any]
    parsed: Any


class _Rejects:
    """``<input>.rejects.jsonl`` files, created on the first rejected row of each input."""

    def __init__(self) -> None:
        self._handles: dict[Path, Any] = {}

    @staticmethod
    def path_for(source: Path) -> Path:
        return source.with_name(source.name + ".rejects.jsonl")

    def write(self, source: Path, line: int, reason: str, row: Any) -> None:
        handle = self._handles.get(source)
        if handle is None:
            handle = self.path_for(source).open("wb")
            self._handles[source] = handle
        entry = {"line": line, "reason": reason, "row": row}
        handle.write(orjson.dumps(entry, default=str) + b"\n")

    def close(self) -> list[Path]:
        for handle in self._handles.values():
            handle.close()
        return [self.path_for(source) for source in self._handles]


class Importer:
    """Imports JSON Lines and CSV files into the graph."""

    def __init__(
        self,
        graph: Graph,
        *,
        batch_size: int = 5000,
        on_progress: Progress | None = None,
        actor: audit.Actor = audit.OPERATOR,
        rows: Rows | None = None,
    ) -> None:
        self.graph = graph
        self.rows = rows
        self.actor = actor
        self.batch_size = batch_size
        self.on_progress = on_progress or (lambda rows: None)
        self.report = ImportReport()
        self._rejects = _Rejects()
        self._inflight: asyncio.Task[None] | None = None

    async def run(self, paths: Iterable[Path]) -> ImportReport:
        """Import ``paths``; returns the report (its ``exit_code`` is 0 or 3)."""
        files = [Path(p) for p in paths]
        for path in files:
            if self.rows is None:
                file_format(path)  # refuse an unknown format before writing anything
            _Rejects.path_for(path).unlink(missing_ok=True)
        try:
            await self._pass(files, ENTITY_TYPES, first=True)
            await self._pass(files, ("link", "record"), first=False)
        finally:
            if self._inflight is not None and not self._inflight.done():
                self._inflight.cancel()
            self.report.rejects_files = self._rejects.close()
        return self.report

    async def _pass(self, files: list[Path], types: tuple[str, ...], *, first: bool) -> None:
        batches: dict[str, list[_Pending]] = {kind: [] for kind in types}
        keys: dict[str, set[Any]] = {kind: set() for kind in types}
        for path in files:
            source = path.name
            since_progress = 0
            for line, raw in self._rows_of(path):
                since_progress += 1
                if since_progress % YIELD_EVERY == 0:
                    # Parsing never awaits by itself: without this the batch in flight would
                    # not even be sent until the next one is ready, and nothing would overlap.
                    await asyncio.sleep(0)
                if since_progress == 1000:
                    self.on_progress(since_progress)
                    since_progress = 0
                if isinstance(raw, LineProblem):
                    if first:
                        self._reject(raw.kind, path, line, raw.reason, raw.text)
                    continue
                kind = raw.get("type")
                if kind not in ROW_TYPES:
                    if first:
                        reason = f"type: must be one of {'|'.join(ROW_TYPES)}, got {kind!r}"
                        self._reject(None, path, line, reason, raw)
                    continue
                if kind not in types:
                    continue
                try:
                    parsed = PARSERS[kind](raw, source)
                except RowError as exc:
                    self._reject(kind, path, line, str(exc), raw)
                    continue
                key = _batch_key(parsed)
                if key in keys[kind]:  # the same key twice in a batch: keep their order
                    await self._flush(kind, batches[kind])
                    batches[kind], keys[kind] = [], set()
                batches[kind].append(_Pending(path, line, raw, parsed))
                keys[kind].add(key)
                if len(batches[kind]) >= self.batch_size:
                    await self._flush(kind, batches[kind])
                    batches[kind], keys[kind] = [], set()
            self.on_progress(since_progress)
        for kind in types:
            await self._flush(kind, batches[kind])
        await self._drain()

    def _rows_of(self, path: Path) -> Iterator[tuple[int, dict[str, Any] | LineProblem]]:
        yield from (self.rows or read_rows)(path)

    async def _flush(self, kind: str, batch: list[_Pending]) -> None:
        if not batch:
            return
        await self._drain()
        self._inflight = asyncio.create_task(self._write(kind, batch))

    async def _drain(self) -> None:
        if self._inflight is not None:
            task, self._inflight = self._inflight, None
            await task

    async def _write(self, kind: str, batch: list[_Pending]) -> None:
        rows = [p.parsed for p in batch]

        async def work(tx: BoundGraph) -> tuple[writes.BatchOutcome, list[str]]:
            outcome = await _WRITERS[kind](tx, rows)
            if outcome.fresh:  # records created: their subjects' watchers hear of them
                added = events.records_added([rows[i] for i in outcome.fresh], datetime.now(UTC))
                await events.emit(tx, added)
            return outcome, _subjects(tx, rows)

        try:
            # Each batch is one audited act: its rows, the seals of what they stored and an
            # entry naming the subjects they changed, committed together.
            outcome, _ = await audit.act(
                self.graph,
                self.actor,
                "import",
                {"type": kind, "rows": [p.raw for p in batch]},
                work,
                lambda done: done[1],
                retried=(audit.ChainConflict, GraphConflict),
            )
        except (GraphConstraintError, GraphQueryError):
            if len(batch) == 1:
                raise
            # One row spoiled the batch: write them one by one so only that row is lost.
            for pending in batch:
                try:
                    await self._write(kind, [pending])
                except (GraphConstraintError, GraphQueryError) as exc:
                    self._reject(kind, pending.path, pending.line, f"refused: {exc}", pending.raw)
            return
        counts = self.report.counts[kind]
        counts.created += outcome.created
        counts.updated += outcome.updated
        counts.unchanged += outcome.unchanged
        for index, error in outcome.conflicts.items():
            pending = batch[index]
            self._reject(kind, pending.path, pending.line, str(error), pending.raw)
        if outcome.unmatched:
            await self._reject_unmatched(kind, [batch[i] for i in outcome.unmatched])

    async def _reject_unmatched(self, kind: str, rows: list[_Pending]) -> None:
        wanted = []
        for pending in rows:
            if isinstance(pending.parsed, LinkInput):
                wanted += [pending.parsed.from_key, pending.parsed.to_key]
            else:
                wanted.append(pending.parsed.subject)
        known = await writes.known_keys(self.graph, wanted)
        for pending in rows:
            error = registry.why_unmatched(pending.parsed, known)
            self._reject(kind, pending.path, pending.line, str(error), pending.raw)

    def _reject(self, kind: str | None, path: Path, line: int, reason: str, row: Any) -> None:
        self.report.counts[kind or _guess_type(row)].rejected += 1
        self._rejects.write(path, line, reason, row)


def _subjects(tx: BoundGraph, rows: list[Any]) -> list[str]:
    """The people and companies a batch changed: the entities written, both ends of each link
    written and the subject of each record written."""
    touched = tx.touched
    keys = [*touched.get(Tracked.COMPANY, {}), *touched.get(Tracked.PERSON, {})]
    for link in touched.get(Tracked.LINK, {}):
        _, start, end, _ = orjson.loads(link)
        keys += [start, end]
    records = touched.get(Tracked.RECORD, {})
    keys += [r.subject for r in rows if isinstance(r, RecordInput) and r.record_id in records]
    return list(dict.fromkeys(keys))


def _guess_type(row: Any) -> str:
    kind = row.get("type") if isinstance(row, dict) else None
    return kind if kind in ROW_TYPES else UNTYPED


def _batch_key(parsed: Any) -> Any:
    for attr in ("uscc", "id_number", "record_id"):
        if hasattr(parsed, attr):
            return getattr(parsed, attr)
    link: LinkInput = parsed
    return (link.rel, link.from_key, link.to_key, link.role)


_WRITERS: dict[str, Callable[[Graph, list[Any]], Awaitable[writes.BatchOutcome]]] = {
    "company": writes.upsert_companies,
    "person": writes.upsert_persons,
    "link": writes.upsert_links,
    "record": record_writes.upsert_records,
}
