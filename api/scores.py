"""Computing explained scores for the API: picking the scheme, reading the inputs, evaluating."""

from __future__ import annotations

from datetime import date

from api.context import Info
from api.errors import PublicError
from graph.models import EntityKind
from graph.repositories import scoring as inputs
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
    graph = info.context.graph
    own = await inputs.own_records(graph, key)
    reach = await inputs.reaches(graph, key, kind, scheme.propagation.max_hops)
    return evaluate(key, own, reach, scheme, as_of)
