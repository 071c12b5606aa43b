"""Reading records: a subject's records (filtered, paged, for many subjects at once), records by
id, and the publicity feed of the newest warnings across the registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, LiteralString

from graph.driver import Graph
from graph.models import Category, Polarity, Record, RecordStatus
from graph.repositories import convert

RECORDS_BY_ID = (
    "UNWIND $keys AS key\nMATCH (r:Record {recordId: key})\nRETURN key, "
    + convert.record_fields("r")
    + " AS props"
)

# Keyset paging, newest first, ties broken by record id; the cursor is the last row's pair. The
# date window keeps the scan on the decidedOn index; the caller widens it until the page fills.
PUBLICITY = (
    """
MATCH (r:Record)
WHERE r.decidedOn >= $from AND r.decidedOn <= $to
  AND r.polarity = 'warning' AND r.status = 'active'
  AND (NOT $companiesOnly OR EXISTS { MATCH (r)-[:CONCERNS]->(:Company) })
  AND ($afterDate IS NULL OR r.decidedOn < $afterDate
       OR (r.decidedOn = $afterDate AND r.recordId > $afterId))
RETURN """
    + convert.record_fields("r")
    + """ AS props
ORDER BY r.decidedOn DESC, r.recordId
LIMIT $limit
"""
)
EARLIEST = date(1900, 1, 1)  # no record is older: graph.rows refuses earlier dates


@dataclass(frozen=True)
class RecordFilter:
    """Which of a subject's records to list, and which page."""

    polarity: Polarity | None = None
    category: Category | None = None
    status: RecordStatus | None = None
    skip: int = 0
    limit: int = 20


@dataclass(frozen=True)
class RecordPage:
    records: list[Record]
    total: int


def subquery(
    slot: LiteralString, key: LiteralString = "key", only: frozenset[str] | None = None
) -> LiteralString:
    """A ``CALL`` subquery for one page of the records of the outer statement's ``key``, newest
    first, and how many there are in all, in columns ``page<slot>`` and ``total<slot>``, with the
    parameters ``subquery_params`` gives (of each record, ``only`` these properties and the
    required ones, ``convert.record_fields``)."""
    return (
        "CALL (" + key + ") {\nMATCH (r:Record {subjectKey: " + key + "})\n"
        "WHERE ($polarity" + slot + " IS NULL OR r.polarity = $polarity" + slot + ")\n"
        "  AND ($category" + slot + " IS NULL OR r.category = $category" + slot + ")\n"
        "  AND ($status" + slot + " IS NULL OR r.status = $status" + slot + ")\n"
        "WITH r ORDER BY r.decidedOn DESC, r.recordId\n"
        "WITH collect(" + convert.record_fields("r", only) + ") AS found\n"
        "RETURN size(found) AS total"
        + slot
        + ", found[$skip"
        + slot
        + "..$end"
        + slot
        + "] AS page"
        + slot
        + "\n}\n"
    )


# One page of each subject's records, with each subject's total.
RECORDS_OF_SUBJECTS = "UNWIND $keys AS key\n" + subquery("") + "RETURN key, total, page"


def subquery_params(slot: str, wanted: RecordFilter) -> dict[str, Any]:
    return {f"{name}{slot}": value for name, value in _params(wanted).items()}


def page_of(row: Mapping[str, Any], slot: str) -> RecordPage:
    """The page a ``subquery`` put in ``row``."""
    return RecordPage([convert.record(p) for p in row[f"page{slot}"]], int(row[f"total{slot}"]))


def _params(wanted: RecordFilter) -> dict[str, Any]:
    return {
        "polarity": wanted.polarity.value if wanted.polarity else None,
        "category": wanted.category.value if wanted.category else None,
        "status": wanted.status.value if wanted.status else None,
        "skip": wanted.skip,
        "end": wanted.skip + wanted.limit,
    }


async def records_by_id(graph: Graph, keys: Sequence[str]) -> list[Record | None]:
    """The records with these ids, in key order."""
    if not keys:
        return []
    rows = await graph.read(RECORDS_BY_ID, {"keys": list(dict.fromkeys(keys))})
    found = {row["key"]: convert.record(row["props"]) for row in rows}
    return [found.get(k) for k in keys]


async def records_of_subjects(
    graph: Graph, keys: Sequence[str], wanted: RecordFilter
) -> list[RecordPage]:
    """One page of records for each subject key, newest first, with each subject's total."""
    if not keys:
        return []
    rows = await graph.read(
        RECORDS_OF_SUBJECTS, {"keys": list(dict.fromkeys(keys)), **_params(wanted)}
    )
    found = {row["key"]: page_of(row, "") for row in rows}
    return [found.get(k, RecordPage([], 0)) for k in keys]


async def publicity(
    graph: Graph,
    *,
    since: date | None,
    after: tuple[date, str] | None,
    limit: int,
    companies_only: bool = False,
) -> list[Record]:
    """The newest active warning records across the registry (of companies only, when
    ``companies_only``), after a keyset cursor.

    Looks back through windows of 8, 32, 128 ... days from the cursor (or today) so that each
    statement reads a bounded slice of the date index, and stops at ``since``.
    """
    top = after[0] if after else date.today()
    floor = since or EARLIEST
    if top < floor:
        return []
    found: list[Record] = []
    span = 8
    upper = top
    while len(found) < limit and upper >= floor:
        lower = max(floor, upper - timedelta(days=span - 1))
        rows = await graph.read(
            PUBLICITY,
            {
                "from": lower,
                "to": upper,
                "afterDate": after[0] if after else None,
                "afterId": after[1] if after else None,
                "limit": limit - len(found),
                "companiesOnly": companies_only,
            },
        )
        found += [convert.record(row["props"]) for row in rows]
        upper = lower - timedelta(days=1)
        span *= 4
    return found
