"""The per-request GraphQL context: the graph gateway, settings and fresh DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

if TYPE_CHECKING:
    from api.limits import Misses
from api.loaders import Loaders
from config.settings import Settings
from graph.driver import Graph
from graph.repositories.convert import Projection
from usecases.schemes import Schemes
from usecases.session import PUBLIC, Caller, Session


@dataclass
class ReadLog:
    """The people an operation read, for its read entry (``api.read_audit``)."""

    audited: set[str] = field(default_factory=set)  # whose read is logged already
    subjects: set[str] = field(default_factory=set)  # people read, to be logged
    fields: set[str] = field(default_factory=set)  # the root fields that read them

    def copy(self) -> ReadLog:
        """What it holds now, to be put back by ``restore`` when an attempt is undone."""
        return ReadLog(set(self.audited), set(self.subjects), set(self.fields))

    def restore(self, before: ReadLog) -> None:
        self.audited, self.subjects, self.fields = before.audited, before.subjects, before.fields


# Over WebSocket the connection's one context serves every operation on it, each in a task of
# its own: each operation's reads are kept in its task (``begin_operation``), not on the context.
_operation_reads: ContextVar[ReadLog | None] = ContextVar("operation_reads", default=None)


def begin_operation() -> None:
    """Give the current task (one WebSocket operation) a read log of its own."""
    _operation_reads.set(ReadLog())


@dataclass
class Context:
    """What every resolver may use; built anew for each request."""

    request: Request | WebSocket
    response: Response | None
    graph: Graph
    settings: Settings
    loaders: Loaders
    caller: Caller = PUBLIC
    connection_params: dict[str, Any] | None = None  # a WebSocket's connection_init payload
    request_reads: ReadLog = field(default_factory=ReadLog)  # an HTTP request's (its batch's)
    misses: Misses | None = None  # the worker's budget of missed person lookups
    ws_holder: str | None = None  # over WebSocket: whose connection cap this connection holds
    logged_error: bool = False  # an unexpected error of this request was logged already
    # Takes an operation's cost from the caller's budget a minute (raises RateLimited); a
    # batch is charged as a whole, once (``cost_charged``).
    charge: Callable[[int], Awaitable[None]] | None = None
    cost_charged: bool = False
    # The view's direct answer (``api.direct``) tried this request's plan: normal execution,
    # answering it now, does not try it again.
    plan_tried: bool = False
    # What the look-ahead reads of companies, people and records (``api.projection``): set by
    # the direct answer, whose request is one operation on a context of its own (every loader
    # entry it makes serves that document alone); None reads every property.
    projection: Projection | None = None
    # Scores computed for this request (``api.types.score.explained``): a file's score and its
    # records' standings read one evaluation. HTTP only: a WebSocket's context outlives events.
    scores: dict[tuple[str, str, str, str], Any] = field(default_factory=dict)
    # Set by a report (``api.reports``): the reads are logged by the report's own entry.
    defer_reads: bool = False
    report_notes: set[str] = field(default_factory=set)  # what a report tells about its content

    @property
    def schemes(self) -> Schemes:
        """The installed scoring schemes (read once when the app was built)."""
        schemes: Schemes = self.request.app.state.schemes
        return schemes

    @property
    def session(self) -> Session:
        """What a use case runs with: this request's graph, its caller, the schemes and the
        worker's audit appender (the caller is read each time: a WebSocket's is set after
        connection_init)."""
        return Session(self.graph, self.caller, self.schemes, self.request.app.state.appender)

    @property
    def reads(self) -> ReadLog:
        """The people the current operation read: its own over WebSocket, the request's (a
        batch's operations share it, so a person read by two is logged once) over HTTP."""
        return _operation_reads.get() or self.request_reads


Info = StrawberryInfo[Context, Any]
