"""The Starlette application: ``/graphql``, ``/healthz`` and ``/readyz``.

The lifespan owns the one driver of the process: it connects (failing fast when the backend is not
there), applies pending migrations when ``CREDGRAPH_MIGRATE_ON_START`` is on, and closes the driver
at shutdown. Workers are stateless otherwise, so several can run behind a load balancer.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from api.auth import PUBLIC, Authenticator, BadKey
from api.context import Context
from api.limits import RateLimiter
from api.loaders import build_loaders
from api.schema import build_schema
from api.settings import Settings
from graph.driver import Graph
from graph.errors import GraphError, GraphUnavailable
from graph.migrate import Migration, apply_migrations, load_migrations, pending_migrations
from scoring.scheme import load_schemes

log = logging.getLogger("credgraph.api")

READY_TIMEOUT = 5.0


class CredgraphGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our per-request context."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(build_schema(production=settings.production), **kwargs)
        self.settings = settings
        self.authenticator = Authenticator()
        self.key_limiter = RateLimiter(settings.rate_limit)
        self.public_limiter = RateLimiter(settings.public_rate_limit)

    def decode_json(self, data: str | bytes) -> object:
        decoded = orjson.loads(data)
        # A batch is a list of operation objects; anything else in it is the client's mistake.
        if isinstance(decoded, list) and not all(isinstance(item, dict) for item in decoded):
            raise HTTPException(400, "a batch must be a list of objects with a query each")
        return decoded

    def encode_json(self, data: object) -> str:
        # Text: WebSocket clients (graphql-ws in browsers) expect text frames, not binary ones.
        return orjson.dumps(data).decode()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        # HTTP answers skip the decode: orjson's bytes go out as they are.
        response = Response(orjson.dumps(response_data), media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Keys are checked before GraphQL runs: a bad one is a 401, never a silent public call.
        if scope["type"] == "http":
            request = Request(scope, receive)
            try:
                caller = await self.authenticator.caller(
                    request.app.state.graph, request.headers.get("authorization")
                )
            except BadKey as exc:
                response = JSONResponse(
                    {"error": "unauthorized", "reason": str(exc)},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="credgraph"'},
                )
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["caller"] = caller
            who = caller.key_id or f"ip:{request.client.host if request.client else '-'}"
            limiter = self.key_limiter if caller.key_id else self.public_limiter
            wait = limiter.take(who)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                whose = "key" if caller.key_id else "address"
                reason = f"too many requests for this {whose}; retry in {seconds} s"
                headers = {"Retry-After": str(seconds)}
                await _refuse(scope, receive, send, 429, "rate_limited", reason, headers)
                return
            await self._within_timeout(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _within_timeout(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer within ``CREDGRAPH_REQUEST_TIMEOUT``: past it the work is cancelled (the
        graph transaction with it: the driver rolls it back) and the client gets a 504."""
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            async with asyncio.timeout(self.settings.request_timeout):
                try:
                    body = BodyLimit(receive, scope, MAX_BODY)
                    response = await self.run(Request(scope, body.receive))
                except HTTPException as exc:
                    # Our errors and strawberry's (a malformed body, a wrong content type) alike:
                    # JSON with the reason.
                    response = JSONResponse(
                        {"error": _ERROR_NAMES.get(exc.status_code, "bad_request"),
                         "reason": exc.reason},
                        status_code=exc.status_code,
                    )  # fmt: skip
                await response(scope, receive, tracking)
        except TimeoutError:
            if started:
                raise
            log.warning("request timed out after %.1fs", self.settings.request_timeout)
            reason = (
                f"the request took longer than {self.settings.request_timeout:g} s and was "
                "stopped; nothing it was writing was kept"
            )
            await _refuse(scope, receive, send, 504, "timeout", reason, {})

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # The graph being away is not the client's fault and not a GraphQL error: 503, so that
        # load balancers and clients retry, with the reason.
        for error in result.errors or ():
            if isinstance(error.original_error, GraphUnavailable):
                log.warning("graph unavailable: %s", error.original_error)
                raise HTTPException(503, "the graph backend is unavailable; retry shortly")
        return await super().process_result(request, result)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            graph=request.app.state.graph,
            settings=self.settings,
            loaders=build_loaders(request.app.state.graph),
            caller=request.scope.get("state", {}).get("caller", PUBLIC),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A WebSocket client names its key in the connection_init payload (browsers cannot
        set headers on a WebSocket) or in the Authorization header of the upgrade request."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if not isinstance(header, str):
            header = context.request.headers.get("authorization")
        try:
            context.caller = await self.authenticator.caller(context.graph, header)
        except BadKey:
            raise ConnectionRejectionError({"reason": "the API key is not valid"}) from None
        return cast(UnsetType, UNSET)


