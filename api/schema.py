"""Builds the GraphQL schema with the limits every operation runs under."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from api.errors import should_mask_error
from api.queries import Query

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


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
    return strawberry.Schema(query=Query, extensions=extensions)
