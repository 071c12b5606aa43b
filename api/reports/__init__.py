"""``GET /reports/<global id>.pdf`` (and ``.json``, ``.csv``): a credit file to attach.

A bank that decided on a file keeps the file it decided on. The report is read through the
GraphQL schema itself (``api.reports.content``), with the caller's key, role, cost budget and
rules, so that it holds exactly what a file read shows that caller (identity numbers masked as
the role requires) and is refused exactly when a file read is. It is logged as one read entry
(operation ``report``) naming the subject and every person it shows, and that entry's number is
printed on the report with the time it was made and the caller's key id. The middleware in
front is the GraphQL endpoint's: the key, the rate limit and the timeout.
"""

from __future__ import annotations

import logging
from typing import cast

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.refusals import Refused
from api.reports.content import ReportRefused, read_report
from api.reports.formats import FORMATS, FontMissing, render
from api.view import CredgraphGraphQL

log = logging.getLogger("credgraph.api")

LANGUAGES = ("zh", "en")


class ReportView:
    """The ASGI endpoint behind ``/reports/{id}.{format}``."""

    def __init__(self, graphql: CredgraphGraphQL) -> None:
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.answer(request)
        except Refused as refused:
            response = refused.response()
        await response(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        node_id = request.path_params["id"]
        fmt = request.path_params["format"]
        if fmt not in FORMATS:
            raise Refused(404, "not_found", f"format: must be one of {', '.join(FORMATS)}")
        language = request.query_params.get("lang", "zh")
        if language not in LANGUAGES:
            raise Refused(400, "bad_request", f"lang: must be one of {', '.join(LANGUAGES)}")
        context = await self.graphql.get_context(request)
        schema = cast(strawberry.Schema, self.graphql.schema)
        try:
            report = await read_report(schema, context, node_id, fmt)
        except ReportRefused as refused:
            raise Refused(refused.status, refused.error, refused.reason, refused.headers) from None
        try:
            body, media_type = render(report, fmt, language, self.graphql.settings.report_font)
        except FontMissing as exc:
            raise Refused(503, "unavailable", str(exc)) from None
        filename = f"credit-report-{report['entity']['key'] or report['entity']['id']}.{fmt}"
        return Response(
            body,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{_ascii(filename)}"'},
        )


def _ascii(name: str) -> str:
    """A file name a header can carry (a key is ASCII; anything else becomes ``_``)."""
    return "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)
