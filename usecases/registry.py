"""Writing the registry one entity at a time: a company or a person registered or updated, two
entities linked, a record added (and everything it can reach rescored).

Input is the import format's row (``graph.rows`` checks it, the same checks as a bulk import);
a row that fails, or that names an entity the registry does not hold, is a ``Refusal`` naming
the field (snake_case, as the row has it). Every write is audited; a write the registry
refused is audited as ``refused``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from graph.driver import Graph
from graph.errors import GraphConflict
from graph.models import Company, LinkInput, Person, Record, RecordInput
from graph.repositories import writes
from graph.repositories.entities import companies_by_uscc, entities_by_key, persons_by_id_number
from graph.repositories.records import records_by_id
from graph.rows import RowError, parse_company, parse_link, parse_person, parse_record
from usecases import events
from usecases.errors import Refusal
from usecases.scores import rescore_around
from usecases.session import Session

T = TypeVar("T")
Row = Mapping[str, Any]


@dataclass(frozen=True)
class Written(Generic[T]):
    """What a write stored, and whether it was new."""

    stored: T
    created: bool


def read_back(stored: T | None) -> T:
    """What a write just stored, read back in its transaction. Under a concurrent creation of
    the same key the embedded backend's index can miss it for that transaction: a conflict,
    so the whole write is run again (``Session.audited`` retries), never an assertion."""
    if stored is None:
        raise GraphConflict("a concurrent write of the same key hid it from its transaction")
    return stored


def _parsed(parse: Any, raw: Row, source: str) -> Any:
    try:
        return parse(raw, source)
    except RowError as exc:
        raise Refusal(exc.field, exc.reason) from None


async def upsert_company(session: Session, raw: Row, source: str) -> Written[Company]:
    """Create or update a company by its USCC."""
    company = _parsed(parse_company, raw, source)

    async def work(graph: Graph) -> Written[Company]:
        outcome = await writes.upsert_companies(graph, [company])
        stored = read_back((await companies_by_uscc(graph, [company.uscc]))[0])
        return Written(stored, outcome.created == 1)

    return await session.audited("upsertCompany", dict(raw), lambda _: [company.uscc], work)


async def upsert_person(session: Session, raw: Row, source: str) -> Written[Person]:
    """Create or update a person by their identity number."""
    person = _parsed(parse_person, raw, source)

    async def work(graph: Graph) -> Written[Person]:
        outcome = await writes.upsert_persons(graph, [person])
        stored = read_back((await persons_by_id_number(graph, [person.id_number]))[0])
        return Written(stored, outcome.created == 1)

    return await session.audited("upsertPerson", dict(raw), lambda _: [person.id_number], work)


async def _unmatched(session: Session, parsed: LinkInput | RecordInput) -> Refusal:
    keys = [parsed.from_key, parsed.to_key] if isinstance(parsed, LinkInput) else [parsed.subject]
    error = writes.unmatched_error(parsed, await writes.known_keys(session.graph, keys))
    return Refusal(error.field, error.reason)


async def link_entities(session: Session, raw: Row, source: str) -> Written[LinkInput]:
    """Link two entities that are both in the registry (never by name)."""
    link: LinkInput = _parsed(parse_link, raw, source)

    async def work(graph: Graph) -> writes.BatchOutcome:
        return await writes.upsert_links(graph, [link])

    outcome = await session.audited(
        "linkEntities",
        dict(raw),
        lambda done: [] if done.unmatched else [link.from_key, link.to_key],
        work,
        kind=lambda done: "refused" if done.unmatched else "write",
    )
    if outcome.unmatched:
        raise await _unmatched(session, link)
    return Written(link, outcome.created == 1)


@dataclass(frozen=True)
class AddedRecord:
    record: Record
    created: bool
    rescored: int  # score snapshots that changed: the subject's and its neighbourhood's


async def add_record(session: Session, raw: Row, source: str) -> AddedRecord:
    """Add (or amend) a record about a person or company in the registry; when it changed,
    watchers hear of a new one and everything it can reach is rescored, in its transaction."""
    record: RecordInput = _parsed(parse_record, raw, source)

    async def work(graph: Graph) -> tuple[writes.BatchOutcome, AddedRecord | None]:
        outcome = await writes.upsert_records(graph, [record])
        if outcome.conflicts or outcome.unmatched:
            return outcome, None
        stored = read_back((await records_by_id(graph, [record.record_id]))[0])
        await events.emit(graph, events.records_added([record] if outcome.fresh else [], _now()))
        rescored = 0
        if outcome.created or outcome.updated:
            subject = (await entities_by_key(graph, [record.subject]))[0]
            assert subject is not None
            rescored = await rescore_around(
                graph, session.schemes, record.subject, subject.kind, date.today()
            )
        return outcome, AddedRecord(stored, outcome.created == 1, rescored)

    outcome, done = await session.audited(
        "addRecord",
        dict(raw),
        lambda r: [record.subject] if r[1] else [],
        work,
        kind=lambda r: "write" if r[1] else "refused",
    )
    if outcome.conflicts:
        conflict = next(iter(outcome.conflicts.values()))
        raise Refusal(conflict.field, conflict.reason)
    if done is None:
        raise await _unmatched(session, record)
    return done


def _now() -> datetime:
    return datetime.now(UTC)
