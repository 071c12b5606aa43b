"""Reading the whole graph as arrays for the whole-graph scoring pass.

A driver record costs the Python client about 20 µs, so the pass never reads a row per link or
record: each statement returns one row of columns (``collect``) for a range of entity keys, the
ranges are cut from the sorted keys so that each holds about ``CHUNK`` entities (the server
walks an index, never the whole label), and two ranges are read at a time, one per core.
Memory on the server stays bounded by the chunk, not by the graph.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterable
from typing import Any, LiteralString

import numpy as np

from graph.driver import Graph
from graph.repositories import convert
from scoring.arrays import STATUS_CODES, STATUS_OFF, GraphData, RecordKind

CHUNK = 50_000  # entities per ranged statement
READERS = 2  # ranged statements in flight
LOWEST, HIGHEST = "", "~"  # below and above every key (keys are ASCII digits and capitals)

COMPANY_KEYS = "MATCH (c:Company) RETURN collect(c.uscc) AS keys"
PERSON_KEYS = "MATCH (p:Person) RETURN collect(p.idNumber) AS keys"
# Links by the company they point at: every link type ends at a company.
LINKS = """
MATCH (b:Company)
WHERE b.uscc >= $lo AND b.uscc < $hi
MATCH (a)-[r:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF]->(b)
RETURN collect(coalesce(a.uscc, a.idNumber)) AS starts, collect(b.uscc) AS ends,
       collect(type(r)) AS rels, collect(coalesce(r.stake, -1.0)) AS stakes
"""
RECORDS = """
MATCH (r:Record)
WHERE r.subjectKey >= $lo AND r.subjectKey < $hi
RETURN collect(r.recordId) AS ids, collect(r.subjectKey) AS subjects, collect(r.code) AS codes,
       collect(r.category) AS categories, collect(r.severity) AS severities,
       collect(r.polarity) AS polarities,
       collect(coalesce(toString(r.decidedOn), '1900-01-01')) AS decided,
       collect(coalesce(r.status, 'active')) AS statuses
"""
Progress = Callable[[str, int], None]


class GraphArrays:
    """Collects entities, links and records (by entity index) row by row and builds
    ``GraphData``: for small subgraphs (a neighbourhood), where rows are few."""

    def __init__(self, keys: list[str], is_company: list[bool]) -> None:
        self.keys = keys
        self.is_company = is_company
        self.index = {key: n for n, key in enumerate(keys)}
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.rels: list[str] = []
        self.stakes: list[float] = []
        self.ids: list[str] = []
        self.owners: list[int] = []
        self.kinds: list[RecordKind] = []
        self.decided: list[str] = []
        self.statuses: list[int] = []

    def link(self, start: str, end: str, rel: str, stake: float | None) -> None:
        """A link between two known entities (others are skipped)."""
        if start in self.index and end in self.index:
            self.starts.append(self.index[start])
            self.ends.append(self.index[end])
            self.rels.append(rel)
            self.stakes.append(np.nan if stake is None else float(stake))

    def record(
        self, rid: str, subject: str, kind: RecordKind, day: Any, status: str | None
    ) -> None:
        """A record (code, category, severity, polarity) of a known entity."""
        owner = self.index.get(subject)
        if owner is None:
            return
        self.ids.append(rid)
        self.owners.append(owner)
        self.kinds.append(kind)
        found = convert.to_date(day)
        self.decided.append(found.isoformat() if found else "1900-01-01")
        self.statuses.append(STATUS_CODES.get(status or "active", STATUS_OFF))

    def build(self) -> GraphData:
        return GraphData.of(
            keys=self.keys,
            is_company=np.array(self.is_company, dtype=bool),
            link_from=np.array(self.starts, dtype=np.int64),
            link_to=np.array(self.ends, dtype=np.int64),
            link_rel=self.rels,
            link_stake=np.array(self.stakes, dtype=np.float64),
            record_ids=self.ids,
            record_entity=np.array(self.owners, dtype=np.int64),
            record_kinds=self.kinds,
            record_decided=np.array(self.decided, dtype="datetime64[D]"),
            record_status=np.array(self.statuses, dtype=np.int64),
        )


def key_ranges(keys: Iterable[str], chunk: int | None = None) -> list[tuple[str, str]]:
    """Half-open ranges ``[lo, hi)`` of keys, each holding about ``chunk`` (``CHUNK``) of them,
    that together cover every string (the first starts below, the last ends above every key)."""
    chunk = chunk or CHUNK
    ordered = sorted(keys)
    bounds = [LOWEST, *ordered[chunk::chunk], HIGHEST]
    return list(itertools.pairwise(bounds))


async def ranged(
    graph: Graph,
    query: LiteralString,
    ranges: list[tuple[str, str]],
    on_chunk: Callable[[int, dict[str, Any]], None],
    params: dict[str, Any] | None = None,
) -> None:
    """Run ``query`` once per key range, ``READERS`` at a time, and hand each range's one row
    to ``on_chunk`` with the range's number as it arrives (memory: a few chunks, not all)."""
    gate = asyncio.Semaphore(READERS)

    async def one(n: int, lo: str, hi: str) -> None:
        async with gate:
            rows = await graph.read(query, {**(params or {}), "lo": lo, "hi": hi})
        if rows:
            on_chunk(n, rows[0])

    await asyncio.gather(*(one(n, lo, hi) for n, (lo, hi) in enumerate(ranges)))


