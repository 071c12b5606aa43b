"""Authentication: the API key of an HTTP request checked before GraphQL runs.

A bad key is a 401, never a silent public call; an address that sent
``CREDGRAPH_BAD_KEY_LIMIT`` bad keys in a minute gets 429 before its next one is even looked
up; a key the graph cannot check (backend down) is a 503. The caller found is left in the
request's scope (``state["caller"]``) for the rate limit and the GraphQL context.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import BadKey
from api.limits import WorkerLimits, retry_after
from api.middleware.http_only import HTTPOnly
from api.refusals import Refused, client_address
from graph.driver import Graph
from graph.errors import GraphError
from usecases.session import Caller

log = logging.getLogger("credgraph.api")


async def identify(limits: WorkerLimits, graph: Graph, header: str | None, address: str) -> Caller:
    """The caller behind an ``Authorization`` header, or ``Refused`` (the WebSocket handshake
    checks its key with this too)."""
    known = limits.authenticator.remembered(header)
    if known is not None:
        return known
    if header is not None and (wait := await limits.bad_keys.blocked(address)) is not None:
        seconds = retry_after(wait)
        raise Refused(
            429,
            "rate_limited",
            f"too many invalid API keys from this address; retry in {seconds} s",
            {"Retry-After": str(seconds)},
        )
    try:
        return await limits.authenticator.caller(graph, header)
    except BadKey as exc:
        await limits.bad_keys.take(address)
        headers = {"WWW-Authenticate": 'Bearer realm="credgraph"'}
        raise Refused(401, "unauthorized", str(exc), headers) from None
    except GraphError as exc:
        log.warning("could not check an API key: %s", exc)
        raise Refused(
            503,
            "unavailable",
            "the graph backend is unavailable, so the API key could not be checked; retry shortly",
            {"Retry-After": "1"},
        ) from None


class Authentication(HTTPOnly):
    """Identifies the caller of each HTTP request (see the module)."""

    def __init__(self, app: ASGIApp, limits: WorkerLimits) -> None:
        super().__init__(app)
        self.limits = limits

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        header = request.headers.get("authorization")
        try:
            caller = await identify(
                self.limits, request.app.state.graph, header, client_address(request)
            )
        except Refused as refused:
            await refused.response()(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)
