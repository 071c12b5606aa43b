"""Planned lookups over HTTP answered by the view itself, around strawberry's HTTP view and its
schema pipeline: for the documents relying parties send all day, those two cost more CPU than
the lookup's own work (request adapters, an execution context, the pipeline's hooks as context
managers, result processing), and none of it decides anything such a request needs.

A request is answered here only when everything about it is ordinary: a POST of one JSON
operation (``query``, optional ``variables`` and ``operationName``, nothing else), a document
that parses and validates under the same limits as every request (``api.schema``: tokens, depth,
aliases, no introspection in production) and that ``api.plans`` covers. It then goes through
the same duties, in the same order, by the same functions: the middleware in front (key, rate
limit, timeout, body limit) as for every request; the cost limit and the caller's cost budget
(``api.cost.admit``); the plan (``api.compiled.answer``: every field's own rules, resolver and
serializer); the operation's read entry (``api.read_audit.flush_reads``: no answer leaves before
its entry is committed; when it cannot be written, the view runs the request again and answers
the failure as it does for every request).

Anything else goes on to strawberry's view with what was done kept (the body read, the cost
charged, the context built): a refusal of the cost limit or the budget, a plan's request that
does not answer plain data, a document without a plan. Normal execution then answers it from
the start, skipping only the plan already tried. ``tests/test_api_direct.py`` checks that both
roads answer the same, with the same refusals, read entries and cost charges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import orjson
import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from api import compiled
from api.cost import admit
from api.errors import RateLimited
from api.plans import plan
from api.read_audit import flush_reads
from api.refusals import Refused
from api.schema import MAX_TOKENS, all_rules, parsed_document, validation_errors
from graph.errors import GraphConflict, GraphUnavailable

if TYPE_CHECKING:
    from api.view import CredgraphGraphQL

_KEYS = frozenset({"query", "variables", "operationName"})


@dataclass(slots=True)
class Counters:
    """How many requests were answered here (the bench and the tests read it)."""

    answered: int = 0


counters = Counters()


async def answer(view: CredgraphGraphQL, request: Request) -> Response | None:
    """The response to ``request`` when it is an ordinary planned lookup, or None: strawberry's
    view answers it (with ``request`` and its context as far as they got here)."""
    content_type = request.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() != "application/json":
        return None
    operation = _operation(await request.body())  # kept on the request for the view
    if operation is None:
        return None
    query, variables, name = operation
    schema = cast(strawberry.Schema, view.schema)
    try:
        document = parsed_document(query, MAX_TOKENS)
    except GraphQLError:
        return None  # the view answers the syntax error
    if validation_errors(schema._schema, query, all_rules(view.settings.production)):
        return None  # the view answers them
    found = plan(schema._schema, query, name, document)
    if found is None:
        return None
    sub_response = await view.get_sub_response(request)
    context = await view.get_context(request, sub_response)
    # One operation on a context of its own: its look-ahead reads what the document shows.
    context.projection = found.projection
    request.scope.setdefault("state", {})["context"] = context  # the view goes on with it
    try:
        await admit(schema._schema, document, name, variables, context)
    except (GraphQLError, RateLimited):
        return None  # the view answers the refusal (nothing was charged)
    context.cost_charged = True
    context.plan_tried = True
    try:
        result = await compiled.answer(schema, query, document, name, variables, context, None)
    except (GraphUnavailable, GraphConflict):
        raise Refused.unavailable() from None  # as the view answers it, without a second try
    except RateLimited as limited:
        raise Refused.limited(limited) from None
    if result is None:
        return None
    reads = context.reads
    before = reads.copy()
    try:
        await flush_reads(context)
    except (GraphUnavailable, GraphConflict):
        raise Refused.unavailable() from None  # no read without its entry: nothing shown
    except Exception:
        # No read without its entry: the view runs the request again, and answers the
        # failure as it answers it for every request when it fails there too.
        reads.restore(before)
        return None
    counters.answered += 1
    del request.scope["state"]["context"]  # answered: no cycle left from the scope to it
    return view.create_response({"data": result.data}, sub_response)


def _operation(body: bytes) -> tuple[str, dict[str, Any] | None, str | None] | None:
    """The query, variables and operation name of a body holding one ordinary operation."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not data.keys() <= _KEYS:
        return None
    query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
    if not isinstance(query, str):
        return None
    if variables is not None and not isinstance(variables, dict):
        return None
    if name is not None and not isinstance(name, str):
        return None
    return query, variables, name
