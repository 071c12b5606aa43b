"""Exporting the graph as tables for the Spark pass (``scoring.spark_pass``): entities, links and
records as JSON lines, one part file per key range, read back by every Spark executor.

Nothing is held in memory but a range at a time: the entity keys are paged in key order
(``PAGE`` a statement, by the key index) and written out as they come, the range bounds kept as
they pass; links and records are then read by those ranges as columns (``bulk``'s statements,
two ranges at a time) and each range written to a part file of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, LiteralString

import orjson

from graph.driver import Graph
from graph.repositories import bulk

PAGE = 50_000  # entity keys a statement
COMPANY_PAGE = """
MATCH (c:Company) WHERE c.uscc > $after
RETURN c.uscc AS key ORDER BY c.uscc LIMIT $limit
"""
PERSON_PAGE = """
MATCH (p:Person) WHERE p.idNumber > $after
RETURN p.idNumber AS key ORDER BY p.idNumber LIMIT $limit
"""


@dataclass
class Exported:
    """What an export wrote."""

    entities: int = 0
    links: int = 0
    records: int = 0
    parts: int = 0


async def _keys(
    graph: Graph,
    query: LiteralString,
    company: bool,
    folder: Path,
    exported: Exported,
    tick: Callable[[int], None],
) -> list[str]:
    """Page through one label's keys, writing them out; returns every ``bulk.CHUNK``-th key
    (the bounds of the ranges that read links and records)."""
    bounds: list[str] = []
    after, part = "", 0
    while True:
        rows = await graph.read(query, {"after": after, "limit": PAGE})
        if not rows:
            return bounds
        keys = [row["key"] for row in rows]
        name = f"{'company' if company else 'person'}-{part:05d}.json"
        with (folder / name).open("wb") as out:
            for key in keys:
                out.write(orjson.dumps({"key": key, "company": company}) + b"\n")
        base = exported.entities
        bounds += [k for i, k in enumerate(keys, base) if i % bulk.CHUNK == 0 and i]
        exported.entities += len(keys)
        exported.parts += 1
        tick(len(keys))
        after, part = keys[-1], part + 1
        if len(keys) < PAGE:
            return bounds


def _ranges(bounds: list[str]) -> list[tuple[str, str]]:
    edges = [bulk.LOWEST, *sorted(bounds), bulk.HIGHEST]
    return list(itertools.pairwise(edges))


async def export_tables(
    graph: Graph, folder: Path, on_progress: Callable[[int], None] | None = None
) -> Exported:
    """Write the graph's entities, links and records under ``folder`` (``entities/``,
    ``links/``, ``records/``)."""
    tick = on_progress or (lambda rows: None)
    for name in ("entities", "links", "records"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    exported = Exported()
    company_bounds = await _keys(graph, COMPANY_PAGE, True, folder / "entities", exported, tick)
    person_bounds = await _keys(graph, PERSON_PAGE, False, folder / "entities", exported, tick)

    def links(n: int, chunk: dict[str, Any]) -> None:
        with (folder / "links" / f"part-{n:05d}.json").open("wb") as out:
            for start, end, rel, stake in zip(
                chunk["starts"], chunk["ends"], chunk["rels"], chunk["stakes"], strict=True
            ):
                row = {"start": start, "end": end, "rel": rel, "stake": float(stake)}
                out.write(orjson.dumps(row) + b"\n")
        exported.links += len(chunk["starts"])
        exported.parts += 1
        tick(len(chunk["starts"]))

    def records(n: int, chunk: dict[str, Any]) -> None:
        with (folder / "records" / f"part-{n:05d}.json").open("wb") as out:
            for rid, subject, code, category, severity, polarity, decided, status in zip(
                chunk["ids"], chunk["subjects"], chunk["codes"], chunk["categories"],
                chunk["severities"], chunk["polarities"], chunk["decided"], chunk["statuses"],
                strict=True,
            ):  # fmt: skip
                row = {
                    "id": rid, "subject": subject, "code": code, "category": category,
                    "severity": severity, "polarity": polarity, "decided": str(decided)[:10],
                    "status": status,
                }  # fmt: skip
                out.write(orjson.dumps(row) + b"\n")
        exported.records += len(chunk["ids"])
        exported.parts += 1
        tick(len(chunk["ids"]))

    await bulk.ranged(graph, bulk.LINKS, _ranges(company_bounds), links)
    await bulk.ranged(graph, bulk.RECORDS, _ranges(company_bounds + person_bounds), records)
    return exported
