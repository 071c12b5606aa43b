"""Body limit: an HTTP request body larger than ``MAX_BODY`` bytes is refused with 413, whether
its Content-Length says so up front or its chunks add up to more as they arrive."""

from __future__ import annotations

from cross_web import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware.http_only import HTTPOnly
from api.refusals import Refused

MAX_BODY = 1 << 20  # bytes of one request body


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit // 1024} KiB"


class BodyLimit(HTTPOnly):
    """Passes a request body through, refusing one larger than ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        super().__init__(app)
        self.limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await Refused(413, "too_large", _too_large(self.limit)).response()(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # Raised inside the view's read of the body: it answers 413 (``api.view``).
                    raise HTTPException(413, _too_large(self.limit))
            return message

        await self.app(scope, counted, send)
