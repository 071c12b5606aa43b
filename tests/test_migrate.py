"""The migration runner: file checks, apply once, refuse edited or missing files."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.local import LocalServer
from graph.driver import BoundGraph, Graph
from graph.errors import MigrationError
from graph.migrate import (
    apply_migrations,
    load_migrations,
    migration_status,
    pending_migrations,
    split_statements,
)
from graph.repositories import audit, state
from graph.repositories.state import Tracked
from tests.conftest import settings_for
from tests.factories import uscc


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


async def test_a_data_migration_of_sealed_objects_seals_them_again_in_its_own_entry(
    fresh_server: LocalServer, tmp_path: Path
) -> None:
    """V0012 moves a company's registering authority out of ``jurisdiction``: on a graph whose
    companies were written (and sealed) before it, the companies it changed are sealed again
    by an entry of its own, and the stored state still verifies; on an empty graph it appends
    nothing."""
    project = load_migrations()
    before, rename = project[:-1], project[-1]
    assert rename.path.name == "V0012__company_registration_authority.cypher" and rename.seals
    folder = tmp_path / "migrations"
    for migration in before:
        write(folder, migration.path.name, migration.path.read_text())
    graph = await Graph.connect(settings_for(fresh_server).graph_config())
    try:
        await apply_migrations(graph, load_migrations(folder))

        async def old_write(tx: BoundGraph) -> None:  # as the import stored companies then
            await tx.write(
                "UNWIND $codes AS code CREATE (:Company {uscc: code, name: '旧' + code, "
                "jurisdiction: '北京市朝阳区市场监督管理局'})",
                {"codes": [uscc(1), uscc(2)]},
            )
            await tx.write("CREATE (:Company {uscc: $code, name: '无机关'})", {"code": uscc(3)})
            tx.touch(Tracked.COMPANY, [uscc(1), uscc(2), uscc(3)])

        await audit.act(graph, audit.OPERATOR, "import", {}, old_write)
        write(folder, rename.path.name, rename.path.read_text())
        applied = await apply_migrations(graph, load_migrations(folder))
        assert [m.version for m in applied] == ["0012"]
        rows = await graph.read(
            "MATCH (c:Company) RETURN c.uscc AS code, c.registrationAuthority AS authority, "
            "c.jurisdiction AS jurisdiction ORDER BY code"
        )
        assert {r["code"]: (r["authority"], r["jurisdiction"]) for r in rows} == {
            uscc(1): ("北京市朝阳区市场监督管理局", None),
            uscc(2): ("北京市朝阳区市场监督管理局", None),
            uscc(3): (None, None),
        }
        entries = await graph.read(
            "MATCH (e:AuditEntry) RETURN e.seq AS seq, e.operation AS operation, "
            "e.kind AS kind, e.role AS role ORDER BY seq"
        )
        assert [(e["operation"], e["kind"], e["role"]) for e in entries] == [
            ("import", "write", "operator"),
            ("migrate", "migration", "operator"),
        ]
        sealed = await graph.read(
            "MATCH (s:AuditState {seq: $seq}) UNWIND s.keys AS key RETURN key ORDER BY key",
            {"seq": entries[-1]["seq"]},
        )
        assert [r["key"] for r in sealed] == sorted(f"company:{uscc(n)}" for n in (1, 2))
        report = await state.verify(graph)
        assert report.intact and report.checked == 3, report.differences
        assert (await audit.verify(graph))[1] is None
    finally:
        await graph.close()


async def test_a_sealing_migration_on_an_empty_graph_appends_no_entry(graph: Graph) -> None:
    # The session's graph has every project migration applied, V0012 included, from empty.
    assert await graph.read(
        "MATCH (m:__Neo4jMigration {version: '0012'}) RETURN m.description AS d"
    ) == [{"d": "company registration authority"}]
    assert await graph.read("MATCH (e:AuditEntry {operation: 'migrate'}) RETURN count(e) AS n") == [
        {"n": 0}
    ]


def test_a_sealing_migration_may_not_run_in_batches(tmp_path: Path) -> None:
    write(
        tmp_path,
        "V0001__batched_seal.cypher",
        "MATCH (c:Company) CALL { WITH c SET c.x = 1 } IN TRANSACTIONS "
        "RETURN 'company' AS sealed, collect(c.uscc) AS keys",
    )
    with pytest.raises(MigrationError, match=r"cannot use CALL \.\.\. IN TRANSACTIONS"):
        load_migrations(tmp_path)
