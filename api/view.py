"""The GraphQL view: strawberry's ASGI app with credgraph's per-request context and the limits
every request runs under (keys, rate limits, the body limit, the timeout, the batch's cost),
and the refusals it answers with. ``api.websocket`` gives WebSocket operations the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from api.auth import PUBLIC, Authenticator, BadKey, Caller
from api.context import Context
from api.cost import BUDGET, refusal, request_cost
from api.errors import RateLimited
from api.limits import Caps, RateLimiter, retry_after
from api.loaders import build_loaders
from api.lookups import MissBudget
from api.schema import build_schema
from api.settings import Settings
from api.websocket import LimitedTransportWS
from graph.driver import Graph, LimitedGraph
from graph.errors import GraphConflict, GraphError, GraphUnavailable

log = logging.getLogger("credgraph.api")


class Refused(HTTPException):
    """An answer given before GraphQL runs, or instead of its result: JSON with the reason."""

    def __init__(
        self, status: int, error: str, reason: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, reason)
        self.error = error
        self.headers = headers or {}

    @classmethod
    def limited(cls, exc: RateLimited) -> Refused:
        """The 429 for a limit reached inside GraphQL (the miss or the cost budget)."""
        return cls(429, "rate_limited", str(exc), {"Retry-After": str(exc.retry_after)})

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "reason": self.reason},
            status_code=self.status_code,
            headers=self.headers,
        )


GRAPHQL_RESPONSE = "application/graphql-response+json"
UNAVAILABLE = "the graph backend is unavailable; retry shortly"


class CredgraphGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our per-request context, limits and refusals."""

    graphql_transport_ws_handler_class = LimitedTransportWS

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(build_schema(production=settings.production), **kwargs)
        self.settings = settings
        self.authenticator = Authenticator()
        self.key_limiter = RateLimiter(settings.rate_limit)
        self.public_limiter = RateLimiter(settings.public_rate_limit)
        self.bad_keys = RateLimiter(settings.bad_key_limit)
        self.key_costs = RateLimiter(settings.cost_limit)
        self.public_costs = RateLimiter(settings.public_cost_limit)
        self.misses = MissBudget(settings.lookup_misses)
        self.ws_connections = Caps(settings.ws_connections)
        self.ws_operations = Caps(settings.ws_subscriptions)

    def decode_json(self, data: str | bytes) -> object:
        decoded = orjson.loads(data)
        # A batch is a list of operation objects; anything else in it is the client's mistake.
        if isinstance(decoded, list) and not all(isinstance(item, dict) for item in decoded):
            raise HTTPException(400, "a batch must be a list of objects with a query each")
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

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # The GraphQL-over-HTTP media type when the client asks for it (its status codes
        # then say what happened: 400 for a request that could not run).
        if GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            sub_response.media_type = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        _state(request)["sub_response"] = sub_response
        return sub_response

    async def identify(self, graph: Graph, header: str | None, address: str) -> Caller:
        """The caller behind an ``Authorization`` header; ``Refused`` for a bad key (401, or
        429 once the address has sent ``CREDGRAPH_BAD_KEY_LIMIT`` bad keys in a minute) or
        when the graph cannot check the key (503)."""
        known = self.authenticator.remembered(header)
        if known is not None:
            return known
        if header is not None and (wait := self.bad_keys.blocked(address)) is not None:
            seconds = retry_after(wait)
            raise Refused(
                429,
                "rate_limited",
                f"too many invalid API keys from this address; retry in {seconds} s",
                {"Retry-After": str(seconds)},
            )
        try:
            return await self.authenticator.caller(graph, header)
        except BadKey as exc:
            self.bad_keys.take(address)
            headers = {"WWW-Authenticate": 'Bearer realm="credgraph"'}
            raise Refused(401, "unauthorized", str(exc), headers) from None
        except GraphError as exc:
            log.warning("could not check an API key: %s", exc)
            raise Refused(
                503,
                "unavailable",
                "the graph backend is unavailable, so the API key could not be checked; "
                "retry shortly",
                {"Retry-After": "1"},
            ) from None

    def admit(self, caller: Caller, address: str) -> None:
        """Take a token from the caller's bucket (its key's, or its address's for the
        public); ``Refused`` with 429 when it is empty."""
        who = bucket(caller, address)
        limiter = self.key_limiter if caller.key_id else self.public_limiter
        wait = limiter.take(who)
        if wait is not None:
            seconds = retry_after(wait)
            whose = "key" if caller.key_id else "address"
            reason = f"too many requests for this {whose}; retry in {seconds} s"
            raise Refused(429, "rate_limited", reason, {"Retry-After": str(seconds)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Keys are checked before GraphQL runs: a bad one is a 401, never a silent public call.
        if scope["type"] == "http":
            request = Request(scope, receive)
            address = client_address(request)
            try:
                caller = await self.identify(
                    request.app.state.graph, request.headers.get("authorization"), address
                )
                self.admit(caller, address)
            except Refused as refused:
                await refused.response()(scope, receive, send)
                return
            _state(request)["caller"] = caller
            await self._within_timeout(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _within_timeout(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer within ``CREDGRAPH_REQUEST_TIMEOUT``: past it the work is cancelled (the
        graph transaction with it: the driver rolls it back) and the client gets a 504."""
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            async with asyncio.timeout(self.settings.request_timeout):
                try:
                    body = BodyLimit(receive, scope, MAX_BODY)
                    response = await self.run(Request(scope, body.receive))
                except Refused as refused:
                    response = refused.response()
                except HTTPException as exc:
                    # Strawberry's refusals (a malformed body, a wrong content type) alike:
                    # JSON with the reason.
                    response = JSONResponse(
                        {"error": _ERROR_NAMES.get(exc.status_code, "bad_request"),
                         "reason": exc.reason},
                        status_code=exc.status_code,
                    )  # fmt: skip
                await response(scope, receive, tracking)
        except TimeoutError:
            if started:
                raise
            log.warning("request timed out after %.1fs", self.settings.request_timeout)
            await Refused(504, "timeout", timeout_reason(self.settings)).response()(
                scope, receive, send
            )

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
                    context.charge(cost)
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
            original = error.original_error
            if isinstance(original, RateLimited):
                raise Refused.limited(original)
            if isinstance(original, (GraphUnavailable, GraphConflict)):
                log.warning("graph unavailable: %s", original)
                if not state.get("batch"):
                    # Not the client's fault and not a GraphQL error: 503, so that load
                    # balancers and clients retry.
                    raise Refused(503, "unavailable", UNAVAILABLE, {"Retry-After": "1"})
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
            misses=self.misses,
        )
        context.charge = self._charger(context)
        return context

    def _charger(self, context: Context) -> Callable[[int], None]:
        """Takes an operation's cost from its caller's budget a minute (the caller read when
        it runs: a WebSocket's is known only after connection_init), or raises
        ``RateLimited`` with the seconds until the budget has that much again."""

        def charge(cost: int) -> None:
            caller = context.caller
            who = bucket(caller, client_address(context.request))
            costs = self.key_costs if caller.key_id else self.public_costs
            whose = "key" if caller.key_id else "address"
            wait = costs.take(who, cost)
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
            context.caller = await self.identify(context.graph, header, address)
        except Refused as refused:
            raise ConnectionRejectionError({"reason": refused.reason}) from None
        who = bucket(context.caller, address)
        if not self.ws_connections.acquire(who):
            raise ConnectionRejectionError(
                {"reason": f"at most {self.ws_connections.limit} WebSocket connections at "
                 "once for this key (CREDGRAPH_WS_CONNECTIONS)"}
            )  # fmt: skip
        context.ws_holder = who
        return cast(UnsetType, UNSET)


def _state(request: Request | WebSocket) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


def client_address(request: Request | WebSocket) -> str:
    """The bucket name of a caller without a key: its address."""
    return f"ip:{request.client.host if request.client else '-'}"


def bucket(caller: Caller, address: str) -> str:
    """Whose limits a caller uses: its key's, or its address's for the public."""
    return caller.key_id or address


def timeout_reason(settings: Settings) -> str:
    return (
        f"the request took longer than {settings.request_timeout:g} s and was stopped; "
        "nothing it was writing was kept"
    )


MAX_BODY = 1 << 20  # bytes of one request body
_ERROR_NAMES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


class BodyLimit:
    """Passes a request body through, refusing one larger than ``limit`` bytes (413)."""

    def __init__(self, receive: Receive, scope: Scope, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.seen = 0
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise_too_large(limit)

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                raise_too_large(self.limit)
        return message


def raise_too_large(limit: int) -> None:
    raise HTTPException(413, f"the request body is larger than {limit // 1024} KiB")
