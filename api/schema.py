"""Builds the GraphQL schema with the limits every operation runs under."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from graphql import ASTValidationRule, GraphQLError
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
from api.queries import Query, Subscription
from api.types.company import CompanyType
from api.types.person import PersonType
from api.types.record import RecordType

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_BATCH = 10
CACHED_DOCUMENTS = 1024


class CredgraphSchema(strawberry.Schema):
    """Strawberry's schema, logging only the errors that are not the client's doing."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if should_mask_error(e)]
        super().process_errors(unexpected, execution_context)


# The rule classes are made once: ValidationCache keys on them, and strawberry's limiter
# extensions would make new ones for every request, so nothing would ever be cached.
_LIMIT_RULES: list[type[ASTValidationRule]] = [
    query_depth_limiter.create_validator(MAX_DEPTH, None, None),
    max_aliases.create_validator(MAX_ALIASES),
]


class QueryLimits(AddValidationRules):
    """Depth at most ``MAX_DEPTH`` and at most ``MAX_ALIASES`` aliases per operation."""

    def __init__(self) -> None:
        super().__init__(_LIMIT_RULES)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The credgraph schema; introspection is off in production."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
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
        extensions.append(DisableIntrospection)
    return CredgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        types=[CompanyType, PersonType, RecordType],
        # A client may send up to MAX_BATCH operations as one JSON list.
        config=StrawberryConfig(batching_config={"max_operations": MAX_BATCH}),
    )
