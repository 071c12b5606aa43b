"""The Starlette application: ``/graphql``, ``/reports/<id>.pdf``, ``/healthz`` and ``/readyz``.

The lifespan owns the one driver of the process: it connects (failing fast when the backend is not
there), applies pending migrations when ``CREDGRAPH_MIGRATE_ON_START`` is on, and closes the driver
at shutdown. Workers are stateless otherwise, so several can run behind a load balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.auth import Authenticator
from api.limits import WorkerLimits
from api.middleware import around_graphql
from api.reports import ReportView
from api.view import CredgraphGraphQL
from api.watch_hub import SAFETY_POLL, WatchHub
from config.settings import Settings
from graph.driver import Graph
from graph.errors import GraphError
from graph.migrate import Migration, apply_migrations, load_migrations, pending_migrations
from graph.notices import Channel
from graph.repositories import checkpoints
from graph.repositories.appender import Appender
from graph.signing import Signer
from scoring.scheme import load_schemes
from usecases.schemes import Schemes

log = logging.getLogger("credgraph.api")

READY_TIMEOUT = 5.0


def create_app(settings: Settings) -> Starlette:
    """Build the credgraph ASGI app for ``settings`` (the graph is reached in the lifespan)."""
    migrations = load_migrations(settings.migrations_dir)
    schemes = Schemes(load_schemes(settings.schemes_dir))  # a bad one stops the app here
    signer = Signer(settings.audit_key_path)  # made on the first start, kept outside the graph

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        graph = await Graph.connect(settings.graph_config())
        try:
            if settings.migrate_on_start:
                applied = await apply_migrations(graph, migrations)
                for migration in applied:
                    log.info("applied migration %s", migration.path.name)
            app.state.graph = graph
            app.state.appender = Appender(graph)
            interval = SAFETY_POLL if graph.notices.shared else settings.watch_poll_seconds
            # Its own gateway on the same driver: its reads are not counted as a request's.
            hub_graph = Graph(graph.driver, graph.config, graph.notices)
            app.state.watch_hub = hub = WatchHub(hub_graph, interval)
            tasks = [
                asyncio.create_task(_checkpoints(graph, signer, settings)),
                asyncio.create_task(hub.run()),
                asyncio.create_task(_revocations(graph, graphql.limits.authenticator, hub)),
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await hub_graph.release()
        finally:
            await graphql.limits.close()
            await graph.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def public_key(request: Request) -> Response:
        # What an outside witness verifies exported checkpoints with.
        return PlainTextResponse(signer.public_pem(), media_type="application/x-pem-file")

    async def readyz(request: Request) -> Response:
        return await _readiness(request.app.state.graph, migrations)

    graphql = CredgraphGraphQL(
        settings,
        WorkerLimits.of(settings),
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=True,
    )
    # /graphql first: the router tries the routes in order, on every request.
    routes = [
        Route(
            "/graphql",
            around_graphql(graphql, settings, graphql.limits, graphql.trusted),
            methods=["GET", "POST"],
        ),
        WebSocketRoute("/graphql", graphql),
        # A credit file to attach, read and refused exactly as the file is through /graphql.
        Route(
            "/reports/{id:path}.{format}",
            around_graphql(ReportView(graphql), settings, graphql.limits),
            methods=["GET"],
        ),
        Route("/", console_page(settings), methods=["GET"]),
        Mount("/console", app=ConsoleFiles(directory=settings.console_dir, check_dir=False)),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/audit/public-key", public_key, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
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

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path.endswith(".map"):  # source maps are never served, even from a stale build
            return PlainTextResponse("Not Found", status_code=404)
        return await super().get_response(path, scope)

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


CHECKPOINT_POLL = 30.0  # seconds between looks at whether a checkpoint is due


async def _revocations(graph: Graph, authenticator: Authenticator, hub: WatchHub) -> None:
    """Forget revoked keys, and end their watch subscriptions, as soon as any process announces
    their revocation."""
    async for key_ids in graph.notices.listen(Channel.REVOCATIONS):
        forgotten = authenticator.forget(key_ids)
        ended = hub.revoke(key_ids)
        if forgotten or ended:
            log.info("revoked key(s) %s: forgotten, %d subscription(s) ended", key_ids, ended)


async def _checkpoints(graph: Graph, signer: Signer, settings: Settings) -> None:
    """Sign the audit chain's head every ``CREDGRAPH_CHECKPOINT_ENTRIES`` entries, or every
    ``CREDGRAPH_CHECKPOINT_MINUTES`` when there are new ones (any worker may: one per head)."""
    every = timedelta(minutes=settings.checkpoint_minutes)
    # Its own gateway on the same driver: its statements are not counted as a request's.
    graph = Graph(graph.driver, graph.config, graph.notices)
    try:
        while True:
            try:
                made = await checkpoints.sign_head(
                    graph, signer, every_entries=settings.checkpoint_entries, every=every
                )
                if made is not None:
                    log.info("signed audit checkpoint %d", made.seq)
            except GraphError as exc:
                log.warning("could not sign an audit checkpoint: %s", exc)
            await asyncio.sleep(CHECKPOINT_POLL)
    finally:
        await graph.release()


def app_from_environment() -> Starlette:
    """The app for settings read from the environment: what each ``serve --workers`` process
    builds for itself (uvicorn imports it by name there)."""
    return create_app(Settings())
