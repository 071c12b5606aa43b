"""Builds the GraphQL schema with the limits every operation runs under."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import lru_cache, partial
from inspect import CORO_CREATED
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    specified_rules,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import MaskErrors, SchemaExtension, max_aliases, query_depth_limiter
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.types import ExecutionContext, ExecutionResult

from api import compiled
from api.codes import ErrorCode, stamp
from api.context import Context
from api.cost import check_cost
from api.eager import discard
from api.errors import should_mask_error
from api.mutations import Mutation
from api.permissions import Inherited, fields_need
from api.queries import Query
from api.read_audit import flush_reads
from api.subscriptions import Subscription
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
_LIMIT_RULES: tuple[type[ASTValidationRule], ...] = (
    query_depth_limiter.create_validator(MAX_DEPTH, None, None),
    max_aliases.create_validator(MAX_ALIASES),
)
_PRODUCTION_RULES = (*_LIMIT_RULES, NoSchemaIntrospectionCustomRule)


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def hide_suggestions(context: ExecutionContext) -> None:
    """Production: no "Did you mean ...?" in any error, so that field, argument, type and enum
    names cannot be rebuilt by guessing while introspection is off; a validation error repeated
    (ten copies of one unknown directive) is answered once."""
    if context.pre_execution_errors:
        unique = {e.message: e for e in context.pre_execution_errors}
        context.pre_execution_errors = list(unique.values())
        if context.result is not None and context.result.errors:
            context.result.errors = list({e.message: e for e in context.result.errors}.values())
    for error in _errors(context):
        error.message = _SUGGESTION.sub("", error.message)
        if error.args:
            error.args = (error.message, *error.args[1:])


def _errors(context: ExecutionContext) -> list[GraphQLError]:
    """Every error an operation answers with: before execution and during it."""
    errors = list(context.pre_execution_errors or [])
    if context.result is not None:
        errors += list(context.result.errors or [])
    return errors


def operation_error(document: DocumentNode, name: str | None) -> GraphQLError | None:
    """The request error of a document with several operations and no ``operationName``
    (the specification's GetOperation: strawberry would run the first)."""
    if name is not None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) <= 1:
        return None
    names = ", ".join(o.name.value if o.name else "(anonymous)" for o in operations)
    return GraphQLError(
        f"operationName: the document holds {len(operations)} operations ({names}); "
        "say which one to run",
        extensions={"code": ErrorCode.OPERATION_RESOLUTION_FAILURE.value, "field": "operationName"},
    )


def limit_rules(production: bool) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules every operation runs under, besides the specification's."""
    return _PRODUCTION_RULES if production else _LIMIT_RULES


def all_rules(production: bool) -> tuple[type[ASTValidationRule], ...]:
    """Every validation rule of an operation: the specification's, then ours (the pipeline
    validates with the same tuple, so a document is validated once for both roads)."""
    return (*specified_rules, *limit_rules(production))


# Clients send the same documents with new variables: each is parsed and validated once.
_parse = lru_cache(maxsize=CACHED_DOCUMENTS)(parse)


def parsed_document(query: str, max_tokens: int) -> DocumentNode:
    """The document of ``query`` (parsed once for all requests that send it)."""
    return _parse(query, max_tokens=max_tokens)


