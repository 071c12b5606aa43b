"""Compiled execution of the lookups relying parties send all day: the document planned once,
each request answered without graphql-core's executor.

A relying party sends the same few documents (``company(uscc:)`` with the fields it decides on)
thousands of times with new variables. graphql-core's executor and strawberry's resolver
wrappers redo, for every field of every request, what only the document decides: which fields a
type's selection collects through its fragments, which rules and which serializer each field
has, how its arguments are converted. Here that is done once per document (``api.plans``,
cached by the document's text and operation name) and a request only walks the plan
(``execute``).

What a field does is not copied: each field runs its own declared rules (the permission classes
``api.permissions`` gave it, with the same info and arguments), its own resolver through
strawberry's own argument conversion, and its value goes through its GraphQL type's own
serializer. Siblings and list items resolve concurrently, as in graphql-core, so DataLoaders
batch the same way (each sibling is started at once, and only those that wait go on as tasks:
``api.eager``); reads are noted by the same rules and written by the same read entry after the
operation. Rules of the same kinds on the attribute fields of one object run once for it (the
fields of a record all ask ``RecordField`` about the same record).
``tests/test_api_compiled.py`` checks that the answers, the refusals and the read entries equal
normal execution's for generated selections and every role.

Anything out of the ordinary is left to normal execution, which then answers as always: a
document without a plan (``api.plans`` says which), and any request
that would not answer plain data (a rule refusing, a resolver raising, a null where the type
forbids one, variables that do not coerce). Such a request is run again by graphql-core from the
start; what the first attempt did is undone (the people its rules noted) or harmless (loaders
primed with what the second attempt reads). Only root fields whose resolvers read and never
write are planned (``api.plans.ROOTS``), so that running one twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
)
from graphql.execution.values import (
    VariableValues,
    get_variable_values,
)
from graphql.pyutils import Path
from strawberry.permission import BasePermission
from strawberry.types import ExecutionContext
from strawberry.types import Info as StrawberryInfo
from strawberry.types.field import StrawberryField
from strawberry.utils.await_maybe import await_maybe

from api import arguments, eager
from api.context import ReadLog
from api.errors import RateLimited
from api.plans import Plan, Selected, plan
from graph.errors import GraphConflict, GraphUnavailable


class _Fallback(Exception):
    """This request does not answer plain data: normal execution runs it from the start."""


# What ends a request whichever way it runs: normal execution would meet it again (after as
# long again, a backend that is away is retried for seconds) and answer it as a refusal.
FINAL = (GraphUnavailable, GraphConflict, RateLimited)


def _final(exc: BaseException) -> BaseException | None:
    """The error behind a fallback that running the request again would only repeat."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, FINAL):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@dataclass(slots=True)
class Counters:
    """How many requests each path answered (the bench and the tests read them)."""

    answered: int = 0  # answered by a plan
    fell_back: int = 0  # a plan's request run again by normal execution


counters = Counters()


async def execute(context: ExecutionContext) -> ExecutionResult | None:
    """The answer to the request by its plan, or None: normal execution answers it."""
    if context.query is None or context.graphql_document is None:
        return None
    return await answer(
        context.schema,
        context.query,
        context.graphql_document,
        context.operation_name,
        context.variables,
        context.context,
        context.root_value,
    )


async def answer(
    schema: strawberry.Schema,
    query: str,
    document: DocumentNode,
    operation_name: str | None,
    given: dict[str, Any] | None,
    ours: Any,
    root_value: Any,
) -> ExecutionResult | None:
    """The answer to the operation ``operation_name`` of the validated ``document`` (its text
    ``query``) with the variables ``given``, by its plan; None when it has no plan or the
    request must be run by normal execution (what this attempt noted is undone). An error
    normal execution would only meet again (``FINAL``) is raised."""
    found = plan(schema._schema, query, operation_name, document)
    if found is None:
        return None
    variables = arguments.text_given(found, given or {}) or get_variable_values(
        schema._schema, found.operation.variable_definitions or (), given or {}
    )
    if isinstance(variables, list):
        return None  # normal execution names the variables that do not coerce
    reads: ReadLog | None = getattr(ours, "reads", None)
    before = reads.copy() if reads is not None else None
    run = _Run(schema, found, variables, ours, root_value)
    try:
        data = await await_maybe(run.object(found.root, found.fields, root_value, None))
    except _Fallback as fallback:
        if reads is not None and before is not None:
            reads.restore(before)
        final = _final(fallback)
        if final is not None:
            raise final from None
        counters.fell_back += 1
        return None
    counters.answered += 1
    return ExecutionResult(data=data, errors=None)


