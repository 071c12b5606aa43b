"""The base of our middleware: each concern applies to HTTP requests; anything else (WebSocket
connections, the lifespan) passes straight through to the wrapped app."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HTTPOnly:
    """Calls ``handle`` for HTTP requests and passes everything else on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
