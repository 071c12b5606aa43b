"""graphql-transport-ws with the limits HTTP has.

Every operation a WebSocket client subscribes takes a token from the same per-key (or
per-address) bucket as an HTTP request, is costed by the same budget (the schema's
``CostLimit``), and a query or mutation runs under the same ``CREDGRAPH_REQUEST_TIMEOUT`` (its
graph work cancelled past it). A key holds at most ``CREDGRAPH_WS_CONNECTIONS`` connections
and ``CREDGRAPH_WS_SUBSCRIPTIONS`` operations at once across them; a refusal is an ``error``
message with the reason and an ``extensions.code``, and the connection stays open.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage,
    SubscribeMessage,
)

from api.context import Context, begin_operation
from api.cost import parsed
from api.middleware.rate_limit import admit
from api.middleware.timeout import timeout_reason
from api.refusals import Refused, bucket, client_address
from api.trusted import UntrustedDocument

if TYPE_CHECKING:
    from api.view import CredgraphGraphQL


def _is_subscription(query: str, operation_name: str | None) -> bool:
    document = parsed(query)
    if document is None:
        return False
    for op in document.definitions:
        if isinstance(op, OperationDefinitionNode) and (
            operation_name is None or (op.name is not None and op.name.value == operation_name)
        ):
            return op.operation is OperationType.SUBSCRIPTION
    return False


def _error(operation_id: str, message: str, code: str) -> ErrorMessage:
    error = GraphQLError(message, extensions={"code": code})
    return ErrorMessage(id=operation_id, type="error", payload=[error.formatted])


class LimitedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, with rate limit, caps and timeout."""

    @property
    def app(self) -> CredgraphGraphQL:
        view: Any = self.view
        return view  # type: ignore[no-any-return]

    def _holder(self) -> str:
        return bucket(self.context.caller, client_address(self.context.request))

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            if self.context.ws_holder is not None:
                self.app.limits.ws_connections.release(self.context.ws_holder)
                self.context.ws_holder = None

    async def _refuse(self, operation_id: str, message: str, code: str) -> None:
        await self.send_message(_error(operation_id, message, code))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # strawberry closes the socket for these
            return
        trusted = self.app.trusted
        if trusted is not None:
            try:
                payload: Any = trusted.resolve(dict(message["payload"]))
            except UntrustedDocument as exc:
                await self._refuse(message["id"], str(exc), "DOCUMENT_NOT_TRUSTED")
                return
            message = {**message, "payload": payload}
        try:
            await admit(self.app.limits, self.context.caller, client_address(self.context.request))
        except Refused as refused:
            await self._refuse(message["id"], refused.reason, "RATE_LIMITED")
            return
        holder = self._holder()
        caps = self.app.limits.ws_operations
        if not caps.acquire(holder):
            await self._refuse(
                message["id"],
                f"at most {caps.limit} WebSocket operations at once for this key "
                "(CREDGRAPH_WS_SUBSCRIPTIONS)",
                "RATE_LIMITED",
            )
            return
        await super().handle_subscribe(message)
        started = self.operations.get(message["id"])
        if started is None or started.task is None:
            caps.release(holder)  # strawberry refused it (its per-connection limit)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        holder = self._holder()
        begin_operation()  # this operation's task keeps its own reads
        try:
            if _is_subscription(operation.query, operation.operation_name):
                await super().run_operation(operation)
                return
            settings = self.app.settings
            try:
                async with asyncio.timeout(settings.request_timeout):
                    await super().run_operation(operation)
            except TimeoutError:
                await operation.send_operation_message(
                    _error(operation.id, timeout_reason(settings), "TIMEOUT")
                )
        finally:
            self.app.limits.ws_operations.release(holder)
