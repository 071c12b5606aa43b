"""``credgraph db``: start, stop and ask about the embedded graph backend."""

from __future__ import annotations

import typer

from cli.common import console, load_settings, out

db_app = typer.Typer(help="Run the embedded graph backend (used when NEO4J_URI is not set).")


@db_app.command("start")
def db_start() -> None:
    """Start the embedded graph server and leave it running (until `credgraph db stop`)."""
    settings = load_settings()
    server = settings.embedded_server()
    with console.status("starting the embedded graph server ..."):
        started = server.start()
    state = server.status()
    verb = "started" if started else "already running"
    out.print(f"graph server {verb} (pid {state.pid}) at {state.bolt_uri}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded graph server running on the data folder."""
    server = load_settings().embedded_server()
    if server.stop():
        out.print("graph server stopped")
    else:
        out.print("graph server was not running")


@db_app.command("status")
def db_status() -> None:
    """Say whether the embedded graph server runs, and print its Bolt URI, database and user."""
    settings = load_settings()
    if not settings.embedded:
        out.print(
            f"NEO4J_URI is set: using {settings.neo4j_uri} (database {settings.neo4j_database},"
        )
        out.print(f"user {settings.neo4j_user}); no embedded server is used")
        return
    state = settings.embedded_server().status()
    out.print(f"running:   {'yes (pid ' + str(state.pid) + ')' if state.running else 'no'}")
    out.print(f"bolt uri:  {state.bolt_uri}")
    out.print(f"http:      {state.http_url}")
    out.print(f"database:  {state.database}")
    out.print(f"user:      {state.user}")
    out.print(f"data dir:  {state.data_dir}")
    out.print(f"log file:  {state.log_file}")
    if not state.running:
        raise typer.Exit(code=3)
