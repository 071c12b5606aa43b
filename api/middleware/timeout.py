"""Timeout: an HTTP request is answered within ``CREDGRAPH_REQUEST_TIMEOUT``. Past it the work is
cancelled (the graph transaction with it: the driver rolls it back) and the client gets a 504,
unless the answer had begun to go out. WebSocket operations have the same limit
(``api.websocket``).
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware.http_only import HTTPOnly
from api.refusals import Refused
from config.settings import Settings

log = logging.getLogger("credgraph.api")


def timeout_reason(settings: Settings) -> str:
    return (
        f"the request took longer than {settings.request_timeout:g} s and was stopped; "
        "nothing it was writing was kept"
    )


class Timeout(HTTPOnly):
    """Cancels an HTTP request that runs past the limit (see the module)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        super().__init__(app)
        self.settings = settings

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            async with asyncio.timeout(self.settings.request_timeout):
                await self.app(scope, receive, tracking)
        except TimeoutError:
            if started:
                raise
            log.warning("request timed out after %.1fs", self.settings.request_timeout)
            refused = Refused(504, "timeout", timeout_reason(self.settings))
            await refused.response()(scope, receive, send)
