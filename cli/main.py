"""The ``credgraph`` command: serve the API, migrate the graph, run the embedded backend."""

from __future__ import annotations

import asyncio
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.audit import audit_app
from cli.backend import exit_on_sigterm, graph_backend
from cli.common import console, load_settings, out
from cli.db_command import db_app
from cli.keys_command import keys_app
from config.settings import Settings
from graph.driver import Graph
from graph.errors import CredgraphError
from graph.migrate import apply_migrations, load_migrations, migration_status
from ingest.national import NationalFormat
from scoring.scheme import SchemeError


class Engine(StrEnum):
    """What computes ``score --all``."""

    SCIPY = "scipy"
    SPARK = "spark"


app = typer.Typer(
    help="credgraph: a credit-information graph served over GraphQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
schemes_app = typer.Typer(help="Scoring schemes: check a scheme file, list the installed ones.")
app.add_typer(schemes_app, name="schemes")


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
    national: Annotated[
        NationalFormat | None,
        typer.Option(
            "--format",
            help="A national layout instead of ours (CSV or XLSX with its Chinese headers, UTF-8 "
            "or GB18030): the double-publicity penalties or licences, or the courts' dishonest "
            "judgment debtors.",
        ),
    ] = None,
) -> None:
    """Import companies, people, links and records; bad rows go to <input>.rejects.jsonl.

    Exit code 0 when every row went in, 3 when some were rejected, 1 when the import failed.
    Importing the same files again changes nothing. With --format, each file is a published
    list whose rows become records of the parties they name (README, "National formats").
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
        report = run_import(settings.graph_config(), paths, batch_size, console, national)
    out.print(summary_table(report))
    if report.rejected:
        files = ", ".join(str(p) for p in report.rejects_files)
        out.print(
            f"[yellow]{report.rejected:,} {'row' if report.rejected == 1 else 'rows'} rejected"
            f"[/yellow]: see {files}",
            soft_wrap=True,
        )
    elif report.changed == 0:
        out.print("nothing changed: the graph already held every row")
    if national is not None:
        from ingest.national import unmatched_path

        for path in paths:
            kept = unmatched_path(path)
            if kept.exists():
                count = len(kept.read_bytes().splitlines())
                out.print(
                    f"{count:,} {'row' if count == 1 else 'rows'} naming no registered party "
                    f"kept in {kept}: give each its subject and import the file",
                    soft_wrap=True,
                )
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
    engine: Annotated[
        Engine,
        typer.Option(
            help="scipy: the graph read into this process and computed with sparse matrices; "
            "spark: exported as tables and computed by Apache Spark (the same scores)."
        ),
    ] = Engine.SCIPY,
    spark_master: Annotated[
        str | None,
        typer.Option(help="--engine spark: the cluster's master URL; local mode by default."),
    ] = None,
    spark_dir: Annotated[
        Path | None,
        typer.Option(
            help="--engine spark: where the tables and scores go (storage the cluster reaches); "
            "a temporary folder by default."
        ),
    ] = None,
) -> None:
    """Recompute scores for the whole graph with sparse matrices and store what changed.

    Run it daily: records that expired stop counting, and the stored scores, their history and
    the blacklist follow. Adding a record through the API rescores its neighbourhood at once.
    """
    from datetime import date

    from cli.score_command import SparkOptions, run_score_all, summary_table
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
        spark = SparkOptions(spark_master, spark_dir) if engine is Engine.SPARK else None
        if spark is None and (spark_master or spark_dir):
            raise CredgraphError("--spark-master and --spark-dir go with --engine spark")
        run = run_score_all(settings.graph_config(), schemes, day, console, batch_size, spark)
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


def main() -> None:
    """Entry point: run the app; errors become one red line and a non-zero exit code."""
    try:
        app()
    except (CredgraphError, SchemeError) as exc:
        console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


app.add_typer(audit_app, name="audit")

if __name__ == "__main__":
    main()
