"""The migration runner: numbered Cypher files applied once, in order, recorded in the graph.

Files are named ``V0001__what_it_does.cypher`` and hold statements separated by ``;``. Once applied
a file is never edited: its SHA-256 checksum is kept on a ``:__Neo4jMigration`` node and checked on
every run, and a changed file or a gap in the numbering stops the runner with a message naming it.

A file holds either schema statements (constraints, indexes) or data statements, never both: Neo4j
refuses to mix them in one transaction. Each file runs in one transaction, but for a large data
change written with ``CALL { ... } IN TRANSACTIONS``, which Neo4j commits batch by batch (the
embedded backend runs it in one transaction; such a file must be safe to run again). Schema
statements must
say ``IF NOT EXISTS``/``IF EXISTS`` because ArcadeDB does not roll schema changes back, so a file
that failed half-way has to be safe to run again. ``CREATE FULLTEXT INDEX`` statements go through
``graph.dialect``, which knows how the embedded backend creates them.

A data file that changes what the audit log seals (companies, people, links, records, snapshots,
disputes, API keys) says so: each statement that changes them returns a row with ``sealed`` (the
kind, as ``graph.repositories.state.Tracked`` names it) and ``keys`` (what it changed). Such a
file runs as one audited act of the operator: the objects it changed are sealed again as it left
them, in an entry of its own (``migrate``), with its history node, all in one transaction; a
file that finds nothing to change appends no entry. Without that, ``audit verify --state``
would name every object the file changed as edited behind the API's back.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graph.dialect import (
    Dialect,
    arcadedb_fulltext_sql,
    is_batched,
    parse_fulltext,
    run_arcadedb_sql,
    with_cjk_analyzer,
    without_batches,
)
from graph.driver import BoundGraph, Graph
from graph.errors import MigrationError
from graph.repositories import audit
from graph.repositories.state import Tracked

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_NAME = re.compile(r"^V(?P<version>\d{4})__(?P<description>[a-z0-9_]+)\.cypher$")
_SCHEMA = re.compile(r"^\s*(CREATE|DROP)\s+(CONSTRAINT|INDEX|FULLTEXT|RANGE|TEXT|POINT)\b", re.I)
_GUARDED = re.compile(r"\bIF\s+(NOT\s+)?EXISTS\b", re.I)
_SEALS = re.compile(r"\bAS\s+sealed\b", re.I)

_APPLIED = """
MATCH (m:__Neo4jMigration)
RETURN m.version AS version, m.description AS description, m.checksum AS checksum,
       m.appliedAt AS appliedAt
ORDER BY m.version
"""
_RECORD = """
CREATE (:__Neo4jMigration {version: $version, description: $description, checksum: $checksum,
                           appliedAt: datetime($appliedAt)})
"""


@dataclass(frozen=True)
class Migration:
    """One migration file, parsed."""

    version: str
    description: str
    path: Path
    checksum: str
    statements: tuple[str, ...]
    is_schema: bool
    seals: bool = False  # a data file whose statements return what they changed, to seal


@dataclass(frozen=True)
class MigrationState:
    """A migration and whether (and when) it was applied."""

    version: str
    description: str
    applied: bool
    applied_at: datetime | None


def split_statements(text: str) -> list[str]:
    """Split Cypher on ``;`` outside strings and comments, dropping comment-only pieces."""
    statements: list[str] = []
    current: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
            current.append(ch)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end == -1 else end
            continue
        elif ch == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Read and check every migration file: names, numbering without gaps, no mixed files."""
    if not directory.is_dir():
        raise MigrationError(f"the migrations folder {directory} does not exist")
    migrations: list[Migration] = []
    for path in sorted(directory.iterdir()):
        if path.suffix != ".cypher":
            continue
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(
                f"{path.name}: a migration file must be named V0001__lower_snake_description.cypher"
            )
        raw = path.read_bytes()
        text = raw.decode("utf-8").replace("\r\n", "\n")
        statements = tuple(split_statements(text))
        if not statements:
            raise MigrationError(f"{path.name}: the file holds no statement")
        kinds = {bool(_SCHEMA.match(s)) for s in statements}
        if len(kinds) > 1:
            raise MigrationError(
                f"{path.name}: mixes schema and data statements; put them in separate files"
            )
        is_schema = kinds == {True}
        seals = any(_SEALS.search(s) for s in statements)
        if seals and any(is_batched(s) for s in statements):
            raise MigrationError(
                f"{path.name}: a file that seals what it changes runs in one audited "
                "transaction; it cannot use CALL ... IN TRANSACTIONS"
            )
        if is_schema:
            for statement in statements:
                if not _GUARDED.search(statement):
                    raise MigrationError(
                        f"{path.name}: schema statement without IF NOT EXISTS: {statement[:80]}"
                    )
                parse_fulltext(statement)  # raises on a full-text index we cannot port
        migrations.append(
            Migration(
                version=match["version"],
                description=match["description"].replace("_", " "),
                path=path,
                checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                statements=statements,
                is_schema=is_schema,
                seals=seals,
            )
        )
    for expected, migration in enumerate(migrations, start=1):
        if int(migration.version) != expected:
            raise MigrationError(
                f"{migration.path.name}: expected version V{expected:04d} here; "
                "migration numbers must run 1, 2, 3 ... without gaps"
            )
    return migrations


async def _applied(graph: Graph) -> dict[str, dict[str, object]]:
    rows = await graph.read(_APPLIED)
    return {str(row["version"]): row for row in rows}


