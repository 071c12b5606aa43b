"""Watches: follow an entity, list what you follow, and receive its events as they happen.

A watch belongs to the API key that made it, so watching needs a key. ``watchEvents`` is a
subscription (graphql-transport-ws on ``/graphql``) fed by its worker's hub (``api.watch_hub``),
which reads events for all the worker's subscriptions together when writers announce them; any
worker behind a load balancer can serve it, and it picks up watches added after it started.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api.access import AUDITED_READERS
from api.codes import ErrorCode
from api.context import Info
from api.errors import PublicError
from api.permissions import Inherited, ScoreField, fields_need
from api.read_audit import flush_reads
from api.types.described import described
from api.types.nodes import entity_type
from api.watch_hub import WatchHub
from graph.models import EntityKind
from graph.repositories import watch as watches
from graph.repositories.entities import entities_by_key
from scoring.vocabulary import LevelName
from usecases import watching

if TYPE_CHECKING:
    from api.types.entity import EntityType
    from api.types.record import RecordType

LazyEntity = Annotated["EntityType", strawberry.lazy("api.types.entity")]
LazyRecord = Annotated["RecordType", strawberry.lazy("api.types.record")]


described(
    watches.EventKind,
    "What happened to a watched entity.",
    {
        watches.EventKind.RECORD_ADDED: "A record about it was added.",
        watches.EventKind.LEVEL_CHANGED: "Its level changed.",
        watches.EventKind.BLACKLIST_ENTERED: "It was put on the blacklist.",
        watches.EventKind.BLACKLIST_LEFT: "It left the blacklist.",
        watches.EventKind.RECORD_DISPUTED: "A record about it was disputed.",
        watches.EventKind.DISPUTE_DECIDED: "A dispute of one of its records was decided.",
    },
    name="WatchEventKind",
)


@fields_need(Inherited)
@strawberry.type(description="An entity the caller's key watches.")
class WatchEntry:
    entity: LazyEntity = strawberry.field(description="The entity watched.")
    since: datetime = strawberry.field(description="When the watch began.")


@fields_need(Inherited)
@strawberry.type(description="Something that happened to a watched entity.")
class WatchEvent:
    id: strawberry.ID = strawberry.field(description="The event's id (unique).")
    kind: watches.EventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When it happened.")
    entity: LazyEntity = strawberry.field(description="The entity it happened to.")
    record: LazyRecord | None = strawberry.field(
        description="The record, for RECORD_ADDED and the dispute events (its own rule "
        "decides what the watcher may read of it)."
    )
    # A person's score is in their full file: a watcher that may not read it gets none of it.
    scheme: str | None = strawberry.field(
        description="The scheme, for level and blacklist events; a person's for full-file "
        "readers only.",
        permission_classes=[ScoreField],
    )
    level: LevelName | None = strawberry.field(
        description="The level after the change (a person's for full-file readers only).",
        permission_classes=[ScoreField],
    )
    previous_level: LevelName | None = strawberry.field(
        description="The level before the change (a person's for full-file readers only).",
        permission_classes=[ScoreField],
    )
    value: float | None = strawberry.field(
        description="The score after the change (a person's for full-file readers only).",
        permission_classes=[ScoreField],
    )
    subject_key: strawberry.Private[str]


async def _entity(info: Info, id: strawberry.ID) -> tuple[str, Any]:
    from api.resolvers.investigation import entity_of

    found = await entity_of(info, id, "id")
    return found.record_subject(), found


async def watch(info: Info, id: strawberry.ID) -> WatchEntry:
    key, entity = await _entity(info, id)
    found = await watching.watch(info.context.session, key, {"id": str(id)})
    return WatchEntry(entity=entity, since=found.created_at)


async def unwatch(info: Info, id: strawberry.ID) -> bool:
    key, _ = await _entity(info, id)
    return await watching.unwatch(info.context.session, key, {"id": str(id)})


async def watchlist(info: Info) -> list[WatchEntry]:
    found = await watches.watchlist(info.context.graph, watching.watcher(info.context.session))
    entities = await entities_by_key(info.context.graph, [w.subject_key for w in found])
    return [
        WatchEntry(entity=entity_type(e), since=w.created_at)
        for w, e in zip(found, entities, strict=True)
        if e is not None
    ]


async def _audit_delivery(info: Info, event_id: str, person: str) -> None:
    """An event about a person is a read of that person by a relying party or investigator:
    its entry is appended before the event goes out (no delivery without its entry)."""
    context = info.context
    if context.caller.role not in AUDITED_READERS:
        return
    await context.session.audited_read("watchEvents", {"event": event_id}, [person])
    context.reads.audited.add(person)


async def events(info: Info) -> AsyncGenerator[WatchEvent, None]:
    """Events of the caller's watched entities from the moment of subscribing, oldest first,
    as the worker's hub (``api.watch_hub``) hands them to this subscription."""
    from api.types.record import RecordType

    graph = info.context.graph
    hub: WatchHub = info.context.request.app.state.watch_hub
    subscription = await hub.subscribe(watching.watcher(info.context.session))
    try:
        async for fresh in subscription.batches():
            subjects = await entities_by_key(graph, list({e.subject_key for e in fresh}))
            by_key = {e.key: e for e in subjects if e is not None}
            records = await info.context.loaders.record.load_many(
                [e.record_id for e in fresh if e.record_id]
            )
            by_id = {r.record_id: r for r in records if r is not None}
            for event in fresh:
                subject = by_key.get(event.subject_key)
                if subject is None:
                    continue
                record = by_id.get(event.record_id or "")
                person = subject.kind is EntityKind.PERSON
                if person:
                    await _audit_delivery(info, event.event_id, subject.key)
                yield WatchEvent(
                    id=strawberry.ID(event.event_id),
                    kind=event.kind,
                    at=event.at,
                    entity=entity_type(subject),
                    record=RecordType.of(record) if record else None,
                    scheme=event.scheme_id,
                    level=LevelName(event.level) if event.level else None,
                    previous_level=LevelName(event.previous_level)
                    if event.previous_level
                    else None,
                    value=event.value,
                    subject_key=event.subject_key,
                )
                if person:
                    # The next event about this person is another read, with its own entry.
                    info.context.reads.audited.discard(subject.key)
                    info.context.reads.subjects.discard(subject.key)
                await flush_reads(info.context)
        if subscription.revoked:
            raise PublicError(
                "watchEvents: the API key was revoked", code=ErrorCode.UNAUTHENTICATED
            )
        if subscription.behind:
            raise PublicError(
                "watchEvents: this subscription fell too far behind its events; subscribe "
                "again (events since then are in the graph: the entities' records and scores)",
                code=ErrorCode.UNAVAILABLE,
            )
    finally:
        hub.unsubscribe(subscription)
