"""``Refused``: an answer given before GraphQL runs, or instead of its result, as JSON with its
code (``api.codes``), a short name and the reason (``{"code": ..., "error": ..., "reason": ...}``);
and whose limits a caller uses."""

from __future__ import annotations

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.websockets import WebSocket
from strawberry.schema.exceptions import CannotGetOperationTypeError

from api.codes import ErrorCode, http_code
from api.errors import RateLimited
from usecases.session import Caller

UNAVAILABLE = "the graph backend is unavailable; retry shortly"
# The ``error`` of a refusal strawberry raised (a malformed body, a wrong content type).
ERROR_NAMES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


class Refused(HTTPException):
    """An HTTP refusal: a status, a short ``error`` name, the reason and headers."""

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

    @classmethod
    def unavailable(cls) -> Refused:
        """The 503 for a backend that did not answer (or a change that kept conflicting):
        not the client's fault, so load balancers and clients retry."""
        return cls(503, "unavailable", UNAVAILABLE, {"Retry-After": "1"})

    @classmethod
    def of(cls, exc: HTTPException) -> Refused:
        """Strawberry's own refusal, as ours."""
        if isinstance(exc, Refused):
            return exc
        if isinstance(exc.__cause__, CannotGetOperationTypeError):  # no operation of that name
            return cls(exc.status_code, "operation_resolution_failure", exc.reason)
        return cls(exc.status_code, ERROR_NAMES.get(exc.status_code, "bad_request"), exc.reason)

    @property
    def code(self) -> ErrorCode:
        return http_code(self.error, self.status_code)

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"code": self.code.value, "error": self.error, "reason": self.reason},
            status_code=self.status_code,
            headers=self.headers,
        )


def client_address(request: Request | WebSocket) -> str:
    """The bucket name of a caller without a key: its address."""
    return f"ip:{request.client.host if request.client else '-'}"


def bucket(caller: Caller, address: str) -> str:
    """Whose limits a caller uses: its key's, or its address's for the public."""
    return caller.key_id or address