MAX_BODY = 1 << 20  # bytes of one request body
_ERROR_NAMES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


class BodyLimit:
    """Passes a request body through, refusing one larger than ``limit`` bytes (413)."""

    def __init__(self, receive: Receive, scope: Scope, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.seen = 0
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise_too_large(limit)

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                raise_too_large(self.limit)
        return message


def raise_too_large(limit: int) -> None:
    raise HTTPException(413, f"the request body is larger than {limit // 1024} KiB")


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    error: str,
    reason: str,
    headers: dict[str, str],
) -> None:
    response = JSONResponse({"error": error, "reason": reason}, status_code=status, headers=headers)
    await response(scope, receive, send)


def create_app(settings: Settings) -> Starlette:
    """Build the credgraph ASGI app for ``settings`` (the graph is reached in the lifespan)."""
    migrations = load_migrations(settings.migrations_dir)
    schemes = load_schemes(settings.schemes_dir)  # a bad scheme stops the app before it serves

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        graph = await Graph.connect(settings.graph_config())
        try:
            if settings.migrate_on_start:
                applied = await apply_migrations(graph, migrations)
                for migration in applied:
                    log.info("applied migration %s", migration.path.name)
            app.state.graph = graph
            yield
        finally:
            await graph.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        return await _readiness(request.app.state.graph, migrations)

    graphql = CredgraphGraphQL(
        settings,
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=True,
    )
    routes = [
        Route("/", console_page(settings), methods=["GET"]),
        Mount("/console", app=ConsoleFiles(directory=settings.console_dir, check_dir=False)),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.schemes = schemes
    return app


# The console loads only its own files and talks only to /graphql on the same origin.
CONSOLE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class ConsoleFiles(StaticFiles):
    """The console's built assets, with the console's security headers."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(CONSOLE_HEADERS)
        return response


def console_page(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """``/``: the investigator console, or a 503 saying how to build it."""
    index = settings.console_dir / "index.html"

    async def page(request: Request) -> Response:
        if not index.is_file():
            return PlainTextResponse(
                f"The investigator console is not built ({index} is missing): run `make console`."
                " The GraphQL API is at /graphql.",
                status_code=503,
            )
        return FileResponse(index, headers=CONSOLE_HEADERS, media_type="text/html")

    return page


async def _readiness(graph: Graph, migrations: list[Migration]) -> Response:
    """200 when the graph answers and every migration is applied; 503 with the reason otherwise."""
    try:
        await graph.ping(timeout=READY_TIMEOUT)
        pending = await asyncio.wait_for(
            pending_migrations(graph, migrations), timeout=READY_TIMEOUT
        )
    except (GraphError, TimeoutError) as exc:
        reason = str(exc) or "the graph backend did not answer in time"
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    if pending:
        names = ", ".join(m.path.name for m in pending)
        return JSONResponse(
            {"status": "not_migrated", "reason": f"pending migrations: {names}"}, status_code=503
        )
    return JSONResponse(
        {"status": "ready", "database": graph.database, "migrations": len(migrations)}
    )


def app_from_environment() -> Starlette:
    """The app for settings read from the environment: what each ``serve --workers`` process
    builds for itself (uvicorn imports it by name there)."""
    return create_app(Settings())
