"""Security headers: GraphQL answers are never cached and never sniffed."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from api.middleware.http_only import HTTPOnly

# GraphQL answers are per caller and may hold a file: never cached by a browser or a proxy,
# never sniffed into another content type.
GRAPHQL_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
)


class SecurityHeaders(HTTPOnly):
    """Adds ``GRAPHQL_HEADERS`` to every HTTP answer of the wrapped app, refusals included."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in GRAPHQL_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
