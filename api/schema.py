"""Builds the GraphQL schema with the limits every operation runs under."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import ExecutionContext

from api.errors import should_mask_error
from api.mutations import Mutation
from api.queries import Query
from api.types.company import CompanyType
from api.types.person import PersonType
from api.types.record import RecordType

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


class CredgraphSchema(strawberry.Schema):
    """Strawberry's schema, logging only the errors that are not the client's doing."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if should_mask_error(e)]
        super().process_errors(unexpected, execution_context)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The credgraph schema; introspection is off in production."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        # Factories: stateful extensions (MaskErrors) must not be shared between operations.
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(MaskErrors, should_mask_error=should_mask_error),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return CredgraphSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        types=[CompanyType, PersonType, RecordType],
    )
