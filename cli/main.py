"""The ``credgraph`` command: serve the API, migrate the graph, run the embedded backend."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Column, Table

from cli.backend import exit_on_sigterm, graph_backend
from config.settings import Settings
from graph.driver import Graph
from graph.errors import CredgraphError
from graph.migrate import apply_migrations, load_migrations, migration_status
from graph.repositories.keys import Role
from scoring.scheme import SchemeError

app = typer.Typer(
    help="credgraph: a credit-information graph served over GraphQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Run the embedded graph backend (used when NEO4J_URI is not set).")
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="API keys: create one for a role, list them, revoke one.")
app.add_typer(keys_app, name="keys")
schemes_app = typer.Typer(help="Scoring schemes: check a scheme file, list the installed ones.")
app.add_typer(schemes_app, name="schemes")

console = Console(stderr=True)
out = Console()
T = TypeVar("T")


def load_settings() -> Settings:
    """Settings from the environment; a bad value is reported with its variable name."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise CredgraphError(f"setting {name}: {first['msg']}") from exc


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port to listen on.")] = None,
    demo_if_empty: Annotated[
        bool, typer.Option(help="Load a generated demo registry when the graph is empty.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="API processes sharing the port (CREDGRAPH_WORKERS, 1): about one per core "
            "the graph server leaves free.",
        ),
    ] = None,
) -> None:
    """Serve the GraphQL API (starting the embedded backend when NEO4J_URI is unset).

    Pending migrations are applied at start.
    """
    import uvicorn

    from api.app import create_app

    settings = load_settings()
    exit_on_sigterm()
    with graph_backend(settings, console):
        if demo_if_empty:
            from cli.demo import load_demo_if_empty

            load_demo_if_empty(settings, console)
        options: dict[str, Any] = {
            "host": host or settings.host,
            "port": settings.port if port is None else port,
            "log_level": "info",
            "access_log": settings.access_log_on,
            "lifespan": "on",
            "proxy_headers": False,
        }
        count = workers or settings.workers
        if count > 1:
            # Each worker builds its app from the environment; the migrations run once, here,
            # not in every worker at the same time.
            if settings.migrate_on_start:
                asyncio.run(_migrate(settings))
            os.environ["CREDGRAPH_MIGRATE_ON_START"] = "false"
            uvicorn.run("api.app:app_from_environment", factory=True, workers=count, **options)
            return
        config = uvicorn.Config(create_app(settings), **options)
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise CredgraphError("the API did not start; see the messages above")


@app.command()
def migrate(
    status: Annotated[
        bool, typer.Option("--status", help="Only list every migration and whether it is applied.")
    ] = False,
) -> None:
    """Apply pending graph migrations (or list them with --status)."""
    settings = load_settings()
    migrations = load_migrations(settings.migrations_dir)
    exit_on_sigterm()

    async def run() -> None:
        graph = await Graph.connect(settings.graph_config())
        try:
            if not status:
                applied = await apply_migrations(graph, migrations)
                for migration in applied:
                    out.print(f"applied {migration.path.name}")
                if not applied:
                    out.print("nothing to apply: the graph is up to date")
                return
            table = Table("version", "description", "applied", "applied at")
            for state in await migration_status(graph, migrations):
                table.add_row(
                    f"V{state.version}",
                    state.description,
                    "yes" if state.applied else "[yellow]pending[/yellow]",
                    state.applied_at.isoformat(timespec="seconds") if state.applied_at else "",
                )
            out.print(table)
        finally:
            await graph.close()

    with graph_backend(settings, console):
        asyncio.run(run())


