"""Reading the whole graph as arrays for the whole-graph scoring pass (streamed, not paged)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graph.driver import Graph
from graph.repositories import convert
from scoring.batch import STATUS_CODES, GraphData

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
    index = {key: n for n, key in enumerate(keys)}
    starts: list[int] = []
    ends: list[int] = []
    rels: list[str] = []
    stakes: list[float] = []
    async for start, end, rel, stake in graph.stream(LINKS):
        if start in index and end in index:
            starts.append(index[start])
            ends.append(index[end])
            rels.append(rel)
            stakes.append(np.nan if stake is None else float(stake))
        if len(rels) % 10_000 == 0:
            tick("links", 10_000)
    ids: list[str] = []
    owners: list[int] = []
    columns: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
    decided: list[str] = []
    statuses: list[int] = []
    async for rid, subject, code, category, severity, polarity, day, status in graph.stream(
        RECORDS
    ):
        owner = index.get(subject)
        if owner is None:
            continue
        ids.append(rid)
        owners.append(owner)
        for column, value in zip(columns, (code, category, severity, polarity), strict=True):
            column.append(value)
        found = convert.to_date(day)
        decided.append(found.isoformat() if found else "1900-01-01")
        statuses.append(STATUS_CODES.get(status or "active", 2))
        if len(ids) % 10_000 == 0:
            tick("records", 10_000)
    return GraphData(
        keys=keys,
        is_company=np.array(is_company, dtype=bool),
        link_from=np.array(starts, dtype=np.int64),
        link_to=np.array(ends, dtype=np.int64),
        link_rel=rels,
        link_stake=np.array(stakes, dtype=np.float64),
        record_ids=ids,
        record_entity=np.array(owners, dtype=np.int64),
        record_code=columns[0],
        record_category=columns[1],
        record_severity=columns[2],
        record_polarity=columns[3],
        record_decided=np.array(decided, dtype="datetime64[D]"),
        record_status=np.array(statuses, dtype=np.int64),
    )
