"""``Appender``: a worker's reads appended in groups, each its own entry in the chain, while
writes of the same worker, of another worker and of the command line append around them."""

from __future__ import annotations

import asyncio

from config.settings import Settings
from graph.driver import BoundGraph, Graph
from graph.errors import GraphError
from graph.repositories import appender as appenders
from graph.repositories import audit

READER = audit.Actor("reader-key", "relying_party")
OTHER = audit.Actor("other-key", "investigator")


async def _nothing(graph: BoundGraph) -> None:
    return None


async def test_reads_in_groups_each_with_its_entry_among_concurrent_writes(
    clean_graph: Graph, settings: Settings
) -> None:
    own = await Graph.connect(
        settings.graph_config()
    )  # the appender's alone: counts its statements
    other_worker = await Graph.connect(settings.graph_config())
    try:
        appender, elsewhere = appenders.Appender(own), appenders.Appender(other_worker)
        before = await audit.length(clean_graph)
        reads = [
            appenders.Read(READER, "company", {"n": n}, (f"P{n:03}", f"Q{n:03}", f"P{n:03}"))
            for n in range(60)
        ]

        async def write(n: int, appender: appenders.Appender | None, graph: Graph) -> None:
            await audit.act(graph, OTHER, "upsertCompany", {"w": n}, _nothing, appender=appender)

        statements = own.statements
        results = await asyncio.gather(
            *(appender.read(r) for r in reads[:30]),
            *(write(n, appender, clean_graph) for n in range(3)),
            *(elsewhere.read(r) for r in reads[30:45]),
            *(write(n, None, clean_graph) for n in range(3, 6)),
            *(appender.read(r) for r in reads[45:]),
        )
        entries = [e for e in results if isinstance(e, audit.Entry)]
        # Every read has one entry of its own, naming its people once, in the chain.
        assert len(entries) == 60
        assert [e.subjects for e in entries] == [(f"P{n:03}", f"Q{n:03}") for n in range(60)]
        assert all(e.kind == "read" and e.key_id == "reader-key" for e in entries)
        assert [e.args_digest for e in entries] == [audit.digest({"n": n}) for n in range(60)]
        assert len({e.seq for e in entries}) == 60
        assert await audit.length(clean_graph) == before + 66
        assert await audit.verify(clean_graph) == (before + 66, None)
        # Grouped: the 45 reads of this worker took a few statements, not one or more each.
        assert own.statements - statements < 10
        page = await audit.page(clean_graph, before + 67, 100, "Q007", "read")
        assert [(e.seq, e.subjects) for e in page] == [(entries[7].seq, ("P007", "Q007"))]
    finally:
        await own.close()
        await other_worker.close()


async def test_the_head_moved_by_another_process_is_read_again(
    clean_graph: Graph, settings: Settings
) -> None:
    appender = appenders.Appender(clean_graph)
    first = await appender.read(appenders.Read(READER, "company", {}, ("P1",)))
    # The command line appends behind this worker's back: the head it remembers is stale.
    await audit.act(clean_graph, OTHER, "upsertCompany", {}, _nothing)
    second = await appender.read(appenders.Read(READER, "company", {}, ("P2",)))
    assert second.seq == first.seq + 2
    assert (await audit.verify(clean_graph))[1] is None


async def test_a_group_that_cannot_be_written_fails_every_read_in_it(
    clean_graph: Graph, settings: Settings
) -> None:
    gone = await Graph.connect(settings.graph_config())
    await gone.close()
    appender = appenders.Appender(gone)
    before = await audit.length(clean_graph)
    results = await asyncio.wait_for(
        asyncio.gather(
            *(appender.read(appenders.Read(READER, "company", {}, (f"P{n}",))) for n in range(5)),
            return_exceptions=True,
        ),
        timeout=60,
    )
    assert len(results) == 5 and all(isinstance(r, GraphError) for r in results), results
    assert await audit.length(clean_graph) == before
    # The appender is not stuck: on a graph that answers, the next reads go in.
    healthy = appenders.Appender(clean_graph)
    entry = await healthy.read(appenders.Read(READER, "company", {}, ("P9",)))
    assert entry.seq == before + 1


async def test_a_read_that_found_no_one_has_its_entry_too(clean_graph: Graph) -> None:
    appender = appenders.Appender(clean_graph)
    missed, found = await asyncio.gather(
        appender.read(appenders.Read(READER, "person", {"miss": 1}, ())),
        appender.read(appenders.Read(READER, "person", {"hit": 1}, ("P5",))),
    )
    assert (missed.subjects, found.subjects) == ((), ("P5",))
    assert found.seq == missed.seq + 1
    assert await audit.verify(clean_graph) == (found.seq, None)
    page = await audit.page(clean_graph, found.seq + 1, 10, None)
    assert [(e.seq, e.args_digest) for e in page] == [
        (found.seq, audit.digest({"hit": 1})),
        (missed.seq, audit.digest({"miss": 1})),
    ]


async def test_readers_in_waves_share_statements_and_each_gets_its_entry(
    clean_graph: Graph, settings: Settings
) -> None:
    """32 readers, each reading 5 times in a row (a loaded worker, its groups waiting a turn or
    two for more): every read gets its own committed entry, a reader's in its order, the waves
    share statements, and a lone read is written at once, in one statement."""
    own = await Graph.connect(settings.graph_config())
    try:
        appender = appenders.Appender(own)
        before = await audit.length(clean_graph)
        first = await appender.read(appenders.Read(READER, "company", {"lone": 1}, ("L001",)))
        statements = own.statements
        lone = await appender.read(appenders.Read(READER, "company", {"lone": 2}, ("L002",)))
        # A lone read: one statement, its own group, at once (the head is known by now).
        assert (first.seq, lone.seq) == (before + 1, before + 2)
        assert own.statements - statements == 1

        async def reader(n: int) -> list[int]:
            seqs = []
            for turn in range(5):
                read = appenders.Read(READER, "company", {"n": n, "t": turn}, (f"R{n:03}",))
                seqs.append((await appender.read(read)).seq)
            return seqs

        statements = own.statements
        seen = await asyncio.gather(*(reader(n) for n in range(32)))
        written = own.statements - statements
        every = sorted(seq for seqs in seen for seq in seqs)
        assert every == list(range(before + 3, before + 3 + 32 * 5))
        assert all(seqs == sorted(seqs) for seqs in seen)  # a reader's reads in its order
        assert written <= 32 * 5 // 4, written  # groups of four and more on average
        checked, broken = await audit.verify(clean_graph)
        assert broken is None and checked == before + 2 + 32 * 5
    finally:
        await own.close()
