"""One async Neo4j driver per process, and the ``Graph`` gateway the repositories talk through.

Repositories never touch the driver: they pass a module-level Cypher constant and parameters to
``Graph.read`` / ``Graph.write`` (one-shot, retried by the driver) or ``Graph.transaction`` (several
statements that must commit together). Every driver exception is mapped by ``graph.errors``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, LiteralString

import neo4j
import neo4j.spatial
import neo4j.time
from neo4j import (
    AsyncDriver,
    AsyncGraphDatabase,
    AsyncManagedTransaction,
    AsyncSession,
    RoutingControl,
)

from graph.dialect import Dialect, FulltextIndex, fulltext_query_name
from graph.errors import GraphUnavailable, UnauditedWrite, translate_errors
from graph.notices import Channel, Notices, notices_for

log = logging.getLogger("credgraph.graph")
Row = dict[str, Any]
_SCALARS = frozenset({str, int, float, bool, type(None)})
MAX_IDLE_SESSIONS = 64  # idle sessions a Graph keeps for each access mode
# What ``Record.data()`` leaves as it is, besides the scalars.
_LEAVES: tuple[type, ...] = (neo4j.time.Date, neo4j.time.Time, neo4j.time.DateTime)
_LEAVES += (neo4j.time.Duration, neo4j.spatial.Point, bytes, bytearray)


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only scalars, temporal values, lists and maps: no node,
    relationship or path, which ``Record.data()`` would turn into something else. A loop over
    the nested lists and maps, not a call a value: a nested lookup's row holds thousands."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is not list and kind is not dict:
        return isinstance(value, _LEAVES)
    pending: list[Any] = [value]
    while pending:
        container = pending.pop()
        for item in container.values() if type(container) is dict else container:
            kind = type(item)
            if kind in _SCALARS:
                continue
            if kind is list or kind is dict:
                pending.append(item)
            elif not isinstance(item, _LEAVES):
                return False
    return True


def row(record: neo4j.Record) -> Row:
    """One result record as a dict, exactly as ``record.data()`` makes it. Most rows are
    scalars, lists and maps, which ``data()`` would only copy (its walk cost a lookup more CPU
    than the statement's own round trip): those are taken as they are."""
    if all(map(_plain, record)):
        return dict(zip(record.keys(), record, strict=True))
    return record.data()


@dataclass(frozen=True)
class GraphConfig:
    """How to reach the graph backend."""

    uri: str
    user: str
    password: str
    database: str
    dialect: Dialect = Dialect.NEO4J
    http_url: str | None = None  # ArcadeDB's HTTP API, for the schema steps only SQL can do there
    connection_timeout: float = 5.0
    query_timeout: float = 30.0
    max_pool_size: int = 50
    # Where committed changes are announced to the other processes (``graph.notices``): a
    # Redis server's URL, or None for this process only.
    redis_url: str | None = None

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)


def create_driver(config: GraphConfig) -> AsyncDriver:
    """A driver with timeouts short enough that a dead backend is noticed within seconds."""
    return AsyncGraphDatabase.driver(
        config.uri,
        auth=config.auth,
        connection_timeout=config.connection_timeout,
        connection_acquisition_timeout=config.connection_timeout * 2,
        max_transaction_retry_time=config.connection_timeout * 2,
        max_connection_pool_size=config.max_pool_size,
        liveness_check_timeout=30.0,
        notifications_min_severity="OFF",
    )


