"""Trusted documents (``api.trusted``) over HTTP: a POST's JSON operation, each operation of a
batch, or a GET's ``query``/``documentId`` must be a registered document, or the request is
refused with 400 and ``DOCUMENT_NOT_TRUSTED`` before anything parses it. An operation sent by
its ``documentId`` goes on with the registered text as its query. Installed only when
``CREDGRAPH_TRUSTED_DOCUMENTS`` is set."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from cross_web import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware.http_only import HTTPOnly
from api.refusals import Refused
from api.trusted import TrustedDocuments, UntrustedDocument

JSON = "application/json"


class TrustedOnly(HTTPOnly):
    """Passes on only requests whose operations are registered documents."""

    def __init__(self, app: ASGIApp, documents: TrustedDocuments) -> None:
        super().__init__(app)
        self.documents = documents

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if scope["method"] == "GET":
                scope = self._query_string(scope)
                await self.app(scope, receive, send)
                return
            if scope["method"] != "POST":
                await self.app(scope, receive, send)  # the view answers 405
                return
            body = await _body(receive)
            body = self._body(scope, body)
        except UntrustedDocument as exc:
            await Refused(400, "document_not_trusted", str(exc)).response()(scope, receive, send)
            return
        except HTTPException as exc:  # the body limit, met while reading
            await Refused.of(exc).response()(scope, receive, send)
            return
        await self.app(_with_length(scope, len(body)), _replay(body), send)

    def _query_string(self, scope: Scope) -> Scope:
        params = dict(parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True))
        if "query" not in params and "documentId" not in params:
            return scope  # GraphiQL's page, or the view's own refusal
        resolved = self.documents.resolve(dict(params))
        return {**scope, "query_string": urlencode(resolved).encode()}

    def _body(self, scope: Scope, body: bytes) -> bytes:
        headers = dict(scope.get("headers") or [])
        media = headers.get(b"content-type", b"").decode().partition(";")[0].strip().lower()
        if media != JSON:
            raise UntrustedDocument(
                f"content-type: {media or 'none'}; with trusted documents the API takes "
                "application/json operations (a registered query or its documentId)"
            )
        try:
            data: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body  # the view answers the malformed body
        if isinstance(data, dict):
            return orjson.dumps(self.documents.resolve(data))
        if isinstance(data, list) and all(isinstance(item, dict) for item in data):
            return orjson.dumps([self.documents.resolve(item) for item in data])
        return body


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _with_length(scope: Scope, length: int) -> Scope:
    headers = [(k, v) for k, v in scope.get("headers") or [] if k != b"content-length"]
    headers.append((b"content-length", str(length).encode()))
    return {**scope, "headers": headers}