@lru_cache(maxsize=CACHED_DOCUMENTS)
def validation_errors(
    schema: GraphQLSchema, query: str, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """The validation errors of a document, keyed by its text: a document's own hash walks
    its whole tree on every request, its text's is computed once."""
    return validate_document(schema, _parse(query, max_tokens=MAX_TOKENS), rules)


class Pipeline(MaskErrors):
    """Every operation's limits and duties, as one extension: strawberry's hooks cost more per
    operation for each extension that has them (nine of them took a tenth of a lookup's CPU),
    so the concerns are functions in their own modules and this calls them in order.

    Before: at most ``MAX_TOKENS`` tokens, at most ``MAX_DEPTH`` deep and ``MAX_ALIASES``
    aliases, no introspection in production; the document parsed and validated once for all
    requests that send it. Executing: the cost limit (``api.cost``), then the operation by its
    compiled plan where it has one (``api.compiled``), else by graphql-core. After: suggestions
    hidden (production), unexpected errors masked (strawberry's ``MaskErrors``, which this is), and
    last the operation's read entry (``api.read_audit``): an operation whose reads cannot be
    audited fails whole, with that error.
    """

    def __init__(self, production: bool, compiled: bool) -> None:
        super().__init__(should_mask_error=should_mask_error)
        self.production = production
        self.compiled = compiled

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = context.validation_rules + limit_rules(self.production)
        yield
        if self.production:
            hide_suggestions(context)
        for error in _errors(context):
            stamp(error)
        result = context.result
        if isinstance(result, (GraphQLExecutionResult, ExecutionResult)):
            self._process_result(result)
        ours = context.context
        if isinstance(ours, Context) and not ours.defer_reads:
            await flush_reads(ours)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """A subscription's event (or the error that ends it): coded, then masked, as the
        answer of any other operation."""
        for error in getattr(result, "errors", None) or ():
            stamp(error)
        yield from super().on_stream_result(result)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": ErrorCode.INTERNAL.value}
        return masked

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = _parse(context.query, **context.parse_options)
        except GraphQLError as error:
            stamp(error)  # strawberry answers it after this pipeline's operation hook is done
            raise
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, rules = context.schema._schema, tuple(context.validation_rules)
        if context.query is not None and context.parse_options.get("max_tokens") == MAX_TOKENS:
            context.pre_execution_errors = validation_errors(schema, context.query, rules)
        else:
            assert context.graphql_document is not None
            context.pre_execution_errors = validate_document(
                schema, context.graphql_document, rules
            )
        if not context.pre_execution_errors and context.graphql_document is not None:
            chosen = operation_error(context.graphql_document, context._provided_operation_name)
            if chosen is not None:
                context.pre_execution_errors = [chosen]
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        await check_cost(context)
        ours = context.context
        if self.compiled and isinstance(ours, Context) and not ours.plan_tried:
            answer = await compiled.execute(context)
            if answer is not None:
                context.result = answer  # strawberry then skips its own execution
        yield


class ClosingExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, except for siblings an error makes useless: when a non-null
    field fails and nulls its parent, graphql-core settles the parent's other fields in the
    background. Those not yet started are closed here instead (nothing of theirs has run, no
    loader has their keys, and their values would be thrown away): no work after the answer,
    and no coroutine left for a closing event loop to drop unawaited."""

    def settle_in_background(self, awaitables: list[Awaitable[Any]]) -> None:
        unstarted: list[Awaitable[Any]] = []
        waiting: list[Awaitable[Any]] = []
        for a in awaitables:
            fresh = inspect.iscoroutine(a) and inspect.getcoroutinestate(a) == CORO_CREATED
            (unstarted if fresh else waiting).append(a)
        discard(unstarted)
        if waiting:
            super().settle_in_background(waiting)


def build_schema(*, production: bool = False, compiled: bool = True) -> strawberry.Schema:
    """The credgraph schema; introspection is off in production. With ``compiled`` (the
    default; ``CREDGRAPH_COMPILED_LOOKUPS``) the lookups ``api.compiled`` plans skip
    graphql-core's executor."""
    # A factory: the extension holds its operation's context, one for each operation.
    extensions: list[Callable[[], SchemaExtension]] = [partial(Pipeline, production, compiled)]
    return CredgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        types=[CompanyType, PersonType, RecordType, ErrorCode],
        execution_context_class=ClosingExecutor,
        # A client may send up to MAX_BATCH operations as one JSON list.
        config=StrawberryConfig(batching_config={"max_operations": MAX_BATCH}),
    )
