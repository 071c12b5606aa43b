"""Computing explained scores for the API: picking the scheme, reading the inputs, evaluating."""

from __future__ import annotations

from datetime import date

from api.context import Info
from api.errors import PublicError
from graph.driver import Graph
from graph.models import EntityKind
from graph.repositories import scoring as inputs
from graph.repositories import snapshots
from graph.repositories.ball import ball as ball_around
from scoring import batch
from scoring.engine import Score, evaluate
from scoring.scheme import Scheme

_SUBJECT = {EntityKind.PERSON: "person", EntityKind.COMPANY: "company"}


def scheme_for(info: Info, kind: EntityKind, wanted: str | None) -> Scheme:
    """The scheme named ``wanted``, or the first (by id) that scores this kind of entity."""
    schemes: dict[str, Scheme] = info.context.request.app.state.schemes
    subject = _SUBJECT[kind]
    if wanted is None:
        for scheme_id in sorted(schemes):
            if subject in schemes[scheme_id].subjects:
                return schemes[scheme_id]
        raise PublicError(f"scheme: no installed scheme scores a {subject}")
    scheme = schemes.get(wanted)
    if scheme is None:
        raise PublicError(f"scheme: no scheme {wanted!r}; installed: {', '.join(sorted(schemes))}")
    if subject not in scheme.subjects:
        raise PublicError(f"scheme: {wanted} does not score a {subject}")
    return scheme


async def compute(info: Info, key: str, kind: EntityKind, scheme: Scheme, as_of: date) -> Score:
    """Evaluate ``key`` now from the graph: its records and the risk that reaches it."""
    return await evaluate_in(info.context.graph, key, kind, scheme, as_of)


async def evaluate_in(
    graph: Graph, key: str, kind: EntityKind, scheme: Scheme, as_of: date
) -> Score:
    own = await inputs.own_records(graph, key)
    reach = await inputs.reaches(graph, key, kind, scheme.propagation.max_hops)
    return evaluate(key, own, reach, scheme, as_of)


async def rescore_around(
    graph: Graph, schemes: dict[str, Scheme], key: str, kind: EntityKind, as_of: date
) -> int:
    """Rescore an entity and every entity its records can reach; store what changed.

    Called when a record is added or amended: the subject's score moves, and so do the scores
    of the entities within the hop limit, through propagation. Returns the snapshots written.
    Schemes the matrix pass computes exactly run on the subgraph around the subject; a scheme
    with a longer reach (three hops) is evaluated entity by entity by the engine.
    """
    batched = {i: s for i, s in schemes.items() if batch.handles(s)}
    summaries = []
    if batched:
        hops = max(s.propagation.max_hops for s in batched.values())
        # Everyone within ``hops`` of the subject can move; risk reaches them from ``hops``
        # further.
        data, distance = await ball_around(graph, key, kind, 2 * hops)
        for scheme_id in sorted(batched):
            result = batch.evaluate_all(data, batched[scheme_id], as_of)
            summaries += snapshots.from_batch(data, result, as_of, lambda k: distance[k] <= hops)
    for scheme_id in sorted(set(schemes) - set(batched)):
        scheme = schemes[scheme_id]
        for other, other_kind in await inputs.neighbourhood(
            graph, key, kind, scheme.propagation.max_hops
        ):
            if _SUBJECT[other_kind] not in scheme.subjects:
                continue
            score = await evaluate_in(graph, other, other_kind, scheme, as_of)
            summaries.append(snapshots.ScoreSummary.of(score))
    return await snapshots.record_summaries(graph, summaries)