@app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(help="JSON Lines (.jsonl) or CSV files (one type per file), or folders."),
    ],
    batch_size: Annotated[int, typer.Option(min=1, max=50_000, help="Rows per write.")] = 5000,
) -> None:
    """Import companies, people, links and records; bad rows go to <input>.rejects.jsonl.

    Exit code 0 when every row went in, 3 when some were rejected, 1 when the import failed.
    Importing the same files again changes nothing.
    """
    from cli.import_command import run_import, summary_table
    from ingest.readers import expand_paths

    settings = load_settings()
    paths = expand_paths(paths)  # a missing file is reported before anything starts
    exit_on_sigterm()
    with graph_backend(settings, console):
        # The uniqueness constraints and indexes come first: without them MERGE scans labels
        # (an import into a fresh graph ran 20x slower) and nothing stops duplicates.
        asyncio.run(_migrate(settings))
        report = run_import(settings.graph_config(), paths, batch_size, console)
    out.print(summary_table(report))
    if report.rejected:
        files = ", ".join(str(p) for p in report.rejects_files)
        out.print(
            f"[yellow]{report.rejected:,} rows rejected[/yellow]: see {files}", soft_wrap=True
        )
    elif report.changed == 0:
        out.print("nothing changed: the graph already held every row")
    raise typer.Exit(code=report.exit_code)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the JSON Lines files into.")],
    companies: Annotated[int, typer.Option(min=0, help="How many companies.")] = 2000,
    persons: Annotated[int, typer.Option(min=0, help="How many people.")] = 5000,
    seed: Annotated[int, typer.Option(help="The same seed gives the same files.")] = 1,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes writing shards.")] = 2,
) -> None:
    """Generate a plausible registry (companies, people, links, records) in the import format."""
    from cli.generate_command import run_generate

    run_generate(out, companies, persons, seed, workers, console)


@app.command()
def schema(
    write: Annotated[
        bool, typer.Option("--write", help="Write api/schema.graphql instead of printing.")
    ] = False,
) -> None:
    """Print the GraphQL schema (SDL) that the API serves."""
    from api.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if write:
        target = Path(__file__).resolve().parent.parent / "api" / "schema.graphql"
        target.write_text(sdl)
        out.print(f"wrote {target}")
    else:
        sys.stdout.write(sdl)


@app.command()
def score(
    all_: Annotated[
        bool, typer.Option("--all", help="Rescore every entity under every installed scheme.")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option(help="The day to score as of (YYYY-MM-DD); today by default.")
    ] = None,
    batch_size: Annotated[
        int,
        typer.Option(
            min=1,
            help="Changed scores written per transaction (an interrupted run keeps whole "
            "batches; the next run writes the rest).",
        ),
    ] = 10_000,
) -> None:
    """Recompute scores for the whole graph with sparse matrices and store what changed.

    Run it daily: records that expired stop counting, and the stored scores, their history and
    the blacklist follow. Adding a record through the API rescores its neighbourhood at once.
    """
    from datetime import date

    from cli.score_command import run_score_all, summary_table
    from scoring.scheme import load_schemes

    if not all_:
        raise CredgraphError("say --all: the whole graph is the only scope so far")
    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        raise CredgraphError(f"--as-of: not a date YYYY-MM-DD: {as_of!r}") from None
    settings = load_settings()
    schemes = load_schemes(settings.schemes_dir)
    exit_on_sigterm()
    with graph_backend(settings, console):
        asyncio.run(_migrate(settings))  # snapshots need their indexes
        run = run_score_all(settings.graph_config(), schemes, day, console, batch_size)
    out.print(summary_table(run, schemes))
    out.print(
        f"read {run.read_seconds:.1f}s, computed {run.compute_seconds:.1f}s, "
        f"stored {run.write_seconds:.1f}s"
    )


@schemes_app.command("validate")
def schemes_validate(
    files: Annotated[list[Path], typer.Argument(help="Scheme TOML files to check.")],
) -> None:
    """Check scheme files; the first problem is named with its field and reason (exit 1)."""
    from scoring.scheme import load_scheme

    for path in files:
        scheme = load_scheme(path)
        out.print(
            f"{path}: ok: {scheme.id} {scheme.version}, {len(scheme.rules)} rules, "
            f"levels {', '.join(level.name for level in scheme.levels)}",
            soft_wrap=True,
        )


