"""Builds the GraphQL schema with the limits every operation runs under."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from functools import partial

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.cost import CostLimit
from api.errors import should_mask_error
from api.mutations import Mutation
from api.permissions import Inherited, fields_need
from api.queries import Query, Subscription
from api.read_audit import AuditReads
from api.types.company import CompanyType
from api.types.person import PersonType
from api.types.record import RecordType

# strawberry's own relay types carry whatever the field that returned them allowed. Declared
# here, once every type of ours is defined: our node types already hold their own copies of
# ``id`` with their own rules, which this must not reach.
for _relay_type in (relay.Node, relay.Edge, relay.PageInfo):
    fields_need(Inherited)(_relay_type)

log = logging.getLogger("credgraph.api")
MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_BATCH = 10
CACHED_DOCUMENTS = 1024


class CredgraphSchema(strawberry.Schema):
    """Strawberry's schema, logging only the errors that are not the client's doing, and
    those once per request (with the operation's name and how many there were), not once per
    field: a request that fails on 10,000 fields writes one traceback."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if should_mask_error(e)]
        if not unexpected:
            return
        context = execution_context.context if execution_context else None
        if getattr(context, "logged_error", False):
            return
        if context is not None:
            context.logged_error = True
        name = (execution_context.operation_name if execution_context else None) or "-"
        first = unexpected[0]
        cause = first.original_error or first
        log.error(
            "operation %s: %d unexpected error(s); the first at %s: %s",
            name,
            len(unexpected),
            ".".join(str(p) for p in first.path or ()) or "-",
            first.message,
            exc_info=(type(cause), cause, cause.__traceback__),
        )


# The rule classes are made once: ValidationCache keys on them, and strawberry's limiter
# extensions would make new ones for every request, so nothing would ever be cached.
_LIMIT_RULES: list[type[ASTValidationRule]] = [
    query_depth_limiter.create_validator(MAX_DEPTH, None, None),
    max_aliases.create_validator(MAX_ALIASES),
]


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class HideSuggestions(SchemaExtension):
    """Production: no "Did you mean ...?" in any error, so that field, argument, type and enum
    names cannot be rebuilt by guessing while introspection is off; a validation error repeated
    (ten copies of one unknown directive) is answered once."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if context.pre_execution_errors:
            unique = {e.message: e for e in context.pre_execution_errors}
            context.pre_execution_errors = list(unique.values())
            if context.result is not None and context.result.errors:
                context.result.errors = list({e.message: e for e in context.result.errors}.values())
        errors = list(context.pre_execution_errors or [])
        if context.result is not None:
            errors += list(context.result.errors or [])
        for error in errors:
            error.message = _SUGGESTION.sub("", error.message)
            if error.args:
                error.args = (error.message, *error.args[1:])


class QueryLimits(AddValidationRules):
    """Depth at most ``MAX_DEPTH`` and at most ``MAX_ALIASES`` aliases per operation."""

    def __init__(self) -> None:
        super().__init__(_LIMIT_RULES)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The credgraph schema; introspection is off in production."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        # First, so that it runs last: an operation whose reads cannot be audited fails whole.
        AuditReads,
        # Factories: stateful extensions (MaskErrors) must not be shared between operations.
        QueryLimits,
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        CostLimit,
        partial(MaskErrors, should_mask_error=should_mask_error),
        # Clients send the same documents with new variables: parse and validate each once.
        partial(ParserCache, maxsize=CACHED_DOCUMENTS),
        partial(ValidationCache, maxsize=CACHED_DOCUMENTS),
    ]
    if production:
        extensions += [DisableIntrospection, HideSuggestions]
    return CredgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        types=[CompanyType, PersonType, RecordType],
        # A client may send up to MAX_BATCH operations as one JSON list.
        config=StrawberryConfig(batching_config={"max_operations": MAX_BATCH}),
    )
