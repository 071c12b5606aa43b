"""Rate limit: each request takes a token from its caller's bucket (its API key's, or its
address's for the public); an empty bucket answers 429 with Retry-After. WebSocket operations
take theirs through ``admit`` too (``api.websocket``). The buckets are ``api.limits``'s.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.limits import WorkerLimits, retry_after
from api.middleware.http_only import HTTPOnly
from api.refusals import Refused, bucket, client_address
from usecases.session import PUBLIC, Caller


async def admit(limits: WorkerLimits, caller: Caller, address: str) -> None:
    """Take a token from the caller's bucket; ``Refused`` with 429 when it is empty."""
    limiter = limits.key_requests if caller.key_id else limits.public_requests
    wait = await limiter.take(bucket(caller, address))
    if wait is not None:
        seconds = retry_after(wait)
        whose = "key" if caller.key_id else "address"
        reason = f"too many requests for this {whose}; retry in {seconds} s"
        raise Refused(429, "rate_limited", reason, {"Retry-After": str(seconds)})


class RateLimit(HTTPOnly):
    """Admits each HTTP request against its caller's bucket (see the module)."""

    def __init__(self, app: ASGIApp, limits: WorkerLimits) -> None:
        super().__init__(app)
        self.limits = limits

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = scope.get("state", {}).get("caller", PUBLIC)
        try:
            await admit(self.limits, caller, client_address(Request(scope)))
        except Refused as refused:
            await refused.response()(scope, receive, send)
            return
        await self.app(scope, receive, send)
