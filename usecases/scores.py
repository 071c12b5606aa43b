"""Scores: a subject's explained score computed from the graph, and rescoring around a change.

How a point is computed lives in ``scoring`` (``scoring.engine`` for one subject, its own
records and the propagated risk; ``scoring.batch`` for a whole subgraph at once, the same
rules as matrices); this module reads their inputs from the graph and stores what changed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from graph.driver import Graph
from graph.models import EntityKind
from graph.repositories import bulk, score_inputs, score_store, snapshots
from graph.repositories.subgraph import subgraph_around
from scoring import batch
from scoring.engine import Score, evaluate
from scoring.scheme import Scheme
from usecases import events
from usecases.errors import SchemeUnsupported
from usecases.schemes import SUBJECT


async def score_of(graph: Graph, key: str, kind: EntityKind, scheme: Scheme, as_of: date) -> Score:
    """Evaluate ``key`` now from the graph: its records and the risk that reaches it."""
    own = await score_inputs.own_records(graph, key)
    reach = await score_inputs.reaches(graph, key, kind, scheme.propagation.max_hops)
    return evaluate(key, own, reach, scheme, as_of)


async def rescore_around(
    graph: Graph, schemes: Mapping[str, Scheme], key: str, kind: EntityKind, as_of: date
) -> int:
    """Rescore an entity and every entity its records can reach; store what changed, with the
    watch events it makes. Returns the snapshots written.

    Called when a record is added, disputed or decided: the subject's score moves, and so do
    the scores of the entities within the hop limit, through propagation. Schemes the matrix
    pass computes exactly run on the subgraph around the subject; a scheme with a longer reach
    (three hops) is evaluated entity by entity by the engine.
    """
    batched = {i: s for i, s in schemes.items() if batch.handles(s)}
    summaries = []
    if batched:
        hops = max(s.propagation.max_hops for s in batched.values())
        # Everyone within ``hops`` of the subject can move; risk reaches them from ``hops``
        # further.
        data, distance = await subgraph_around(graph, key, kind, 2 * hops)
        for scheme_id in sorted(batched):
            result = batch.evaluate_all(data, batched[scheme_id], as_of)
            summaries += snapshots.from_batch(data, result, as_of, lambda k: distance[k] <= hops)
    for scheme_id in sorted(set(schemes) - set(batched)):
        scheme = schemes[scheme_id]
        for other, other_kind in await score_inputs.neighbourhood(
            graph, key, kind, scheme.propagation.max_hops
        ):
            if SUBJECT[other_kind] not in scheme.subjects:
                continue
            score = await score_of(graph, other, other_kind, scheme, as_of)
            summaries.append(snapshots.ScoreSummary.of(score))
    moves = await snapshots.record_summaries(graph, summaries)
    await events.emit(graph, events.score_moved(moves, datetime.now(UTC)))
    return len(moves)


@dataclass
class SchemeSummary:
    scheme_id: str
    scored: int = 0
    written: int = 0
    blacklisted: int = 0
    levels: Counter[str] = field(default_factory=Counter)


@dataclass
class ScoreRun:
    read_seconds: float = 0.0
    compute_seconds: float = 0.0
    write_seconds: float = 0.0
    entities: int = 0
    links: int = 0
    records: int = 0
    schemes: list[SchemeSummary] = field(default_factory=list)


class ScoreProgress(Protocol):
    """What a whole-graph pass reports as it goes (the command line draws progress bars)."""

    def read(self, rows: int) -> None: ...
    def computed(self, to_store: int) -> None: ...
    def stored(self, rows: int) -> None: ...


def refuse_unhandled(schemes: Mapping[str, Scheme]) -> None:
    """``SchemeUnsupported`` for a scheme the whole-graph pass (either engine) cannot compute."""
    for scheme in schemes.values():
        if not batch.handles(scheme):
            raise SchemeUnsupported(
                scheme.id,
                f"propagation.max_hops is {scheme.propagation.max_hops}; the "
                f"whole-graph pass computes at most {batch.EXACT_HOPS} hops exactly, so score "
                "--all cannot store its scores (the API computes them live, and rescores the "
                "neighbourhood of each new record)",
            )


async def score_all(
    graph: Graph,
    schemes: Mapping[str, Scheme],
    as_of: date,
    progress: ScoreProgress,
    batch_size: int = score_store.WRITE_BATCH,
) -> ScoreRun:
    """The whole-graph pass: read the graph as arrays, compute every scheme with sparse
    matrices (``scoring.batch``), store the scores that changed in audited batches and tell
    watchers of the level and blacklist moves."""
    refuse_unhandled(schemes)
    run = ScoreRun()
    started = time.perf_counter()
    data = await bulk.load_graph(graph, lambda stage, rows: progress.read(rows))
    run.read_seconds = time.perf_counter() - started
    run.entities, run.links, run.records = data.size, data.links, data.records
    started = time.perf_counter()
    computed = [batch.evaluate_all(data, schemes[i], as_of) for i in sorted(schemes)]
    run.compute_seconds = time.perf_counter() - started
    progress.computed(sum(int(result.scored.sum()) for result in computed))
    started = time.perf_counter()
    for result in computed:
        stored = await score_store.store_batch(
            graph, data, result, as_of, progress.stored, batch_size
        )
        await events.emit(graph, events.score_moved(stored.moves, datetime.now(UTC)))
        run.schemes.append(
            SchemeSummary(
                result.scheme_id,
                scored=stored.scored,
                written=stored.written,
                blacklisted=stored.blacklisted,
                levels=stored.levels,
            )
        )
    run.write_seconds = time.perf_counter() - started
    return run
