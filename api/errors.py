"""GraphQL error policy: expected failures are result unions; public errors keep their message;
everything else reaches the client as "Unexpected error." (and the log keeps the detail)."""

from __future__ import annotations

from graphql.error import GraphQLError
from strawberry.exceptions import StrawberryGraphQLError

from api.codes import Coded, ErrorCode
from graph.errors import GraphConflict, GraphUnavailable
from usecases.errors import UseCaseError


class PublicError(Coded):
    """An error whose message is safe and useful to show to the client (bad ID, bad argument):
    ``BAD_USER_INPUT`` unless ``code`` says otherwise; the field at fault is the message's
    first word before a colon ("first: must be between 1 and 100") unless ``field`` names it."""

    def __init__(
        self, message: str, *, code: ErrorCode | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        if field is not None:
            self.field = field


class NotFoundError(PublicError):
    """An argument names something the registry does not hold."""

    code = ErrorCode.NOT_FOUND


class PermissionDenied(StrawberryGraphQLError):
    """A permission class refused the field; the message says what is missing."""


def should_mask_error(error: GraphQLError) -> bool:
    """Mask errors raised by our code unless they are ``PublicError`` or a use case's
    ``UseCaseError`` (a field and a reason); keep validation errors."""
    original = error.original_error
    if original is None:
        return False  # syntax and validation errors describe the client's query, not our state
    if error.path is None and error.message.startswith("Variable '$"):
        return False  # a variable's value refused by its type (graphql-core keeps the cause)
    # GraphUnavailable and GraphConflict are kept for the HTTP layer, which answers 503.
    return not isinstance(
        original, (PublicError, UseCaseError, PermissionDenied, GraphUnavailable, GraphConflict)
    )


class RateLimited(PublicError):
    """A limit of the caller's was reached: HTTP answers 429 with ``Retry-After``."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.extensions = {"code": "RATE_LIMITED", "retryAfter": retry_after}