@schemes_app.command("list")
def schemes_list() -> None:
    """List the installed schemes (scoring/schemes/ or CREDGRAPH_SCHEMES_DIR)."""
    from scoring.scheme import load_schemes

    table = Table("id", "version", "subjects", "base", "levels", "rules", "title")
    for scheme in load_schemes(load_settings().schemes_dir).values():
        table.add_row(
            scheme.id,
            scheme.version,
            ", ".join(scheme.subjects),
            str(scheme.base),
            " ".join(level.name for level in scheme.levels),
            str(len(scheme.rules)),
            scheme.title,
        )
    out.print(table)


async def _migrate(settings: Settings) -> None:
    graph = await Graph.connect(settings.graph_config())
    try:
        for migration in await apply_migrations(graph, load_migrations(settings.migrations_dir)):
            console.print(f"applied {migration.path.name}")
    finally:
        await graph.close()


def _on_graph(settings: Settings, work: Callable[[Graph], Awaitable[T]]) -> T:
    """Run ``work`` on a migrated graph (the embedded server started when needed)."""

    async def run() -> T:
        graph = await Graph.connect(settings.graph_config())
        try:
            await apply_migrations(graph, load_migrations(settings.migrations_dir))
            return await work(graph)
        finally:
            await graph.close()

    with graph_backend(settings, console):
        return asyncio.run(run())


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="What the key may do.", case_sensitive=False)],
    name: Annotated[str, typer.Option(help="Who holds it (a bank, a desk, an app).")],
    subject: Annotated[
        str | None,
        typer.Option(help="For the subject role: the USCC or identity number it is bound to."),
    ] = None,
) -> None:
    """Create an API key and print it once: only its salted hash is kept."""
    from graph.identifiers import IdentifierError, parse_id_number, parse_uscc
    from graph.repositories import keys
    from graph.repositories.entities import entities_by_key

    if not name.strip():
        raise CredgraphError("--name: must not be empty")
    if (role is Role.SUBJECT) != (subject is not None):
        raise CredgraphError("--subject: required for the subject role, and only for it")
    bound: str | None = None
    if subject is not None:
        try:
            bound = parse_uscc(subject).code
        except IdentifierError:
            try:
                bound = parse_id_number(subject)
            except IdentifierError as exc:
                raise CredgraphError(f"--subject: not a USCC or identity number: {exc}") from None

    async def work(graph: Graph) -> tuple[keys.ApiKey, str]:
        if bound is not None and (await entities_by_key(graph, [bound]))[0] is None:
            raise CredgraphError(f"--subject: the registry holds no person or company {bound}")
        return await keys.create(graph, name.strip(), role, bound)

    key, text = _on_graph(load_settings(), work)
    console.print(f"created key {key.key_id} ({key.role.value}) for {key.name}; it is shown once:")
    out.print(text, soft_wrap=True)


@keys_app.command("list")
def keys_list() -> None:
    """List the keys: id, role, name, subject, created, revoked (never the secrets)."""
    from graph.identifiers import is_id_number, mask_id_number
    from graph.repositories import keys

    found = _on_graph(load_settings(), keys.all_keys)
    table = Table("role", "name", "subject", "created", "revoked")
    table.columns.insert(0, Column("key id", no_wrap=True))
    for key in found:
        subject = key.subject or ""
        if is_id_number(subject):
            subject = mask_id_number(subject)
        table.add_row(
            key.key_id,
            key.role.value,
            key.name,
            subject,
            key.created_at.isoformat(timespec="seconds"),
            key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id `keys list` shows.")],
) -> None:
    """Revoke a key: it is refused from then on (API workers notice within 30 seconds)."""
    from graph.repositories import keys

    async def work(graph: Graph) -> keys.ApiKey | None:
        return await keys.revoke(graph, key_id)

    key = _on_graph(load_settings(), work)
    if key is None:
        raise CredgraphError(f"no key {key_id!r}; `credgraph keys list` shows them")
    out.print(f"revoked key {key.key_id} ({key.role.value}, {key.name})")


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


def main() -> None:
    """Entry point: run the app; errors become one red line and a non-zero exit code."""
    try:
        app()
    except (CredgraphError, SchemeError) as exc:
        console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


# At the end: the audit commands use this module's settings and graph helpers.
from cli.audit import audit_app  # noqa: E402

app.add_typer(audit_app, name="audit")

if __name__ == "__main__":
    main()
