"""``credgraph db``: start, stop and ask about the graph server credgraph runs itself (the
embedded ArcadeDB, or with ``--backend neo4j`` / ``CREDGRAPH_BACKEND=neo4j`` a local Neo4j)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import console, load_settings, out
from config.settings import Backend, Settings

db_app = typer.Typer(
    help="Run the local graph backend (ArcadeDB or Neo4j; used when NEO4J_URI is not set)."
)
BackendOption = Annotated[
    Backend | None,
    typer.Option(
        "--backend",
        help="arcadedb (embedded, the default) or neo4j (local Neo4j Community, `make neo4j`); "
        "CREDGRAPH_BACKEND otherwise.",
        case_sensitive=False,
    ),
]


def _settings(backend: Backend | None) -> Settings:
    settings = load_settings()
    return settings if backend is None else settings.model_copy(update={"backend": backend})


@db_app.command("start")
def db_start(backend: BackendOption = None) -> None:
    """Start the local graph server and leave it running (until `credgraph db stop`)."""
    server = _settings(backend).embedded_server()
    with console.status(f"starting the local {server.product} server ..."):
        started = server.start()
    state = server.status()
    verb = "started" if started else "already running"
    out.print(f"{server.product} graph server {verb} (pid {state.pid}) at {state.bolt_uri}")


@db_app.command("stop")
def db_stop(backend: BackendOption = None) -> None:
    """Stop the local graph server running on the data folder."""
    server = _settings(backend).embedded_server()
    if server.stop():
        out.print(f"{server.product} graph server stopped")
    else:
        out.print(f"{server.product} graph server was not running")


@db_app.command("status")
def db_status(backend: BackendOption = None) -> None:
    """Say whether the local graph server runs: its backend, Bolt URI, database and user."""
    settings = _settings(backend)
    if not settings.embedded:
        out.print(
            f"NEO4J_URI is set: using {settings.neo4j_uri} (database {settings.neo4j_database},"
        )
        out.print(f"user {settings.neo4j_user}); no local server is used")
        return
    state = settings.embedded_server().status()
    out.print(f"backend:   {state.backend}")
    out.print(f"running:   {'yes (pid ' + str(state.pid) + ')' if state.running else 'no'}")
    out.print(f"bolt uri:  {state.bolt_uri}")
    out.print(f"http:      {state.http_url}")
    out.print(f"database:  {state.database}")
    out.print(f"user:      {state.user}")
    out.print(f"data dir:  {state.data_dir}")
    out.print(f"log file:  {state.log_file}")
    if not state.running:
        raise typer.Exit(code=3)