class _Run:
    """One request walking its plan. Values are completed as graphql-core completes them: a
    value, or an awaitable where a resolver awaits (gathered per object and per list, so
    that loaders see every sibling's key before they read)."""

    __slots__ = ("config", "context", "converter", "plan", "root_value", "schema", "variables")

    def __init__(
        self,
        schema: strawberry.Schema,
        plan: Plan,
        variables: VariableValues,
        context: Any,
        root_value: Any,
    ) -> None:
        self.schema = schema._schema
        self.converter = schema.schema_converter.scalar_registry
        self.config = schema.config
        self.plan = plan
        self.variables = variables
        self.context = context
        self.root_value = root_value

    def object(
        self,
        runtime: GraphQLObjectType,
        fields: tuple[Selected, ...],
        source: Any,
        path: Path | None,
    ) -> Any:
        result: dict[str, Any] = {}
        waiting: list[tuple[str, Any]] = []
        cleared: set[tuple[type[BasePermission], ...]] = set()  # rules passed for ``source``
        try:
            for selected in fields:
                if selected.definition is None:
                    result[selected.key] = runtime.name
                    continue
                if selected.plain or (selected.attribute and selected.rule_kinds in cleared):
                    value = getattr(source, selected.python_name)
                    at = None
                    waits = eager.awaitable(value)
                else:
                    at = Path(path, selected.key, runtime.name)
                    value = self.resolve(selected, runtime, source, at)
                    waits = eager.awaitable(value)
                    if selected.attribute and not waits:
                        cleared.add(selected.rule_kinds)
                if selected.leaf and not waits:
                    # What ``complete`` does for a leaf, without the path it needs only below.
                    if value is not None:
                        result[selected.key] = _serialized(selected, value)
                    elif selected.required:
                        raise _Fallback  # normal execution reports the null
                    else:
                        result[selected.key] = None
                    continue
                if waits:
                    later = self._later(selected, value, at, path, runtime)
                    waiting.append((selected.key, later))
                    result[selected.key] = None
                    continue
                completed = self.complete(
                    selected,
                    selected.output,  # type: ignore[arg-type]
                    value,
                    at or Path(path, selected.key, runtime.name),
                )
                if eager.awaitable(completed):
                    waiting.append((selected.key, completed))
                result[selected.key] = completed
        except BaseException:
            eager.discard(a for _, a in waiting)
            raise
        if not waiting:
            return result
        return self._fill(result, waiting)

    async def _later(
        self,
        selected: Selected,
        value: Any,
        at: Path | None,
        path: Path | None,
        runtime: GraphQLObjectType,
    ) -> Any:
        resolved = await value
        return await await_maybe(
            self.complete(
                selected,
                selected.output,  # type: ignore[arg-type]
                resolved,
                at or Path(path, selected.key, runtime.name),
            )
        )

    async def _fill(self, result: dict[str, Any], waiting: list[tuple[str, Any]]) -> Any:
        if len(waiting) == 1:
            key, awaitable = waiting[0]
            result[key] = await awaitable
            return result
        values = await _together([a for _, a in waiting])
        for (key, _), value in zip(waiting, values, strict=True):
            result[key] = value
        return result

    def resolve(
        self, selected: Selected, runtime: GraphQLObjectType, source: Any, path: Path
    ) -> Any:
        """The field's value by its own rules and resolver (an awaitable where either awaits)."""
        own = selected.own
        assert own is not None and selected.definition is not None
        raw = GraphQLResolveInfo(
            selected.nodes[0].name.value,
            selected.nodes,
            selected.definition.type,
            runtime,
            path,
            self.schema,
            self.plan.fragments,
            self.root_value,
            self.plan.operation,
            self.variables.coerced,  # type: ignore[arg-type]  # as strawberry passes them
            self.context,
            eager.awaitable,  # type: ignore[arg-type]
            None,
            None,  # type: ignore[arg-type]
        )
        info = StrawberryInfo(_raw_info=raw, _field=own)
        try:
            args, kwargs = arguments.of(
                selected, own, source, info, self.variables, self.converter, self.config
            )
        except Exception as exc:
            raise _Fallback from exc
        if not selected.rules:
            return self._result(own, source, info, args, kwargs)
        checks = {k: v for k, v in kwargs.items() if k != "info"}
        for index, rule in enumerate(selected.rules):
            try:
                allowed = rule.has_permission(source, info, **checks)
            except Exception as exc:
                raise _Fallback from exc
            if eager.awaitable(allowed):
                return self._checked_later(
                    selected, index, allowed, source, info, checks, args, kwargs
                )
            if allowed is not True:
                raise _Fallback
        return self._result(own, source, info, args, kwargs)

    async def _checked_later(
        self,
        selected: Selected,
        index: int,
        allowed: Any,
        source: Any,
        info: StrawberryInfo,
        checks: dict[str, Any],
        args: list[Any],
        kwargs: dict[str, Any],
    ) -> Any:
        try:
            if await allowed is not True:
                raise _Fallback
            for rule in selected.rules[index + 1 :]:
                if await await_maybe(rule.has_permission(source, info, **checks)) is not True:
                    raise _Fallback
        except _Fallback:
            raise
        except Exception as exc:
            raise _Fallback from exc
        assert selected.own is not None
        return await await_maybe(self._result(selected.own, source, info, args, kwargs))

    @staticmethod
    def _result(
        own: StrawberryField,
        source: Any,
        info: StrawberryInfo,
        args: list[Any],
        kwargs: dict[str, Any],
    ) -> Any:
        try:
            value = own.get_result(source, info=info, args=args, kwargs=kwargs)
        except Exception as exc:
            raise _Fallback from exc
        if eager.awaitable(value):
            return _guarded(value)
        return value

    def complete(
        self, selected: Selected, output: GraphQLOutputType, value: Any, path: Path
    ) -> Any:
        if isinstance(output, GraphQLNonNull):
            if value is None:
                raise _Fallback  # normal execution reports the null where it is not allowed
            output = output.of_type
        elif value is None:
            return None
        if isinstance(output, GraphQLList):
            if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
                raise _Fallback
            items: list[Any] = []
            try:
                for index, item in enumerate(value):
                    items.append(
                        self.complete(selected, output.of_type, item, path.add_key(index, None))
                    )
            except BaseException:
                eager.discard(items)
                raise
            if any(eager.awaitable(item) for item in items):
                return self._gather(items)
            return items
        if selected.serialize is not None:
            try:
                return selected.serialize(value)
            except Exception as exc:
                raise _Fallback from exc
        definition = getattr(type(value), "__strawberry_definition__", None)
        if isinstance(output, GraphQLObjectType):
            runtime = output
        elif definition is None or definition.is_graphql_generic:
            raise _Fallback  # normal execution resolves the type
        else:
            named = self.schema.get_type(definition.name)
            if not isinstance(named, GraphQLObjectType):
                raise _Fallback
            runtime = named
        children = selected.children.get(runtime.name)
        if children is None:
            raise _Fallback
        return self.object(runtime, children, value, path)

    @staticmethod
    async def _gather(items: list[Any]) -> list[Any]:
        waiting = [i for i, item in enumerate(items) if eager.awaitable(item)]
        values = await _together([items[i] for i in waiting])
        for i, value in zip(waiting, values, strict=True):
            items[i] = value
        return items


def _serialized(selected: Selected, value: Any) -> Any:
    assert selected.serialize is not None
    try:
        return selected.serialize(value)
    except Exception as exc:
        raise _Fallback from exc


async def _together(awaitables: list[Any]) -> list[Any]:
    try:
        return await eager.gather(awaitables)
    except _Fallback:
        raise
    except Exception as exc:
        raise _Fallback from exc


async def _guarded(value: Any) -> Any:
    try:
        return await value
    except Exception as exc:
        raise _Fallback from exc