class _Codes:
    """Indexes for repeated values, assigned as they are first seen."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}

    def of(self, values: Iterable[Any]) -> np.ndarray:
        seen = self.index
        return np.fromiter((seen.setdefault(v, len(seen)) for v in values), dtype=np.int64)

    @property
    def values(self) -> list[Any]:
        return list(self.index)


def _joined(parts: dict[int, np.ndarray], dtype: Any) -> np.ndarray:
    """Chunks in range order (they arrive in any order), so every run builds the same arrays."""
    ordered = [parts[n] for n in sorted(parts)]
    return np.concatenate(ordered) if ordered else np.zeros(0, dtype=dtype)


async def load_graph(graph: Graph, on_progress: Progress | None = None) -> GraphData:
    """Entities, links and records of the whole graph, as ``scoring.batch`` takes them."""
    tick = on_progress or (lambda stage, rows: None)
    companies: list[str] = (await graph.read(COMPANY_KEYS))[0]["keys"]
    persons: list[str] = (await graph.read(PERSON_KEYS))[0]["keys"]
    keys = companies + persons
    tick("entities", len(keys))
    lookup = {key: n for n, key in enumerate(keys)}.get
    rel_codes, kind_codes = _Codes(), _Codes()
    link_parts: dict[str, dict[int, np.ndarray]] = {"from": {}, "to": {}, "rel": {}, "stake": {}}

    def links(n: int, chunk: dict[str, Any]) -> None:
        a = np.fromiter((lookup(k, -1) for k in chunk["starts"]), dtype=np.int64)
        b = np.fromiter((lookup(k, -1) for k in chunk["ends"]), dtype=np.int64)
        known = (a >= 0) & (b >= 0)
        stake = np.asarray(chunk["stakes"], dtype=np.float64)[known]
        link_parts["from"][n] = a[known]
        link_parts["to"][n] = b[known]
        link_parts["rel"][n] = rel_codes.of(chunk["rels"])[known]
        link_parts["stake"][n] = np.where(stake < 0, np.nan, stake)
        tick("links", len(a))

    await ranged(graph, LINKS, key_ranges(companies), links)
    record_parts: dict[str, dict[int, np.ndarray]] = {
        "entity": {},
        "kind": {},
        "decided": {},
        "status": {},
    }
    id_parts: dict[int, list[str]] = {}
    status_code = STATUS_CODES.get

    def records(n: int, chunk: dict[str, Any]) -> None:
        owner = np.fromiter((lookup(k, -1) for k in chunk["subjects"]), dtype=np.int64)
        known = owner >= 0
        kinds = zip(
            chunk["codes"],
            chunk["categories"],
            chunk["severities"],
            chunk["polarities"],
            strict=True,
        )
        statuses = (status_code(s, STATUS_OFF) for s in chunk["statuses"])
        record_parts["entity"][n] = owner[known]
        record_parts["kind"][n] = kind_codes.of(kinds)[known]
        record_parts["decided"][n] = np.array(chunk["decided"], dtype="datetime64[D]")[known]
        record_parts["status"][n] = np.fromiter(statuses, dtype=np.int64)[known]
        ids: list[str] = chunk["ids"]
        id_parts[n] = ids if known.all() else [i for i, ok in zip(ids, known, strict=True) if ok]
        tick("records", len(owner))

    await ranged(graph, RECORDS, key_ranges(keys), records)
    return GraphData(
        keys=keys,
        is_company=np.arange(len(keys)) < len(companies),
        link_from=_joined(link_parts["from"], np.int64),
        link_to=_joined(link_parts["to"], np.int64),
        link_rel=_joined(link_parts["rel"], np.int64),
        rel_names=rel_codes.values,
        link_stake=_joined(link_parts["stake"], np.float64),
        record_ids=[i for n in sorted(id_parts) for i in id_parts[n]],
        record_entity=_joined(record_parts["entity"], np.int64),
        record_kind=_joined(record_parts["kind"], np.int64),
        kinds=kind_codes.values,
        record_decided=_joined(record_parts["decided"], "datetime64[D]"),
        record_status=_joined(record_parts["status"], np.int64),
    )
