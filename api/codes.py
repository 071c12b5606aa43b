"""The error codes a client can act on: every GraphQL error carries one as ``extensions.code``
(with ``extensions.field`` naming the argument or field at fault where there is one), and every
HTTP refusal carries one as ``code`` in its JSON body. The names are Apollo Server's, which most
GraphQL servers and clients know; README lists them with what a client should do.

``code_of`` decides an error's code from what raised it, in one place, so that a new error type
gets a code here or is answered ``INTERNAL``.
"""

from __future__ import annotations

import re
from enum import StrEnum

from graphql import FieldNode, GraphQLError, GraphQLSyntaxError


class ErrorCode(StrEnum):
    """What went wrong, as `extensions.code` of a GraphQL error and `code` of an HTTP
    refusal's JSON. A client branches on these, never on the message text."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    COST_EXCEEDED = "COST_EXCEEDED"
    TIMEOUT = "TIMEOUT"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
    BAD_REQUEST = "BAD_REQUEST"
    DOCUMENT_NOT_TRUSTED = "DOCUMENT_NOT_TRUSTED"


# What each code means: the schema's enum values carry these descriptions.
MEANINGS: dict[ErrorCode, str] = {
    ErrorCode.UNAUTHENTICATED: (
        "No API key where one is needed, or a key that is unknown or revoked (HTTP 401)."
    ),
    ErrorCode.FORBIDDEN: (
        "The caller's role may not do this, or writes are turned off on this server."
    ),
    ErrorCode.BAD_USER_INPUT: (
        "An argument or variable is out of range or malformed; `field` names it."
    ),
    ErrorCode.NOT_FOUND: (
        "An argument names something the registry does not hold; `field` names it."
    ),
    ErrorCode.RATE_LIMITED: (
        "A limit of the caller's was reached: retry after `retryAfter` seconds (HTTP 429)."
    ),
    ErrorCode.COST_EXCEEDED: (
        "The operation (or batch) would cost more than the budget: ask for smaller pages."
    ),
    ErrorCode.TIMEOUT: "The request ran longer than the server allows (HTTP 504).",
    ErrorCode.UNAVAILABLE: (
        "The graph backend is unavailable; nothing was written. Retry (HTTP 503)."
    ),
    ErrorCode.INTERNAL: "A fault of the server's; the server's log holds the detail.",
    ErrorCode.GRAPHQL_PARSE_FAILED: "The document is not GraphQL (or has too many tokens).",
    ErrorCode.GRAPHQL_VALIDATION_FAILED: (
        "The document does not fit the schema or its limits (depth, aliases, "
        "introspection in production)."
    ),
    ErrorCode.OPERATION_RESOLUTION_FAILURE: (
        "The document holds several operations and no `operationName`, or none of that name."
    ),
    ErrorCode.BAD_REQUEST: (
        "The HTTP request itself is malformed: not JSON, a wrong media type or method, "
        "too large, too many operations in a batch."
    ),
    ErrorCode.DOCUMENT_NOT_TRUSTED: (
        "Trusted documents are on and this document (or `documentId`) is not registered (HTTP 400)."
    ),
}


# The ``error`` names of HTTP refusals and their codes.
HTTP_CODES: dict[str, ErrorCode] = {
    "unauthorized": ErrorCode.UNAUTHENTICATED,
    "forbidden": ErrorCode.FORBIDDEN,
    "rate_limited": ErrorCode.RATE_LIMITED,
    "cost_exceeded": ErrorCode.COST_EXCEEDED,
    "timeout": ErrorCode.TIMEOUT,
    "unavailable": ErrorCode.UNAVAILABLE,
    "internal": ErrorCode.INTERNAL,
    "not_found": ErrorCode.NOT_FOUND,
    "document_not_trusted": ErrorCode.DOCUMENT_NOT_TRUSTED,
    "operation_resolution_failure": ErrorCode.OPERATION_RESOLUTION_FAILURE,
}


def http_code(error: str, status: int) -> ErrorCode:
    """The code of an HTTP refusal named ``error`` with ``status``."""
    if error in HTTP_CODES:
        return HTTP_CODES[error]
    return ErrorCode.INTERNAL if status >= 500 else ErrorCode.BAD_REQUEST


class Coded(Exception):
    """An error raised by our code that says its own code (and the field at fault)."""

    code: ErrorCode = ErrorCode.BAD_USER_INPUT
    field: str | None = None


# "first: must be between 1 and 100" -> first; "input.name: ..." -> input.name
_FIELD = re.compile(r"^([A-Za-z_][\w.\[\]]*): ")
_VARIABLE = re.compile(r"^Variable '\$(\w+)'")


def field_in(message: str) -> str | None:
    """The argument or field a message of ours names first ("scheme: no scheme ...")."""
    match = _FIELD.match(message)
    return match.group(1) if match else None


def code_of(error: GraphQLError) -> tuple[ErrorCode, str | None]:
    """The code of a GraphQL error and the argument or field at fault, if one is named."""
    from api.errors import PermissionDenied, RateLimited
    from graph.errors import GraphConflict, GraphUnavailable
    from usecases.errors import NotFound, UseCaseError

    original = error.original_error
    variable = _VARIABLE.match(error.message) if error.path is None else None
    if variable:  # a variable's value its type refuses
        return ErrorCode.BAD_USER_INPUT, variable.group(1)
    if original is None:
        if isinstance(error, GraphQLSyntaxError):
            return ErrorCode.GRAPHQL_PARSE_FAILED, None
        if error.path:  # an execution error of graphql-core's (a null where none may be)
            return ErrorCode.INTERNAL, None
        return ErrorCode.GRAPHQL_VALIDATION_FAILED, None
    if isinstance(original, GraphQLSyntaxError):
        return ErrorCode.GRAPHQL_PARSE_FAILED, None
    if isinstance(original, Coded):
        return original.code, original.field or field_in(str(original))
    if isinstance(original, RateLimited):
        return ErrorCode.RATE_LIMITED, None
    if isinstance(original, PermissionDenied):
        return ErrorCode.FORBIDDEN, _last_field(error)
    if isinstance(original, (GraphUnavailable, GraphConflict)):
        return ErrorCode.UNAVAILABLE, None
    if isinstance(original, NotFound):
        return ErrorCode.NOT_FOUND, original.field
    if isinstance(original, UseCaseError):
        return ErrorCode.BAD_USER_INPUT, original.field
    if isinstance(original, GraphQLError):  # raised by a rule of ours (the cost limit)
        return code_of(original)
    return ErrorCode.INTERNAL, None


def _last_field(error: GraphQLError) -> str | None:
    """The name of the field an error sits at (the field's, not an alias the query gave it)."""
    for node in error.nodes or ():
        if isinstance(node, FieldNode):
            return node.name.value
    for part in reversed(error.path or ()):
        if isinstance(part, str):
            return part
    return None


def stamp(error: GraphQLError) -> None:
    """Give ``error`` its ``extensions.code`` (and ``field``), keeping any it already has."""
    extensions = dict(error.extensions or {})
    if "code" not in extensions:
        code, field = code_of(error)
        extensions["code"] = code.value
        if field is not None and "field" not in extensions:
            extensions["field"] = field
    error.extensions = extensions
