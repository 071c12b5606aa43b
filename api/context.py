"""The per-request GraphQL context: the graph gateway, settings and fresh DataLoaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from api.auth import PUBLIC, Caller

if TYPE_CHECKING:
    from api.lookups import MissBudget
from api.loaders import Loaders
from api.settings import Settings
from graph.driver import Graph


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
    audited_reads: set[str] = field(default_factory=set)  # subjects whose read is logged already
    read_subjects: set[str] = field(default_factory=set)  # people read, to be logged
    read_fields: set[str] = field(default_factory=set)  # the root fields that read them
    misses: MissBudget | None = None  # the worker's budget of missed person lookups
    ws_holder: str | None = None  # over WebSocket: whose connection cap this connection holds
    logged_error: bool = False  # an unexpected error of this request was logged already
    # Takes an operation's cost from the caller's budget a minute (raises RateLimited); a
    # batch is charged as a whole, once (``cost_charged``).
    charge: Callable[[int], None] | None = None
    cost_charged: bool = False


Info = StrawberryInfo[Context, Any]
