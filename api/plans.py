"""Plans of the documents ``api.compiled`` answers: made once per document text and operation
name, they hold what only the document decides.

For every object type a selection can meet, the response keys it collects through its fragments
(in the order graphql-core collects them), and for each key its field's GraphQL and strawberry
definitions, its declared permission classes and its serializer. A document holding anything a
plan does not cover (mutations, subscriptions, directives, introspection, a root field not in
``ROOTS``, a field extension other than a permission) has no plan: normal execution runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.get_variable_signature import (
    GraphQLVariableSignature,
    get_variable_signature,
)
from graphql.language import DirectiveNode, Visitor, visit
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.field import StrawberryField

from api.projection import projection
from graph.repositories.convert import Projection

# Root fields planned: their resolvers only read (a lookup by key), so a request run a second
# time by normal execution changes nothing. A person lookup is not here: its misses count.
ROOTS = frozenset({"company"})
CACHED_PLANS = 256
_BACKREF = "strawberry-definition"  # where strawberry keeps a GraphQL field's own definition


class Unsupported(Exception):
    """The document holds something the plan does not cover: normal execution runs it."""


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
    # Whether its arguments name no variable (or it has none): every request gives the field
    # the same ones.
    fixed: bool = False
    # A leaf that is not a list: its value is serialized as it is (``leaf``), and a null
    # refused where the type is non-null (``required``).
    leaf: bool = False
    required: bool = False
    # Those arguments converted for its resolver, once for all requests, when every value is
    # immutable (numbers, text, enum members): nothing a resolver does to them reaches the
    # next request. Filled by the first request that converts them (``api.compiled``).
    converted: dict[str, Any] | None = None


@dataclass(slots=True, eq=False)
class Plan:
    """A document's query operation, planned."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    root: GraphQLObjectType
    fields: tuple[Selected, ...]
    # The names of its variables when every one is a String or an ID without a default:
    # text given for them is their value as it is (``api.compiled``); None otherwise.
    text_variables: tuple[tuple[str, GraphQLVariableSignature], ...] | None = None
    # The stored properties it reads of companies, people and records (``api.projection``).
    projection: Projection = field(default_factory=Projection)


@dataclass(slots=True)
class Made:
    """How many plans were made and how many times one was found made (the tests read it)."""

    made: int = 0
    found: int = 0


made = Made()
# By schema, document text and operation name: the text decides the document, and hashing a
# document (graphql-core's frozen dataclasses) walks its whole tree on every request.
_PLANS: dict[tuple[GraphQLSchema, str, str | None], Plan | None] = {}


def plan(
    schema: GraphQLSchema, query: str, operation_name: str | None, document: DocumentNode
) -> Plan | None:
    """The plan of the operation a request names in ``document`` (parsed from ``query``, whose
    text keys the cache), or None when the plan does not cover it."""
    key = (schema, query, operation_name)
    try:
        found = _PLANS[key]
    except KeyError:
        pass
    else:
        made.found += 1
        return found
    try:
        found = _plan(schema, document, operation_name)
    except Unsupported:
        found = None
    if len(_PLANS) >= CACHED_PLANS:
        _PLANS.clear()
    _PLANS[key] = found
    made.made += 1
    return found


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
    return Plan(
        operation,
        fragments,
        root,
        fields,
        _text_variables(schema, operation),
        projection(_selections(root.name, fields)),
    )


def _selections(kind: str, fields: Iterable[Selected]) -> Iterable[tuple[str, str]]:
    """Every (type, field) pair a plan selects, at every level."""
    for selected in fields:
        yield kind, selected.nodes[0].name.value
        for child, under in selected.children.items():
            yield from _selections(child, under)


def _text_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> tuple[tuple[str, GraphQLVariableSignature], ...] | None:
    found: list[tuple[str, GraphQLVariableSignature]] = []
    for node in operation.variable_definitions or ():
        signature = get_variable_signature(schema, node)
        if isinstance(signature, GraphQLError) or signature.default is not None:
            return None
        named = signature.type.of_type if is_non_null_type(signature.type) else signature.type
        if named is not GraphQLString and named is not GraphQLID:
            return None
        found.append((signature.name, signature))
    return tuple(found)


class _FindDirective(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.found = True


def _has_directives(document: DocumentNode) -> bool:
    finder = _FindDirective()
    visit(document, finder)
    return finder.found


class _FindVariable(Visitor):
    found = False

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.found = True


def _names_variables(nodes: list[FieldNode]) -> bool:
    """Whether the arguments of a field's nodes name any variable."""
    finder = _FindVariable()
    for node in nodes:
        for argument in node.arguments or ():
            visit(argument, finder)
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
        selected.fixed = not _names_variables(nodes)
        inner = definition.type.of_type if is_non_null_type(definition.type) else definition.type
        selected.leaf = is_leaf_type(inner)
        selected.required = is_non_null_type(definition.type)
        if selected.serialize is None:
            sets = [n.selection_set for n in nodes if n.selection_set is not None]
            kinds = self.schema.get_possible_types(named) if is_abstract_type(named) else [named]
            selected.children = {kind.name: self.selection(kind, sets) for kind in kinds}
        return selected
