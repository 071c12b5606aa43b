"""The migration runner: file checks, apply once, refuse edited or missing files."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.local import LocalServer
from graph.driver import Graph
from graph.errors import MigrationError
from graph.migrate import (
    apply_migrations,
    load_migrations,
    migration_status,
    pending_migrations,
    split_statements,
)
from tests.conftest import settings_for


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RETURN 1; RETURN 2;", ["RETURN 1", "RETURN 2"]),
        ("// only a comment\nRETURN 1", ["RETURN 1"]),
        ("RETURN 'a;b' AS x; RETURN \"c;\" AS y", ["RETURN 'a;b' AS x", 'RETURN "c;" AS y']),
        ("RETURN 'it\\'s;' AS x", ["RETURN 'it\\'s;' AS x"]),
        ("RETURN 1 // trailing; comment\n;", ["RETURN 1"]),
        ("  ;  ; ", []),
    ],
)
def test_split_statements(text: str, expected: list[str]) -> None:
    assert split_statements(text) == expected


def test_load_migrations_of_the_project_are_valid() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == [f"{i:04d}" for i in range(1, len(migrations) + 1)]
    assert migrations[0].is_schema


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"V0001__a.cypher": "RETURN 1", "V0003__c.cypher": "RETURN 1"}, "V0003__c.cypher"),
        ({"V1__short.cypher": "RETURN 1"}, "V1__short.cypher"),
        ({"V0001__Bad-Name.cypher": "RETURN 1"}, "V0001__Bad-Name.cypher"),
        ({"V0001__empty.cypher": "// nothing"}, "holds no statement"),
        (
            {"V0001__mixed.cypher": "CREATE INDEX i IF NOT EXISTS FOR (n:A) ON (n.x); CREATE (:A)"},
            "mixes schema and data",
        ),
        (
            {"V0001__unguarded.cypher": "CREATE CONSTRAINT c FOR (n:A) REQUIRE n.x IS UNIQUE"},
            "without IF NOT EXISTS",
        ),
    ],
)
def test_load_migrations_rejects_bad_folders(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    with pytest.raises(MigrationError, match=message):
        load_migrations(tmp_path)


async def test_migrations_apply_once_and_refuse_edits(
    fresh_server: LocalServer, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    write(
        folder,
        "V0001__thing_key.cypher",
        "CREATE CONSTRAINT thing_key IF NOT EXISTS FOR (t:Thing) REQUIRE t.key IS UNIQUE;",
    )
    write(
        folder,
        "V0002__seed_things.cypher",
        "CREATE (:Thing {key: 'a'});\nCREATE (:Thing {key: 'b'});",
    )
    write(
        folder,
        "V0003__thing_search.cypher",
        "CREATE FULLTEXT INDEX thing_name IF NOT EXISTS FOR (t:Thing) ON EACH [t.name];",
    )
    graph = await Graph.connect(settings_for(fresh_server).graph_config())
    try:
        migrations = load_migrations(folder)
        assert [m.version for m in await pending_migrations(graph, migrations)] == [
            "0001",
            "0002",
            "0003",
        ]
        applied = await apply_migrations(graph, migrations)
        assert [m.path.name for m in applied] == [
            "V0001__thing_key.cypher",
            "V0002__seed_things.cypher",
            "V0003__thing_search.cypher",
        ]
        things = await graph.read("MATCH (t:Thing) RETURN t.key AS key ORDER BY key")
        assert [row["key"] for row in things] == ["a", "b"]
        states = await migration_status(graph, migrations)
        assert all(s.applied and s.applied_at is not None for s in states)
        indexes = await graph.read("SHOW INDEXES YIELD type, labelsOrTypes RETURN *")
        assert {"type": "FULLTEXT", "labelsOrTypes": ["Thing"]} in indexes

        # Rerunning changes nothing: no migration applied, the data is not duplicated.
        assert await apply_migrations(graph, load_migrations(folder)) == []
        things = await graph.read("MATCH (t:Thing) RETURN count(t) AS n")
        assert things == [{"n": 2}]

        # A new file is applied on its own.
        write(folder, "V0004__more.cypher", "CREATE (:Thing {key: 'c'})")
        applied = await apply_migrations(graph, load_migrations(folder))
        assert [m.version for m in applied] == ["0004"]

        # An applied file that was edited stops the runner, naming the file.
        write(folder, "V0002__seed_things.cypher", "CREATE (:Thing {key: 'z'})")
        with pytest.raises(MigrationError, match=r"V0002__seed_things\.cypher.*changed"):
            await apply_migrations(graph, load_migrations(folder))
        with pytest.raises(MigrationError, match="V0002__seed_things"):
            await migration_status(graph, load_migrations(folder))

        # An applied file that disappeared stops it too.
        write(
            folder,
            "V0002__seed_things.cypher",
            "CREATE (:Thing {key: 'a'});\nCREATE (:Thing {key: 'b'});",
        )
        (folder / "V0004__more.cypher").unlink()
        with pytest.raises(MigrationError, match="V0004__more: applied to the graph but its file"):
            await apply_migrations(graph, load_migrations(folder))
    finally:
        await graph.close()


async def test_failed_data_migration_leaves_graph_unchanged(
    fresh_server: LocalServer, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    write(
        folder,
        "V0001__thing_key.cypher",
        "CREATE CONSTRAINT thing_key IF NOT EXISTS FOR (t:Thing) REQUIRE t.key IS UNIQUE;",
    )
    # The second statement violates the constraint: the whole file must roll back.
    write(folder, "V0002__dupes.cypher", "CREATE (:Thing {key: 'x'});\nCREATE (:Thing {key: 'x'});")
    graph = await Graph.connect(settings_for(fresh_server).graph_config())
    try:
        with pytest.raises(MigrationError, match=r"V0002__dupes\.cypher failed"):
            await apply_migrations(graph, load_migrations(folder))
        assert await graph.read("MATCH (t:Thing) RETURN count(t) AS n") == [{"n": 0}]
        pending = await pending_migrations(graph, load_migrations(folder))
        assert [m.version for m in pending] == ["0002"]
    finally:
        await graph.close()


async def test_a_batched_data_migration_runs_on_either_backend(
    fresh_server: LocalServer, tmp_path: Path
) -> None:
    # More rows than one batch: Neo4j commits them 1,000 at a time (it refuses IN TRANSACTIONS
    # inside an explicit transaction, so passing here proves the runner used an implicit one);
    # the embedded backend runs the subquery in the file's one transaction.
    folder = tmp_path / "migrations"
    write(
        folder,
        "V0001__many_things.cypher",
        "UNWIND range(1, 2500) AS i\n"
        "CALL { WITH i CREATE (:Batch {n: i}) } IN TRANSACTIONS OF 1000 ROWS;\n"
        "MATCH (b:Batch) WHERE b.n % 2 = 0 SET b.even = true;",
    )
    graph = await Graph.connect(settings_for(fresh_server).graph_config())
    try:
        applied = await apply_migrations(graph, load_migrations(folder))
        assert [m.version for m in applied] == ["0001"]
        rows = await graph.read(
            "MATCH (b:Batch) RETURN count(b) AS n, sum(CASE WHEN b.even THEN 1 ELSE 0 END) AS even"
        )
        assert rows == [{"n": 2500, "even": 1250}]
        assert await apply_migrations(graph, load_migrations(folder)) == []  # once
    finally:
        await graph.close()
