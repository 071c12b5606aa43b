"""The whole-graph pass on the real backend: stored scores equal live ones; a rerun stores nothing."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.progress import Progress

from backend.local import LocalServer
from cli.score_command import score_all
from cli.shards import generate
from cli.synthetic import Spec
from graph.driver import Graph
from graph.errors import CredgraphError
from graph.migrate import apply_migrations, load_migrations
from graph.models import Category, EntityKind, Polarity, RecordInput, Severity
from graph.repositories import audit, bulk, score_store, snapshots, state
from graph.repositories.record_writes import upsert_records
from graph.repositories.score_inputs import neighbourhood
from ingest.importer import Importer
from ingest.readers import expand_paths
from scoring.scheme import Scheme, load_schemes
from tests.conftest import settings_for
from usecases.scores import rescore_around, score_of

AS_OF = date(2026, 11, 1)


@given(
    keys=st.sets(st.text(alphabet="0123456789ABCX", min_size=1, max_size=18), max_size=200),
    chunk=st.integers(min_value=1, max_value=50),
)
def test_key_ranges_put_every_key_in_exactly_one_range(keys: set[str], chunk: int) -> None:
    ranges = bulk.key_ranges(keys, chunk)
    assert ranges[0][0] == bulk.LOWEST and ranges[-1][1] == bulk.HIGHEST
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # no gap, no overlap
    for key in keys:
        assert sum(lo <= key < hi for lo, hi in ranges) == 1
    assert len(ranges) == max(len(keys) - 1, 0) // chunk + 1


async def test_score_all_matches_live_scores(
    fresh_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(fresh_server)
    # Small ranges and batches: the first run reads about 10 ranges and writes about 20 batches.
    monkeypatch.setattr(bulk, "CHUNK", 16)
    generate(Spec(companies=60, persons=90, seed=3), tmp_path / "data", workers=1)
    graph = await Graph.connect(settings.graph_config())
    try:
        await apply_migrations(graph, load_migrations())
        await Importer(graph).run(expand_paths([tmp_path / "data"]))
        schemes = load_schemes()
        with Progress(console=Console(quiet=True)) as progress:
            run = await score_all(settings.graph_config(), schemes, AS_OF, progress, batch_size=7)
        by_scheme = {s.scheme_id: s for s in run.schemes}
        assert by_scheme["enterprise"].scored == 60
        assert by_scheme["enterprise"].written == 60
        assert by_scheme["individual"].scored > 80
        # Each batch is an audited act whose seals were made before its transaction (while
        # the one before was in the graph): they are the seals of what it stored.
        assert (await state.verify(graph)).intact
        entries, broken = await audit.verify(graph)
        assert broken is None
        batches = sum(-(-s.written // 7) for s in run.schemes)
        acts = await graph.read("MATCH (e:AuditEntry {operation: 'scoreAll'}) RETURN count(e) AS n")
        assert acts[0]["n"] == batches and entries >= batches

        checked = 0
        for kind, query, scheme_id in [
            (EntityKind.COMPANY, "MATCH (c:Company) RETURN c.uscc AS k", "enterprise"),
            (EntityKind.PERSON, "MATCH (p:Person) RETURN p.idNumber AS k", "individual"),
        ]:
            for row in await graph.read(query):
                live = await score_of(graph, row["k"], kind, schemes[scheme_id], AS_OF)
                stored, total = await snapshots.history(graph, row["k"], scheme_id, 0, 5)
                assert total == 1
                assert stored[0].value == live.value, row["k"]
                assert stored[0].level == live.level
                assert stored[0].blacklisted == live.blacklisted
                assert stored[0].blacklist_reasons == live.blacklist_reasons
                checked += 1
        assert checked >= 140

        monkeypatch.setattr(bulk, "CHUNK", 50_000)  # one range: the same answer
        with Progress(console=Console(quiet=True)) as progress:
            again = await score_all(settings.graph_config(), schemes, AS_OF, progress)
        assert [s.written for s in again.schemes] == [0, 0]
        listed, count = await snapshots.blacklist(graph, "enterprise", 0, 100)
        assert count == by_scheme["enterprise"].blacklisted
        assert all(s.blacklisted and s.latest for s in listed)

        # A new record rescores its neighbourhood from the surrounding subgraph: every stored
        # score there equals the live one again.
        today = date.today()
        subject = (await graph.read("MATCH (c:Company) RETURN c.uscc AS k ORDER BY k LIMIT 1"))[0][
            "k"
        ]
        await _add_serious_warning(graph, "ALL-1", subject, today)
        written = await audit.act(
            graph,
            audit.OPERATOR,
            "rescore",
            {"subject": subject},
            lambda tx: rescore_around(tx, schemes, subject, EntityKind.COMPANY, today),
        )
        around = await neighbourhood(graph, subject, EntityKind.COMPANY, 2)
        assert written >= 2 and len(around) >= 2
        await _stored_equal_live(graph, schemes, around, today)
    finally:
        await graph.close()


async def test_score_all_keeps_whole_batches_when_one_fails(
    fresh_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that fails in the graph, or one whose scores fail to be made, ends the run with
    its error: whole batches are stored, each with its entry, and a run again stores the
    rest."""
    settings = settings_for(fresh_server)
    generate(Spec(companies=30, persons=40, seed=4), tmp_path / "data", workers=1)
    graph = await Graph.connect(settings.graph_config())
    count = "MATCH (s:ScoreSnapshot {schemeId: 'enterprise'}) RETURN count(s) AS n"
    try:
        await apply_migrations(graph, load_migrations())
        await Importer(graph).run(expand_paths([tmp_path / "data"]))
        schemes = {"enterprise": load_schemes()["enterprise"]}
        real_write, real_columns = snapshots.write_snapshots, snapshots.from_result
        writes = 0

        async def third_write_fails(tx: Graph, *args: Any) -> int:
            nonlocal writes
            writes += 1
            if writes == 3:
                raise RuntimeError("the graph went away")
            return await real_write(tx, *args)

        monkeypatch.setattr(score_store, "write_snapshots", third_write_fails)
        with Progress(console=Console(quiet=True)) as progress, pytest.raises(RuntimeError):
            await score_all(settings.graph_config(), schemes, AS_OF, progress, batch_size=7)
        assert (await graph.read(count))[0]["n"] == 14  # batches 1 and 2; nothing after 3
        monkeypatch.setattr(score_store, "write_snapshots", real_write)

        made = 0

        def second_batch_fails(*args: Any) -> snapshots.NewSnapshots:
            nonlocal made
            made += 1
            if made == 2:  # the second batch of this run
                raise ValueError("a score that cannot be stored")
            return real_columns(*args)

        monkeypatch.setattr(score_store, "from_result", second_batch_fails)
        with Progress(console=Console(quiet=True)) as progress, pytest.raises(ValueError):
            await score_all(settings.graph_config(), schemes, AS_OF, progress, batch_size=7)
        stored = (await graph.read(count))[0]["n"]
        assert stored == 21  # the first batch of this run, whole
        monkeypatch.setattr(score_store, "from_result", real_columns)

        with Progress(console=Console(quiet=True)) as progress:
            run = await score_all(settings.graph_config(), schemes, AS_OF, progress, batch_size=7)
        assert run.schemes[0].written == 30 - stored
        assert (await graph.read(count))[0]["n"] == 30
        assert (await state.verify(graph)).intact
        assert (await audit.verify(graph))[1] is None
        acts = await graph.read("MATCH (e:AuditEntry {operation: 'scoreAll'}) RETURN count(e) AS n")
        assert acts[0]["n"] == 2 + (stored - 14) // 7 + -(-(30 - stored) // 7)
    finally:
        await graph.close()


