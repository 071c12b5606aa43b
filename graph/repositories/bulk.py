"""Reading the whole graph as arrays for the whole-graph scoring pass (streamed, not paged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graph.driver import Graph
from graph.repositories import convert
from scoring.batch import STATUS_CODES, STATUS_OFF, GraphData

COMPANY_KEYS = "MATCH (c:Company) RETURN c.uscc"
PERSON_KEYS = "MATCH (p:Person) RETURN p.idNumber"
LINKS = """
MATCH (a)-[r:LEGAL_REPRESENTATIVE_OF|SHAREHOLDER_OF|OFFICER_OF|BRANCH_OF]->(b:Company)
RETURN coalesce(a.uscc, a.idNumber), b.uscc, type(r), r.stake
"""
RECORDS = """
MATCH (r:Record)
RETURN r.recordId, r.subjectKey, r.code, r.category, r.severity, r.polarity, r.decidedOn,
       r.status
"""
Progress = Callable[[str, int], None]


class GraphArrays:
    """Collects entities, links and records (by entity index) and builds ``GraphData``."""

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
        self.columns: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
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
        self, rid: str, subject: str, kinds: tuple[str, str, str, str], day: Any, status: str | None
    ) -> None:
        """A record (code, category, severity, polarity) of a known entity."""
        owner = self.index.get(subject)
        if owner is None:
            return
        self.ids.append(rid)
        self.owners.append(owner)
        for column, value in zip(self.columns, kinds, strict=True):
            column.append(value)
        found = convert.to_date(day)
        self.decided.append(found.isoformat() if found else "1900-01-01")
        self.statuses.append(STATUS_CODES.get(status or "active", STATUS_OFF))

    def build(self) -> GraphData:
        return GraphData(
            keys=self.keys,
            is_company=np.array(self.is_company, dtype=bool),
            link_from=np.array(self.starts, dtype=np.int64),
            link_to=np.array(self.ends, dtype=np.int64),
            link_rel=self.rels,
            link_stake=np.array(self.stakes, dtype=np.float64),
            record_ids=self.ids,
            record_entity=np.array(self.owners, dtype=np.int64),
            record_code=self.columns[0],
            record_category=self.columns[1],
            record_severity=self.columns[2],
            record_polarity=self.columns[3],
            record_decided=np.array(self.decided, dtype="datetime64[D]"),
            record_status=np.array(self.statuses, dtype=np.int64),
        )


async def load_graph(graph: Graph, on_progress: Progress | None = None) -> GraphData:
    """Entities, links and records of the whole graph, as ``scoring.batch`` takes them."""
    tick = on_progress or (lambda stage, rows: None)
    keys: list[str] = []
    is_company: list[bool] = []
    for query, company in ((COMPANY_KEYS, True), (PERSON_KEYS, False)):
        async for (key,) in graph.stream(query):
            keys.append(key)
            is_company.append(company)
            if len(keys) % 10_000 == 0:
                tick("entities", 10_000)
    arrays = GraphArrays(keys, is_company)
    count = 0
    async for start, end, rel, stake in graph.stream(LINKS):
        arrays.link(start, end, rel, stake)
        count += 1
        if count % 10_000 == 0:
            tick("links", 10_000)
    count = 0
    async for rid, subject, code, category, severity, polarity, day, status in graph.stream(
        RECORDS
    ):
        arrays.record(rid, subject, (code, category, severity, polarity), day, status)
        count += 1
        if count % 10_000 == 0:
            tick("records", 10_000)
    return arrays.build()
