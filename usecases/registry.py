"""Writing the registry one entity at a time: a company or a person registered or updated, two
entities linked, a record added (and everything it can reach rescored).

Input is the import format's row (``graph.rows`` checks it, the same checks as a bulk import);
a row that fails, or that names an entity the registry does not hold, is a ``Refusal`` naming
the field (snake_case, as the row has it). Every write is audited; a write the registry
refused is audited as ``refused``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from graph.driver import Graph
from graph.errors import GraphConflict
from graph.models import REL_FROM_KINDS, Company, EntityKind, LinkInput, Person, Record, RecordInput
from graph.repositories import record_writes, writes
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
        problems = [(p.field, p.reason) for p in exc.problems]
        raise Refusal(exc.field, exc.reason, problems) from None


async def _upsert(
    session: Session,
    operation: str,
    raw: Row,
    entity: Any,
    key: str,
    write: Callable[[Graph, list[Any]], Awaitable[writes.BatchOutcome]],
    read: Callable[[Graph, list[str]], Awaitable[list[Any]]],
) -> Written[Any]:
    """Write one entity and read it back in the same audited transaction."""

    async def work(graph: Graph) -> Written[Any]:
        outcome = await write(graph, [entity])
        return Written(read_back((await read(graph, [key]))[0]), outcome.created == 1)

    return await session.audited(operation, dict(raw), lambda _: [key], work)


async def upsert_company(session: Session, raw: Row, source: str) -> Written[Company]:
    """Create or update a company by its USCC."""
    company = _parsed(parse_company, raw, source)
    return await _upsert(
        session,
        "upsertCompany",
        raw,
        company,
        company.uscc,
        writes.upsert_companies,
        companies_by_uscc,
    )


async def upsert_person(session: Session, raw: Row, source: str) -> Written[Person]:
    """Create or update a person by their identity number."""
    person = _parsed(parse_person, raw, source)
    return await _upsert(
        session,
        "upsertPerson",
        raw,
        person,
        person.id_number,
        writes.upsert_persons,
        persons_by_id_number,
    )


def why_unmatched(parsed: LinkInput | RecordInput, known: dict[str, tuple[bool, bool]]) -> RowError:
    """Why a link or record could not be attached, given which keys the registry holds (a
    bulk import writes the same reason to its rejects file)."""
    if isinstance(parsed, RecordInput):
        return RowError("subject", f"no person or company {parsed.subject} in the registry")
    person, company = known.get(parsed.from_key, (False, False))
    kinds = REL_FROM_KINDS[parsed.rel]
    if not person and not company:
        return RowError("from", f"no person or company {parsed.from_key} in the registry")
    if EntityKind.PERSON not in kinds and not company:
        return RowError(
            "from", f"{parsed.from_key} is a person; {parsed.rel.value} starts at a company"
        )
    if EntityKind.COMPANY not in kinds and not person:
        return RowError(
            "from", f"{parsed.from_key} is a company; {parsed.rel.value} starts at a person"
        )
    if not known.get(parsed.to_key, (False, False))[1]:
        return RowError("to", f"no company {parsed.to_key} in the registry")
    return RowError("from", "the link could not be attached to its ends")


async def _unmatched(session: Session, parsed: LinkInput | RecordInput) -> Refusal:
    keys = [parsed.from_key, parsed.to_key] if isinstance(parsed, LinkInput) else [parsed.subject]
    error = why_unmatched(parsed, await writes.known_keys(session.graph, keys))
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
        outcome = await record_writes.upsert_records(graph, [record])
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
