"""Small ASGI wrappers, one concern each, around the GraphQL endpoint."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# GraphQL answers are per caller and may hold a file: never cached by a browser or a proxy,
# never sniffed into another content type.
GRAPHQL_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
)


class SecurityHeaders:
    """Adds ``GRAPHQL_HEADERS`` to every HTTP answer of the wrapped app, refusals included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in GRAPHQL_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