class Graph:
    """The gateway to one database on the backend."""

    def __init__(
        self, driver: AsyncDriver, config: GraphConfig, notices: Notices | None = None
    ) -> None:
        self.driver = driver
        self.config = config
        # Shared by every gateway made on this one (``LimitedGraph``, ``BoundGraph``).
        self.notices: Notices = notices if notices is not None else notices_for(None)
        self.database = config.database
        self.dialect = config.dialect
        self.statements = 0  # statements sent so far; tests use it to count a request's queries
        # Sessions for auto-commit statements, by access mode, idle between statements: a
        # session holds its connection only while its result is open, and making one merges
        # the driver's whole configuration (a tenth of a lookup's driver time).
        self._idle: dict[str, list[AsyncSession]] = {}

    @classmethod
    async def connect(cls, config: GraphConfig) -> Graph:
        """Open the driver and check that the backend answers."""
        driver = create_driver(config)
        try:
            with translate_errors():
                await driver.verify_connectivity()
        except BaseException:
            await driver.close()
            raise
        return cls(driver, config, notices_for(config.redis_url))

    async def close(self) -> None:
        await self.release()
        await self.driver.close()
        await self.notices.close()

    async def announce(self, channel: Channel, payload: list[str]) -> None:
        """Tell every process serving this graph (``graph.notices``) about a change this
        gateway committed: at once here, where each statement commits on its own; after the
        commit on a transaction (``BoundGraph``). A notice that cannot go out is logged, never
        the write's failure: listeners also look at the graph themselves."""
        await _publish(self.notices, channel, payload)

    async def release(self) -> None:
        """Close the idle sessions (a gateway made on another's driver, done with)."""
        idle = [session for sessions in self._idle.values() for session in sessions]
        self._idle.clear()
        for session in idle:
            await session.close()

    def require_audited(self, kind: str) -> None:
        """Refuse, before anything is written, to write tracked objects (``kind``) outside an
        audited transaction (a ``BoundGraph`` opened by ``audit.act``). Every repository
        function that writes them calls this first, and ``touch`` after each statement."""
        raise UnauditedWrite(f"{kind} objects may only be written in an audited transaction")

    def touch(self, kind: str, keys: Iterable[str], stored: Iterable[Any] | None = None) -> None:
        """Note the tracked objects a write statement changed, for the audit entry of its
        transaction to seal (``graph.repositories.state``): with ``stored``, each one's row
        as the statement returned it (its properties, ``props``) or the seal the writer made
        of what it stored (``graph.repositories.seals.Seal``), else it is read back before the
        entry is written. Outside an audited transaction it raises (and the transaction
        rolls back)."""
        keys = list(keys)
        if keys:
            raise UnauditedWrite(
                f"{len(keys)} {kind} object(s) written outside an audited transaction"
            )

    def _query(self, text: LiteralString, timeout: float | None) -> neo4j.Query:
        return neo4j.Query(text, timeout=timeout or self.config.query_timeout)

    async def read(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> list[Row]:
        """Run a read statement (retried on transient failures) and return its rows as dicts.

        A read is one auto-commit statement (RUN and PULL in one round trip), not a managed
        transaction (BEGIN, RUN, PULL, COMMIT): a third less time per lookup. It joins the
        driver's bookmarks, so it sees every write ``write`` committed before it, on a cluster
        too, and it is retried like a managed transaction while the backend is away.
        """
        return await self._read(query, params, timeout)

    async def write(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> list[Row]:
        """Run one write statement in its own transaction and return its rows as dicts."""
        return await self._execute(query, params, RoutingControl.WRITE, timeout)

    async def write_once(
        self, query: LiteralString, params: Mapping[str, Any] | None = None
    ) -> list[Row]:
        """Run one write statement as an auto-commit transaction: RUN and PULL in one round
        trip, where ``write``'s managed transaction takes two (BEGIN, RUN and PULL; COMMIT).
        It is retried on transient failures like a read, and a commit whose answer was lost
        cannot be told from one that failed: the statement must be guarded so that running
        it again is harmless (the audit chain's compare-and-set on its head)."""
        return await self._write_once(query, params)

    async def write_in_batches(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        """Run a ``CALL { ... } IN TRANSACTIONS`` statement: in an implicit (auto-commit)
        transaction, the only kind in which Neo4j lets a statement commit batch by batch."""
        limit = timeout or self.config.query_timeout
        self.statements += 1
        with translate_errors():
            async with asyncio.timeout(limit + self.config.connection_timeout * 3):
                async with self.driver.session(
                    database=self.database,
                    bookmark_manager=self.driver.execute_query_bookmark_manager,
                ) as session:
                    result = await session.run(self._query(query, limit), dict(params or {}))
                    await result.consume()

    async def _execute(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None,
        routing: RoutingControl,
        timeout: float | None,
    ) -> list[Row]:
        limit = timeout or self.config.query_timeout
        self.statements += 1
        # asyncio.timeout rather than wait_for: no extra task per statement on the hot path.
        with translate_errors():
            async with asyncio.timeout(limit + self.config.connection_timeout * 3):
                result = await self.driver.execute_query(
                    self._query(query, limit),
                    dict(params or {}),
                    database_=self.database,
                    routing_=routing,
                )
        return [row(record) for record in result.records]

    async def _read(
        self, query: LiteralString, params: Mapping[str, Any] | None, timeout: float | None
    ) -> list[Row]:
        return await self._auto_commit(query, params, timeout, neo4j.READ_ACCESS)

    async def _write_once(
        self, query: LiteralString, params: Mapping[str, Any] | None
    ) -> list[Row]:
        return await self._auto_commit(query, params, None, neo4j.WRITE_ACCESS)

    async def _auto_commit(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None,
        timeout: float | None,
        mode: str,
    ) -> list[Row]:
        """One auto-commit statement, retried on transient failures for a while (the backend
        restarting, a leader election)."""
        limit = timeout or self.config.query_timeout
        self.statements += 1
        retry_until = time.monotonic() + self.config.connection_timeout * 2
        delay = 0.1
        with translate_errors():
            async with asyncio.timeout(limit + self.config.connection_timeout * 3):
                while True:
                    try:
                        return await self._on_idle_session(mode, query, params, limit)
                    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
                        if not exc.is_retryable() or time.monotonic() + delay > retry_until:
                            raise
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)

    async def _on_idle_session(
        self,
        mode: str,
        query: LiteralString,
        params: Mapping[str, Any] | None,
        limit: float,
    ) -> list[Row]:
        """One auto-commit statement on a session of ``mode`` that no statement is using (a new
        one when none is idle). The session goes back idle once its result is read to the end;
        after any failure or cancellation it is closed instead, never used again."""
        idle = self._idle.setdefault(mode, [])
        session = (
            idle.pop()
            if idle
            else self.driver.session(
                database=self.database,
                default_access_mode=mode,
                bookmark_manager=self.driver.execute_query_bookmark_manager,
            )
        )
        try:
            result = await session.run(self._query(query, limit), dict(params or {}))
            rows = [row(record) async for record in result]
        except BaseException:
            await session.close()
            raise
        if len(idle) < MAX_IDLE_SESSIONS:
            idle.append(session)
        else:
            await session.close()
        return rows

    @asynccontextmanager
    async def transaction(self, *, timeout: float | None = None) -> AsyncIterator[Transaction]:
        """An explicit write transaction: committed when the block ends, rolled back on error.

        It shares the driver's bookmarks with ``read`` and ``write``: on a cluster, a read after
        it sees what it wrote."""
        with translate_errors():
            async with self.driver.session(
                database=self.database, bookmark_manager=self.driver.execute_query_bookmark_manager
            ) as session:
                tx = await session.begin_transaction(timeout=timeout or self.config.query_timeout)
                try:
                    yield Transaction(tx, self)
                except BaseException:
                    await tx.rollback()
                    raise
                await tx.commit()

    async def stream(
        self, query: LiteralString, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[Any]]:
        """Rows of a large read as value lists, fetched in batches as they are consumed."""
        self.statements += 1
        with translate_errors():
            async with self.driver.session(
                database=self.database,
                default_access_mode=neo4j.READ_ACCESS,
                fetch_size=10_000,
                bookmark_manager=self.driver.execute_query_bookmark_manager,
            ) as session:
                result = await session.run(query, dict(params or {}))
                async for record in result:
                    yield record.values()

    async def ping(self, timeout: float = 3.0) -> None:
        """Raise ``GraphUnavailable`` unless the backend answers ``RETURN 1`` within ``timeout``."""
        try:
            with translate_errors():
                async with asyncio.timeout(timeout):
                    async with self.driver.session(database=self.database) as session:
                        result = await session.run("RETURN 1 AS ok")
                        await result.consume()
        except TimeoutError as exc:
            raise GraphUnavailable(
                f"the graph backend did not answer within {timeout:.0f}s"
            ) from exc

    def fulltext_index(self, index: FulltextIndex) -> str:
        """The backend's name for a full-text index declared in the migrations."""
        return fulltext_query_name(self.dialect, index)


class Transaction:
    """A thin wrapper over a driver transaction that returns rows as dicts."""

    def __init__(
        self, tx: neo4j.AsyncTransaction | AsyncManagedTransaction, graph: Graph | None = None
    ) -> None:
        self._tx = tx
        self._graph = graph

    async def run(self, query: LiteralString, params: Mapping[str, Any] | None = None) -> list[Row]:
        if self._graph is not None:
            self._graph.statements += 1
        with translate_errors():
            result = await self._tx.run(query, dict(params or {}))
            return [row(record) async for record in result]


class BoundGraph(Graph):
    """A ``Graph`` whose every statement runs inside one open transaction.

    Repositories take a ``Graph``; handing them a bound one makes all they do, and whatever
    else the caller runs on the transaction (an audit entry), commit or roll back together.
    ``transaction()`` on it joins the open transaction instead of starting one.
    """

    def __init__(self, tx: Transaction, graph: Graph, *, audited: bool = False) -> None:
        super().__init__(graph.driver, graph.config, graph.notices)
        self._tx = tx
        self._parent = graph
        self.audited = audited
        self.announced: list[tuple[Channel, list[str]]] = []  # published once committed
        # kind -> key -> the object as the last statement that changed it returned it, or its
        # seal (None: to be read back), in order of first touch
        self.touched: dict[str, dict[str, Any]] = {}

    def require_audited(self, kind: str) -> None:
        if not self.audited:
            super().require_audited(kind)

    async def announce(self, channel: Channel, payload: list[str]) -> None:
        self.announced.append((channel, list(payload)))

    def touch(self, kind: str, keys: Iterable[str], stored: Iterable[Any] | None = None) -> None:
        if not self.audited:
            super().touch(kind, keys)
            return
        found = self.touched.setdefault(kind, {})
        if stored is None:
            found.update(dict.fromkeys(keys))
        else:
            found.update(zip(keys, stored, strict=True))

    async def _execute(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None,
        routing: RoutingControl,
        timeout: float | None,
    ) -> list[Row]:
        return await self._tx.run(query, params)  # counted on the parent by Transaction.run

    async def _write_once(
        self, query: LiteralString, params: Mapping[str, Any] | None
    ) -> list[Row]:
        return await self._tx.run(query, params)

    async def _read(
        self, query: LiteralString, params: Mapping[str, Any] | None, timeout: float | None
    ) -> list[Row]:
        return await self._tx.run(query, params)

    @asynccontextmanager
    async def transaction(self, *, timeout: float | None = None) -> AsyncIterator[Transaction]:
        yield self._tx

    async def stream(
        self, query: LiteralString, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[Any]]:
        for row in await self._tx.run(query, params):
            yield list(row.values())


@asynccontextmanager
async def bound(
    graph: Graph, *, timeout: float | None = None, audited: bool = False
) -> AsyncIterator[BoundGraph]:
    """A transaction, as a ``Graph`` that runs everything in it; committed at the end. On a
    graph that is already bound, the same one: its statements join the open transaction (and
    what they touch is noted on it)."""
    if isinstance(graph, BoundGraph):
        yield graph
        return
    async with graph.transaction(timeout=timeout) as tx:
        bound_graph = BoundGraph(tx, graph, audited=audited)
        yield bound_graph
    for channel, payload in bound_graph.announced:  # committed: now they may be told
        await _publish(graph.notices, channel, payload)


async def _publish(notices: Notices, channel: Channel, payload: list[str]) -> None:
    if not payload:
        return
    try:
        await notices.publish(channel, payload)
    except Exception as exc:  # Redis away: the write stands, listeners catch up by looking
        log.warning("could not announce %s on %s: %s", len(payload), channel, exc)


class LimitedGraph(Graph):
    """One request's view of a ``Graph``: at most ``limit`` of its statements (or open
    transactions) at once, the rest wait their turn. A bulkhead: one request with many
    aliases or a batch cannot take the whole connection pool from everyone else.

    Everything else is the parent's (driver, settings, statement count); the statements of an
    open transaction (a ``BoundGraph`` over it) run on its connection without a second slot.
    """

    def __init__(self, graph: Graph, limit: int) -> None:
        super().__init__(graph.driver, graph.config, graph.notices)
        self._parent = graph
        self._slots = asyncio.Semaphore(limit)

    async def _execute(
        self,
        query: LiteralString,
        params: Mapping[str, Any] | None,
        routing: RoutingControl,
        timeout: float | None,
    ) -> list[Row]:
        async with self._slots:
            return await self._parent._execute(query, params, routing, timeout)

    async def _read(
        self, query: LiteralString, params: Mapping[str, Any] | None, timeout: float | None
    ) -> list[Row]:
        async with self._slots:
            return await self._parent._read(query, params, timeout)

    async def _write_once(
        self, query: LiteralString, params: Mapping[str, Any] | None
    ) -> list[Row]:
        async with self._slots:
            return await self._parent._write_once(query, params)

    @asynccontextmanager
    async def transaction(self, *, timeout: float | None = None) -> AsyncIterator[Transaction]:
        async with self._slots, self._parent.transaction(timeout=timeout) as tx:
            yield tx

    async def stream(
        self, query: LiteralString, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[Any]]:
        async with self._slots:
            async for row in self._parent.stream(query, params):
                yield row
