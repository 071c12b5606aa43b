"""The GraphQL view: strawberry's ASGI app with credgraph's per-request context, the cost
budget every operation (a batch as a whole) is charged against, and the refusals it answers
with. The key, the rate limit, the timeout and the body limit are middleware in front of it
(``api.middleware``); ``api.websocket`` gives WebSocket operations the same limits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from api import direct
from api.codes import stamp
from api.context import Context
from api.cost import BUDGET, refusal, request_cost
from api.errors import RateLimited
from api.graphiql import local_graphiql, missing_vendor_files
from api.limits import WorkerLimits, retry_after
from api.loaders import build_loaders
from api.middleware.authentication import identify
from api.refusals import UNAVAILABLE, Refused, bucket, client_address
from api.schema import build_schema
from api.trusted import TrustedDocuments
from api.websocket import LimitedTransportWS
from config.settings import Settings
from graph.driver import LimitedGraph
from graph.errors import GraphConflict, GraphUnavailable
from usecases.session import PUBLIC

log = logging.getLogger("credgraph.api")


GRAPHQL_RESPONSE = "application/graphql-response+json"


class CredgraphGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our per-request context, limits and refusals."""

    graphql_transport_ws_handler_class = LimitedTransportWS

    def __init__(self, settings: Settings, limits: WorkerLimits, **kwargs: Any) -> None:
        schema = build_schema(production=settings.production, compiled=settings.compiled_lookups)
        super().__init__(schema, **kwargs)
        self.settings = settings
        self.limits = limits
        # Registered documents only, when set (api.trusted): HTTP by middleware, WebSocket here.
        self.trusted = (
            TrustedDocuments.load(settings.trusted_documents)
            if settings.trusted_documents
            else None
        )

    def decode_json(self, data: str | bytes) -> object:
        decoded = orjson.loads(data)
        # A batch is a list of operation objects; anything else in it is the client's mistake.
        if isinstance(decoded, list) and not all(isinstance(item, dict) for item in decoded):
            raise HTTPException(400, "a batch must be a list of objects with a query each")
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "the body must be an object with a query, or a batch of them")
        return decoded

    def encode_json(self, data: object) -> str:
        # Text: WebSocket clients (graphql-ws in browsers) expect text frames, not binary ones.
        return orjson.dumps(data).decode()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        # HTTP answers skip the decode: orjson's bytes go out as they are.
        media_type = sub_response.media_type or "application/json"
        response = Response(orjson.dumps(response_data), media_type=media_type)
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        # GraphiQL from our own files (api.graphiql): never from a CDN, so it works offline.
        missing = missing_vendor_files(self.settings.console_dir)
        if missing:
            return PlainTextResponse(
                f"GraphiQL's files are not built ({', '.join(missing)} missing under "
                f"{self.settings.console_dir / 'vendor'}): run `make console`. "
                "POST GraphQL requests to /graphql meanwhile.",
                status_code=503,
            )
        return HTMLResponse(local_graphiql()[0])

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # The GraphQL-over-HTTP media type when the client asks for it (its status codes
        # then say what happened: 400 for a request that could not run).
        if GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            sub_response.media_type = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        _state(request)["sub_response"] = sub_response
        return sub_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # The key, the rate limit, the timeout and the body limit were seen to by the
        # middleware in front (``api.middleware``); refusals from here on are JSON as well.
        # An ordinary planned lookup is answered directly (``api.direct``).
        request = Request(scope, receive)
        try:
            response = None
            if self.settings.compiled_lookups and scope["method"] == "POST":
                response = await direct.answer(self, request)
            if response is None:
                # Whatever the direct answer did is kept: the body read, the context built.
                context = _state(request).pop("context", UNSET)
                response = await self.run(request, context=context)
        except HTTPException as exc:
            response = Refused.of(exc).response()
        await response(scope, receive, send)

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: Any,
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        # A batch is costed as a whole before any of its operations runs.
        if isinstance(request_data, list):
            _state(request)["batch"] = True
            cost = request_cost(self.schema._schema, request_data)  # type: ignore[attr-defined]
            if cost > BUDGET:
                raise Refused(400, "cost_exceeded", str(refusal(cost, "batch")))
            if context.charge is not None:
                try:
                    await context.charge(cost)
                except RateLimited as limited:
                    raise Refused.limited(limited) from None
                context.cost_charged = True
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        state = _state(request)
        for error in result.errors or ():
            stamp(error)  # the pipeline stamped those it saw; this one is for those it did not
            original = error.original_error
            if isinstance(original, RateLimited):
                raise Refused.limited(original)
            if isinstance(original, (GraphUnavailable, GraphConflict)):
                log.warning("graph unavailable: %s", original)
                if not state.get("batch"):
                    # Not the client's fault and not a GraphQL error: 503, so that load
                    # balancers and clients retry.
                    raise Refused.unavailable()
                # In a batch the other operations' answers stand: this one says it failed
                # (a write in it was rolled back whole).
                error.message = f"{UNAVAILABLE}; nothing of this operation was written"
        processed = await super().process_result(request, result)
        sub_response = state.get("sub_response")
        if (
            isinstance(result, PreExecutionError)
            and sub_response is not None
            and sub_response.media_type
            and not state.get("batch")
        ):
            # A request that could not run (syntax, validation, variables): 400, no data.
            sub_response.status_code = 400
            processed.pop("data", None)
        return processed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        # A bulkhead per request (per connection over WebSocket): a few statements in
        # flight, never the whole driver pool.
        graph = LimitedGraph(request.app.state.graph, self.settings.request_statements)
        context = Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            graph=graph,
            settings=self.settings,
            loaders=build_loaders(graph),
            caller=request.scope.get("state", {}).get("caller", PUBLIC),
            misses=self.limits.misses,
        )
        context.charge = self._charger(context)
        return context

    def _charger(self, context: Context) -> Callable[[int], Awaitable[None]]:
        """Takes an operation's cost from its caller's budget a minute (the caller read when
        it runs: a WebSocket's is known only after connection_init), or raises
        ``RateLimited`` with the seconds until the budget has that much again."""

        async def charge(cost: int) -> None:
            caller = context.caller
            who = bucket(caller, client_address(context.request))
            costs = self.limits.key_costs if caller.key_id else self.limits.public_costs
            whose = "key" if caller.key_id else "address"
            wait = await costs.take(who, cost)
            if wait is not None:
                seconds = retry_after(wait)
                raise RateLimited(
                    f"this {whose} has spent its cost budget of {costs.capacity:,.0f} a minute "
                    f"(the request would cost {cost:,}); retry in {seconds} s",
                    retry_after=seconds,
                )

        return charge

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A WebSocket client names its key in the connection_init payload (browsers cannot
        set headers on a WebSocket) or in the Authorization header of the upgrade request;
        a key holds at most ``CREDGRAPH_WS_CONNECTIONS`` connections at once."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if not isinstance(header, str):
            header = context.request.headers.get("authorization")
        address = client_address(context.request)
        try:
            context.caller = await identify(self.limits, context.graph, header, address)
        except Refused as refused:
            raise ConnectionRejectionError({"reason": refused.reason}) from None
        who = bucket(context.caller, address)
        if not self.limits.ws_connections.acquire(who):
            raise ConnectionRejectionError(
                {"reason": f"at most {self.limits.ws_connections.limit} WebSocket connections at "
                 "once for this key (CREDGRAPH_WS_CONNECTIONS)"}
            )  # fmt: skip
        context.ws_holder = who
        return cast(UnsetType, UNSET)


def _state(request: Request | WebSocket) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state