async def test_a_three_hop_scheme_is_rescored_by_the_engine_and_refused_by_score_all(
    fresh_server: LocalServer, tmp_path: Path
) -> None:
    settings = settings_for(fresh_server)
    generate(Spec(companies=40, persons=60, seed=5), tmp_path / "data", workers=1)
    graph = await Graph.connect(settings.graph_config())
    try:
        await apply_migrations(graph, load_migrations())
        await Importer(graph).run(expand_paths([tmp_path / "data"]))
        shipped = load_schemes()
        enterprise = shipped["enterprise"]
        far = dataclasses.replace(
            enterprise, propagation=dataclasses.replace(enterprise.propagation, max_hops=3)
        )
        schemes = {"enterprise": far, "individual": shipped["individual"]}
        with (
            Progress(console=Console(quiet=True)) as progress,
            pytest.raises(CredgraphError) as refused,
        ):
            await score_all(settings.graph_config(), schemes, AS_OF, progress)
        assert "scheme enterprise: propagation.max_hops is 3" in str(refused.value)

        today = date.today()
        rows = await graph.read(
            "MATCH (c:Company)<-[:LEGAL_REPRESENTATIVE_OF]-(:Person) RETURN c.uscc AS k "
            "ORDER BY k LIMIT 1"
        )
        subject = rows[0]["k"]
        await _add_serious_warning(graph, "FAR-1", subject, today)
        written = await audit.act(
            graph,
            audit.OPERATOR,
            "rescore",
            {"subject": subject},
            lambda tx: rescore_around(tx, schemes, subject, EntityKind.COMPANY, today),
        )
        around = await neighbourhood(graph, subject, EntityKind.COMPANY, 3)
        companies = [key for key, kind in around if kind is EntityKind.COMPANY]
        assert written >= len(companies) >= 2
        # A person three links away is outside the 2-hop individual scheme's reach.
        await _stored_equal_live(graph, schemes, around, today, missing_ok=EntityKind.PERSON)
        # The 3-hop score of the subject counts the risk of a company three links away.
        mine = await score_of(graph, subject, EntityKind.COMPANY, far, today)
        assert max(len(c.path) for c in mine.contributions if c.path) == 3
    finally:
        await graph.close()


async def _add_serious_warning(graph: Graph, record_id: str, company: str, day: date) -> None:
    record = RecordInput(
        record_id=record_id,
        subject=company,
        authority="测试法院",
        category=Category.JUDICIAL,
        code="WAGE_ARREARS",
        polarity=Polarity.WARNING,
        severity=Severity.SERIOUS,
        decided_on=day,
        subject_kind=EntityKind.COMPANY,
    )
    await audit.act(graph, audit.OPERATOR, "addRecord", {"id": record_id},
                    lambda tx: upsert_records(tx, [record]))  # fmt: skip


async def _stored_equal_live(
    graph: Graph,
    schemes: dict[str, Scheme],
    around: list[tuple[str, EntityKind]],
    day: date,
    missing_ok: EntityKind | None = None,
) -> None:
    """Each entity's latest snapshot equals its live score (``missing_ok``: may have none)."""
    for key, kind in around:
        scheme = schemes["enterprise" if kind is EntityKind.COMPANY else "individual"]
        live = await score_of(graph, key, kind, scheme, day)
        stored, _ = await snapshots.history(graph, key, scheme.id, 0, 1)
        if not stored and kind is missing_ok:
            continue
        assert (stored[0].value, stored[0].level, stored[0].blacklisted) == (
            live.value,
            live.level,
            live.blacklisted,
        ), key
