"""The floor of our stack for the peer benchmark's lookup: uvicorn, Starlette, the official
driver and orjson, and nothing else: no GraphQL, no key, no rules, no audit. It answers the
lookup's JSON from one statement shaped like the peer's (projections in ``CALL`` subqueries), so
the peer benchmark can show how much of credgraph's time is the stack itself.

    BARE_BOLT_URI=... BARE_USER=... BARE_PASSWORD=... BARE_DATABASE=... \
        python -m uvicorn bench.bare:app --port 8001
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import neo4j
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

LOOKUP = """
MATCH (c:Company {uscc: $u})
CALL (c) {
  MATCH (c)<-[:LEGAL_REPRESENTATIVE_OF]-(p:Person)
  RETURN head(collect(p {.name})) AS representative
}
CALL (c) {
  MATCH (r:Record {subjectKey: c.uscc})
  WITH r {.recordId, .code, .decidedOn} AS r ORDER BY r.decidedOn DESC LIMIT 5
  RETURN collect(r) AS records
}
RETURN c.uscc AS uscc, c.name AS name, representative, records
"""
_driver: dict[str, neo4j.AsyncDriver] = {}


async def lookup(request: Request) -> Response:
    variables = orjson.loads(await request.body())["variables"]
    async with _driver["bolt"].session(
        database=os.environ["BARE_DATABASE"], default_access_mode=neo4j.READ_ACCESS
    ) as session:
        result = await session.run(LOOKUP, {"u": variables["u"]})
        rows = [dict(record) async for record in result]
    company: dict[str, Any] | None = None
    if rows:
        row = rows[0]
        company = {
            "uscc": row["uscc"],
            "name": row["name"],
            "legalRepresentative": row["representative"],
            "records": {"edges": [{"node": record} for record in row["records"]]},
        }
    body = orjson.dumps({"data": {"company": company}}, default=str)
    return Response(body, media_type="application/json")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    _driver["bolt"] = neo4j.AsyncGraphDatabase.driver(
        os.environ["BARE_BOLT_URI"], auth=(os.environ["BARE_USER"], os.environ["BARE_PASSWORD"])
    )
    try:
        yield
    finally:
        await _driver.pop("bolt").close()


app = Starlette(routes=[Route("/graphql", lookup, methods=["POST"])], lifespan=lifespan)