def _check_history(migrations: list[Migration], applied: dict[str, dict[str, object]]) -> None:
    by_version = {m.version: m for m in migrations}
    for version in sorted(applied):
        if version not in by_version:
            raise MigrationError(
                f"V{version}__{applied[version].get('description', '?')}: applied to the graph "
                "but its file is missing from the migrations folder"
            )
    for migration in migrations:
        row = applied.get(migration.version)
        if row is not None and row["checksum"] != migration.checksum:
            raise MigrationError(
                f"{migration.path.name}: the file changed after it was applied (checksum "
                "mismatch); applied migrations must not be edited, add a new one instead"
            )


async def migration_status(graph: Graph, migrations: list[Migration]) -> list[MigrationState]:
    """Every migration with whether it is applied; raises on a changed file or missing one."""
    applied = await _applied(graph)
    _check_history(migrations, applied)
    states = []
    for migration in migrations:
        row = applied.get(migration.version)
        at = row["appliedAt"] if row else None
        states.append(
            MigrationState(
                version=migration.version,
                description=migration.description,
                applied=row is not None,
                applied_at=at.to_native() if hasattr(at, "to_native") else None,
            )
        )
    return states


async def pending_migrations(graph: Graph, migrations: list[Migration]) -> list[Migration]:
    """The migrations not yet applied (after checking the history)."""
    applied = await _applied(graph)
    _check_history(migrations, applied)
    return [m for m in migrations if m.version not in applied]


_HISTORY_KEY = """
CREATE CONSTRAINT neo4j_migration_version IF NOT EXISTS
FOR (m:__Neo4jMigration) REQUIRE m.version IS UNIQUE
"""


async def apply_migrations(graph: Graph, migrations: list[Migration]) -> list[Migration]:
    """Apply every pending migration in order, each in its own transaction; return those applied.

    Two runners racing (several API workers starting at once) cannot both record a version: the
    history's unique constraint refuses the second, whose transaction then rolls back.
    """
    await graph.write(_HISTORY_KEY)
    done: list[Migration] = []
    for migration in await pending_migrations(graph, migrations):
        try:
            await _apply_one(graph, migration)
        except MigrationError:
            raise
        except Exception as exc:
            raise MigrationError(f"{migration.path.name} failed: {exc}") from exc
        done.append(migration)
    return done


async def _apply_one(graph: Graph, migration: Migration) -> None:
    record = {
        "version": migration.version,
        "description": migration.description,
        "checksum": migration.checksum,
        "appliedAt": datetime.now(UTC).isoformat(),
    }
    if migration.seals:
        await _apply_sealed(graph, migration, record)
        return
    if not migration.is_schema:
        batched = any(is_batched(s) for s in migration.statements)
        if batched and graph.dialect is Dialect.NEO4J:
            # Batch by batch, each statement on its own: a large data change never has to fit
            # in one transaction. Such a file must be safe to run again (like a schema file):
            # a failure leaves the batches committed so far.
            for statement in migration.statements:
                if is_batched(statement):
                    await graph.write_in_batches(statement)
                else:
                    await graph.write(statement)
            await graph.write(_RECORD, record)
            return
        async with graph.transaction() as tx:
            for statement in migration.statements:
                if batched:
                    statement = without_batches(statement)  # one transaction on this backend
                # Migration files are code reviewed in this repository, not input.
                await tx.run(statement)
            await tx.run(_RECORD, record)
        return
    # Schema changes cannot share a transaction with the history write on Neo4j.
    async with graph.transaction() as tx:
        for statement in migration.statements:
            index = parse_fulltext(statement)
            if index is not None and graph.dialect is Dialect.ARCADEDB:
                continue  # created below through ArcadeDB's own API
            if index is not None:
                statement = with_cjk_analyzer(statement)
            await tx.run(statement)
    if graph.dialect is Dialect.ARCADEDB:
        commands = []
        for statement in migration.statements:
            index = parse_fulltext(statement)
            if index is not None:
                commands.extend(arcadedb_fulltext_sql(index))
        if commands:
            if graph.config.http_url is None:
                raise MigrationError(
                    f"{migration.path.name}: creating a full-text index on ArcadeDB needs its HTTP "
                    "URL (CREDGRAPH_ARCADEDB_HTTP_URL)"
                )
            await run_arcadedb_sql(
                graph.config.http_url, graph.database, graph.config.auth, commands
            )
    await graph.write(_RECORD, record)


async def _apply_sealed(graph: Graph, migration: Migration, record: dict[str, str]) -> None:
    """A data file that changes sealed objects: one audited act of the operator."""

    async def work(tx: BoundGraph) -> int:
        changed = 0
        for statement in migration.statements:
            for row in await tx.write(statement):  # code reviewed in this repository
                if "sealed" not in row:
                    continue
                try:
                    kind = Tracked(row["sealed"])
                except ValueError:
                    names = ", ".join(t.value for t in Tracked)
                    raise MigrationError(
                        f"{migration.path.name}: sealed must name one of {names}, "
                        f"got {row['sealed']!r}"
                    ) from None
                keys = [str(key) for key in row.get("keys") or ()]
                tx.touch(kind, keys)
                changed += len(keys)
        await tx.write(_RECORD, record)
        return changed

    await audit.act(
        graph,
        audit.OPERATOR,
        "migrate",
        {"version": migration.version, "checksum": migration.checksum},
        work,
        kind="migration",
        when_untouched=False,
    )
