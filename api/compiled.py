"""Compiled execution of the lookups relying parties send all day: the document planned once,
each request answered without graphql-core's executor.

A relying party sends the same few documents (``company(uscc:)`` with the fields it decides on)
thousands of times with new variables. graphql-core's executor and strawberry's resolver
wrappers redo, for every field of every request, what only the document decides: which fields a
type's selection collects through its fragments, which rules and which serializer each field
has, how its arguments are converted. Here that is done once per document (``plan``, cached by
the document's text and operation name) and a request only walks the plan (``execute``).

What a field does is not copied: each field runs its own declared rules (the permission classes
``api.permissions`` gave it, with the same info and arguments), its own resolver through
strawberry's own argument conversion, and its value goes through its GraphQL type's own
serializer. Siblings and list items resolve concurrently, as in graphql-core, so DataLoaders
batch the same way (each sibling is started at once, and only those that wait go on as tasks:
``_together``); reads are noted by the same rules and written by the same read entry after the
operation. Rules of the same kinds on the attribute fields of one object run once for it (the
fields of a record all ask ``RecordField`` about the same record).
``tests/test_api_compiled.py`` checks that the answers, the refusals and the read entries equal
normal execution's for generated selections and every role.

Anything out of the ordinary is left to normal execution, which then answers as always: a
document the plan does not cover (mutations, subscriptions, directives, introspection, a root
field other than those in ``ROOTS``, a field extension other than a permission), and any request
that would not answer plain data (a rule refusing, a resolver raising, a null where the type
forbids one, variables that do not coerce). Such a request is run again by graphql-core from the
start; what the first attempt did is undone (the people its rules noted) or harmless (loaders
primed with what the second attempt reads). Only root fields whose resolvers read and never
write are in ``ROOTS``, so that running one twice changes nothing.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.language import DirectiveNode, Visitor, visit
from graphql.pyutils import Path
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.schema_converter import get_arguments
from strawberry.types import ExecutionContext
from strawberry.types import Info as StrawberryInfo
from strawberry.types.field import StrawberryField

from api.context import ReadLog

# Root fields planned: their resolvers only read (a lookup by key), so a request run a second
# time by normal execution changes nothing. A person lookup is not here: its misses count.
ROOTS = frozenset({"company"})
CACHED_PLANS = 256
_BACKREF = "strawberry-definition"  # where strawberry keeps a GraphQL field's own definition


class Unsupported(Exception):
    """The document holds something the plan does not cover: normal execution runs it."""


class _Fallback(Exception):
    """This request does not answer plain data: normal execution runs it from the start."""


@dataclass(slots=True, eq=False)
class Selected:
    """One response key of one type's selection, with everything its field needs."""

    key: str  # the response key: the alias, or the field's name
    nodes: list[FieldNode]  # the field's nodes the selection merged under the key
    definition: GraphQLField | None  # None for __typename
    own: StrawberryField | None  # strawberry's definition of the field
    rules: tuple[BasePermission, ...]  # the permissions the field declared, in order
    plain: bool  # no resolver, no rule, no argument: the value is the attribute
    # No resolver, no argument: the value is the attribute once the rules let the caller read
    # it, and rules of the same kinds decide the same for every such field of one object.
    attribute: bool
    rule_kinds: tuple[type[BasePermission], ...]
    python_name: str
    output: GraphQLOutputType | None
    serialize: Callable[[Any], Any] | None  # for a leaf type
    # The selection under the field, per object type a value of it can be.
    children: dict[str, tuple[Selected, ...]] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class Plan:
    """A document's query operation, planned."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    root: GraphQLObjectType
    fields: tuple[Selected, ...]


@dataclass(slots=True)
class Counters:
    """How many requests each path answered (the bench and the tests read them)."""

    answered: int = 0  # answered by a plan
    fell_back: int = 0  # a plan's request run again by normal execution


counters = Counters()


@lru_cache(maxsize=CACHED_PLANS)
def plan(
    schema: GraphQLSchema, query: str, operation_name: str | None, document: DocumentNode
) -> Plan | None:
    """The plan of the operation a request names in ``document`` (the text ``query`` keys
    the cache), or None when the plan does not cover it."""
    try:
        return _plan(schema, document, operation_name)
    except Unsupported:
        return None


def _plan(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> Plan:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        raise Unsupported("not one query operation")
    if _has_directives(document):
        raise Unsupported("directives")  # @skip/@include would make the plan depend on variables
    operation = operations[0]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.query_type
    assert root is not None
    planner = _Planner(schema, fragments)
    fields = planner.selection(root, [operation.selection_set])
    if any(f.definition is not None and f.nodes[0].name.value not in ROOTS for f in fields):
        raise Unsupported("a root field that is not planned")
    return Plan(operation, fragments, root, fields)


class _FindDirective(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.found = True


def _has_directives(document: DocumentNode) -> bool:
    finder = _FindDirective()
    visit(document, finder)
    return finder.found


@dataclass(slots=True)
class _Planner:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]

    def selection(
        self, runtime: GraphQLObjectType, sets: Iterable[SelectionSetNode]
    ) -> tuple[Selected, ...]:
        """What the selection sets select on an object of type ``runtime``, by response key
        in the order the document gives them (as graphql-core collects them)."""
        collected: dict[str, list[FieldNode]] = {}
        for selection_set in sets:
            self._collect(runtime, selection_set, collected, set())
        return tuple(self._field(runtime, key, nodes) for key, nodes in collected.items())

    def _collect(
        self,
        runtime: GraphQLObjectType,
        selection_set: SelectionSetNode,
        collected: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                collected.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(runtime, selection.type_condition):
                    self._collect(runtime, selection.selection_set, collected, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(runtime, fragment.type_condition):
                    self._collect(runtime, fragment.selection_set, collected, visited)

    def _applies(self, runtime: GraphQLObjectType, condition: Any) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is runtime:
            return True
        return is_abstract_type(named) and self.schema.is_sub_type(named, runtime)

    def _field(self, runtime: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> Selected:
        name = nodes[0].name.value
        if name == "__typename":
            return Selected(key, nodes, None, None, (), True, True, (), name, None, None)
        if name.startswith("__"):
            raise Unsupported("introspection")
        definition = runtime.fields.get(name)
        own = definition.extensions.get(_BACKREF) if definition else None
        if definition is None or not isinstance(own, StrawberryField):
            raise Unsupported(f"{runtime.name}.{name}")
        rules: list[BasePermission] = []
        for extension in own.extensions:
            if not isinstance(extension, PermissionExtension) or extension.fail_silently:
                raise Unsupported(f"{runtime.name}.{name}: {type(extension).__name__}")
            rules.extend(extension.permissions)
        attribute = own.base_resolver is None and not own.arguments
        plain = attribute and not rules
        named = get_named_type(definition.type)
        selected = Selected(
            key,
            nodes,
            definition,
            own,
            tuple(rules),
            plain,
            attribute,
            tuple(type(rule) for rule in rules),
            own.python_name,
            definition.type,
            named.serialize if is_leaf_type(named) else None,
        )
        if selected.serialize is None:
            sets = [n.selection_set for n in nodes if n.selection_set is not None]
            kinds = self.schema.get_possible_types(named) if is_abstract_type(named) else [named]
            selected.children = {kind.name: self.selection(kind, sets) for kind in kinds}
        return selected


async def execute(context: ExecutionContext) -> ExecutionResult | None:
    """The answer to the request by its plan, or None: normal execution answers it."""
    query, document = context.query, context.graphql_document
    if query is None or document is None:
        return None
    schema: strawberry.Schema = context.schema
    found = plan(schema._schema, query, context.operation_name, document)
    if found is None:
        return None
    variables = get_variable_values(
        schema._schema, found.operation.variable_definitions or (), context.variables or {}
    )
    if isinstance(variables, list):
        return None  # normal execution names the variables that do not coerce
    ours = context.context
    reads: ReadLog | None = getattr(ours, "reads", None)
    before = _copy(reads) if reads is not None else None
    run = _Run(schema, found, variables, ours, context.root_value)
    try:
        data = await _settle(run.object(found.root, found.fields, context.root_value, None))
    except _Fallback:
        if reads is not None and before is not None:
            _restore(reads, before)
        counters.fell_back += 1
        return None
    counters.answered += 1
    return ExecutionResult(data=data, errors=None)


def _copy(reads: ReadLog) -> ReadLog:
    return ReadLog(set(reads.audited), set(reads.subjects), set(reads.fields))


def _restore(reads: ReadLog, before: ReadLog) -> None:
    reads.audited, reads.subjects, reads.fields = before.audited, before.subjects, before.fields


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


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
                else:
                    at = Path(path, selected.key, runtime.name)
                    value = self.resolve(selected, runtime, source, at)
                    if selected.attribute and not inspect.isawaitable(value):
                        cleared.add(selected.rule_kinds)
                if inspect.isawaitable(value):
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
                if inspect.isawaitable(completed):
                    waiting.append((selected.key, completed))
                result[selected.key] = completed
        except BaseException:
            _discard(a for _, a in waiting)
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
        return await _settle(
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
            inspect.isawaitable,  # type: ignore[arg-type]
            None,
            None,  # type: ignore[arg-type]
        )
        info = StrawberryInfo(_raw_info=raw, _field=own)
        try:
            given = (
                get_argument_values(selected.definition, selected.nodes[0], self.variables)
                if selected.definition.args
                else {}
            )
            args, kwargs = get_arguments(
                field=own,
                source=source,
                info=info,
                kwargs=given,
                config=self.config,
                scalar_registry=self.converter,
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
            if inspect.isawaitable(allowed):
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
                if await _settle(rule.has_permission(source, info, **checks)) is not True:
                    raise _Fallback
        except _Fallback:
            raise
        except Exception as exc:
            raise _Fallback from exc
        assert selected.own is not None
        return await _settle(self._result(selected.own, source, info, args, kwargs))

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
        if inspect.isawaitable(value):
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
                _discard(items)
                raise
            if any(inspect.isawaitable(item) for item in items):
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
        waiting = [i for i, item in enumerate(items) if inspect.isawaitable(item)]
        values = await _together([items[i] for i in waiting])
        for i, value in zip(waiting, values, strict=True):
            items[i] = value
        return items


async def _together(awaitables: list[Any]) -> list[Any]:
    """The values of ``awaitables``, run concurrently as ``asyncio.gather`` runs them, but each
    started at once, here: one that finishes without waiting (a field whose loader holds its
    data already, the common case after the look-ahead) costs no task. One that waits goes on
    as a task, after every sibling has been started, so a loader sees all their keys before it
    reads. The first failure is raised as ``_Fallback`` once all have settled."""
    values: list[Any] = [None] * len(awaitables)
    tasks: list[tuple[int, asyncio.Future[Any]]] = []
    failure: BaseException | None = None
    for index, awaitable in enumerate(awaitables):
        if failure is not None:
            _discard([awaitable])
            continue
        if not inspect.iscoroutine(awaitable):
            tasks.append((index, asyncio.ensure_future(awaitable)))
            continue
        try:
            yielded = awaitable.send(None)
        except StopIteration as done:
            values[index] = done.value
        except BaseException as exc:  # settled with the rest below
            failure = exc
        else:
            # Marked as waited on by the await that yielded it; cleared until the task takes
            # it (``_Yield``), or a sibling awaiting the same future could not.
            if getattr(yielded, "_asyncio_future_blocking", None):
                yielded._asyncio_future_blocking = False
            tasks.append((index, asyncio.ensure_future(_resume(awaitable, yielded))))
    if tasks:
        settled = await asyncio.gather(*(t for _, t in tasks), return_exceptions=True)
        for (index, _), value in zip(tasks, settled, strict=True):
            if isinstance(value, BaseException):
                failure = failure or value
            values[index] = value
    if failure is not None:
        if isinstance(failure, asyncio.CancelledError):
            raise failure
        raise _Fallback from failure
    return values


class _Yield:
    """Hands what a started coroutine yielded (a future it waits on) to the task running
    ``_resume``, and gives back what the task sends when it wakes. The future is marked as
    waited on again, as the await that yielded it had marked it: the task clears the mark
    when it takes the future (as asyncio's own tasks do)."""

    __slots__ = ("yielded",)

    def __init__(self, yielded: Any) -> None:
        self.yielded = yielded

    def __await__(self) -> Any:
        if getattr(self.yielded, "_asyncio_future_blocking", None) is not None:
            self.yielded._asyncio_future_blocking = True
        return (yield self.yielded)


async def _resume(coroutine: Any, yielded: Any) -> Any:
    """Go on with a coroutine that was started outside a task and waits on ``yielded``: the
    task running this waits on it in its stead, and passes back what it is woken with (or
    the cancellation it gets)."""
    while True:
        try:
            sent = await _Yield(yielded)
        except BaseException as exc:  # the coroutine decides what it means
            try:
                yielded = coroutine.throw(exc)
            except StopIteration as done:
                return done.value
            continue
        try:
            yielded = coroutine.send(sent)
        except StopIteration as done:
            return done.value


def _discard(values: Iterable[Any]) -> None:
    """Close the coroutines a request leaves behind when it falls back, and those they were
    given and had not started yet (a resolver's under ``_later``, a list of fields under
    ``_fill``)."""
    for value in values:
        if inspect.iscoroutine(value):
            frame = value.cr_frame
            given = list(frame.f_locals.values()) if frame is not None else []
            value.close()
            _discard(given)
        elif isinstance(value, list | tuple):
            _discard(value)
        elif isinstance(value, dict):
            _discard(value.values())


async def _guarded(value: Any) -> Any:
    try:
        return await value
    except Exception as exc:
        raise _Fallback from exc
