"""A cost budget per request, checked before anything runs.

Every field costs 1; a field that reads the graph hard costs more (``FIELD_COSTS``). A list
multiplies what is under it by its length: ``nodes(ids:)`` by the number of ids, a field paged
with ``first`` or ``limit`` by that size (by the argument's default when it is left out; the
list right under it, a connection's ``edges`` or a linkage's ``nodes``, is that page), any
other list by its bound (``LIST_SIZES``) or ``DEFAULT_LIST``. An operation above ``BUDGET``
is refused with its cost; so is a batch whose operations cost more than ``BUDGET`` together,
before any of them runs. Over WebSocket every operation is costed the same way. What an
admitted request costs is taken from its caller's budget a minute (``CREDGRAPH_COST_LIMIT`` for
a key, ``CREDGRAPH_PUBLIC_COST_LIMIT`` for an address): a caller asking for heavy work gets it
rarely, not as often as its request rate allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    parse,
    value_from_ast_untyped,
    visit,
)
from strawberry.types import ExecutionContext

from api.codes import ErrorCode
from api.errors import PublicError

BUDGET = 20_000
DEFAULT_LIST = 10
# Lists whose length the model bounds (unless a page argument above sets it): an ownership
# chain has at most 10 links, a propagation path 3 hops, a risk path 7 nodes and 6 edges.
LIST_SIZES: Mapping[str, int] = {"links": 10, "chains": 10, "path": 3, "nodes": 7, "edges": 6}
MAX_MULTIPLIER = 1000
# Fields that do real work in the graph: a live score reads the neighbourhood, a path search
# walks two balls, and so on.
FIELD_COSTS: Mapping[str, int] = {
    "score": 50,
    "eligibility": 50,
    "search": 10,
    "riskPaths": 100,
    "linkage": 100,
    "riskScan": 100,
    "commonLinks": 20,
    "ultimateOwners": 50,
    "auditVerification": 200,
    "auditStateVerification": 1000,
    "scoreHistory": 5,
    # A record's standing is its subject's score, computed once a request for all its records.
    "standing": 5,
    "records": 2,
    "publicity": 5,
    "blacklist": 5,
}
PAGE_ARGUMENTS = ("first", "limit")


class CostExceeded(PublicError):
    """The operation, or the batch, would cost more than the budget."""

    code = ErrorCode.COST_EXCEEDED


def refusal(cost: int, what: str = "operation") -> CostExceeded:
    return CostExceeded(
        f"the {what} would cost {cost:,} and the budget is {BUDGET:,}: ask for smaller "
        "pages (first), fewer ids, fewer aliases or fewer nested lists"
    )


async def check_cost(context: ExecutionContext) -> None:
    """Refuse the operation about to execute when its estimated cost is above ``BUDGET``, and
    charge what it costs to its caller's budget a minute (the schema's pipeline calls it)."""
    document = context.graphql_document
    if document is not None:
        await admit(
            context.schema._schema,
            document,
            context.operation_name,
            context.variables,
            context.context,
        )


async def admit(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    ours: Any,
) -> None:
    """Raise ``GraphQLError`` (the refusal) when the operation would cost more than
    ``BUDGET``; else charge its cost to the caller of the context ``ours`` (``RateLimited``
    past the caller's budget a minute), unless its batch was charged as a whole. A WebSocket's
    context serves every operation on it: each is charged."""
    cost = operation_cost(schema, document, operation_name, variables)
    if cost > BUDGET:
        raise GraphQLError(str(refusal(cost)), extensions={"code": ErrorCode.COST_EXCEEDED.value})
    charge = getattr(ours, "charge", None)
    if charge is not None and not ours.cost_charged:
        await charge(cost)  # RateLimited past the caller's budget a minute


@lru_cache(maxsize=1024)
def parsed(query: str) -> DocumentNode | None:
    try:
        return parse(query, max_tokens=5000)
    except GraphQLError:
        return None  # the operation itself answers the syntax error


def request_cost(schema: GraphQLSchema, operations: list[Any]) -> int:
    """The cost of a batch: its operations' costs added up (malformed ones count nothing,
    they fail on their own)."""
    total = 0
    for data in operations:
        if not isinstance(data.query, str):
            continue
        document = parsed(data.query)
        if document is not None:
            variables = data.variables if isinstance(data.variables, dict) else {}
            total += operation_cost(schema, document, data.operation_name, variables)
    return total


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation of ``document`` that would run (0 when there is none).

    Remembered for each document and the values of the variables it sizes lists with (a page
    size, a list of ids): clients send the same documents all day, and a lookup's cost is the
    same whatever code it looks up."""
    known = _known(schema, document)
    given = variables or {}
    key = (operation_name, *(_frozen(given.get(n)) for n in known.sized))
    try:
        found = known.costs.get(key)
    except TypeError:  # a value that cannot be a key: counted each time
        return _operation_cost(schema, document, operation_name, variables)
    if found is None:
        found = known.costs[key] = _operation_cost(schema, document, operation_name, variables)
    return found


CACHED_COSTS = 1024


@dataclass(slots=True)
class _Known:
    """What is remembered of one document: the variables that size its lists, and its costs
    by operation name and their values."""

    schema: GraphQLSchema
    document: DocumentNode
    sized: tuple[str, ...]
    costs: dict[tuple[Any, ...], int]


# By the document's identity (they are the parse cache's; a document's own hash walks its
# whole tree), each entry holding its document so that no other takes its id while it is here.
_KNOWN: dict[int, _Known] = {}


def _known(schema: GraphQLSchema, document: DocumentNode) -> _Known:
    known = _KNOWN.get(id(document))
    if known is not None and known.document is document and known.schema is schema:
        if len(known.costs) >= CACHED_COSTS:
            known.costs.clear()
        return known
    names: set[str] = set()

    class Sizes(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            if node.name.value in ("ids", *PAGE_ARGUMENTS):
                visit(node.value, Names())

    class Names(Visitor):
        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            names.add(node.name.value)

    visit(document, Sizes())
    if len(_KNOWN) >= CACHED_COSTS:
        _KNOWN.clear()
    known = _KNOWN[id(document)] = _Known(schema, document, tuple(sorted(names)), {})
    return known


def _frozen(value: Any) -> Any:
    """``value`` as a dictionary key (a list as a tuple of its items; a map cannot be)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for op in document.definitions:
        if not isinstance(op, OperationDefinitionNode):
            continue
        if operation_name is not None and (op.name is None or op.name.value != operation_name):
            continue
        root = schema.get_root_type(op.operation)
        if root is None:
            return 0
        walk = _Walk(schema, fragments, variables or {})
        return walk.cost(op.selection_set, root, paged=False, depth=0)
    return 0


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def cost(
        self, selections: SelectionSetNode | None, parent: Any, *, paged: bool, depth: int
    ) -> int:
        """The cost of ``selections`` on ``parent``; ``paged``: the field above set the page
        size, so a list right here is that page (depth guards fragment cycles)."""
        if selections is None or depth > 50:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, paged=paged, depth=depth)
            elif isinstance(selection, InlineFragmentNode):
                on = self._type(
                    selection.type_condition.name.value if selection.type_condition else None,
                    parent,
                )
                total += self.cost(selection.selection_set, on, paged=paged, depth=depth + 1)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    on = self._type(fragment.type_condition.name.value, parent)
                    total += self.cost(fragment.selection_set, on, paged=paged, depth=depth + 1)
        return total

    def _type(self, name: str | None, parent: Any) -> Any:
        return self.schema.get_type(name) if name else parent

    def _field(self, node: FieldNode, parent: Any, *, paged: bool, depth: int) -> int:
        name = node.name.value
        own = FIELD_COSTS.get(name, 1)
        if node.selection_set is None:
            return own
        definition = None
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            definition = parent.fields.get(name)
        if definition is None:
            return own
        size = self._size(node, definition)
        listed = _is_list(definition.type)
        if size is not None:
            multiplier, below_paged = size, not listed
        elif listed and not paged:
            multiplier, below_paged = LIST_SIZES.get(name, DEFAULT_LIST), False
        else:
            multiplier, below_paged = 1, False
        inner = get_named_type(definition.type)
        below = self.cost(node.selection_set, inner, paged=below_paged, depth=depth + 1)
        return own + max(1, min(multiplier, MAX_MULTIPLIER)) * below

    def _size(self, node: FieldNode, definition: Any) -> int | None:
        """The number of items a field asks for: its ids, or its page size."""
        given = {a.name.value: a.value for a in node.arguments or ()}
        if "ids" in given:
            ids = _value(given["ids"], self.variables)
            return len(ids) if isinstance(ids, list) else 1
        for argument in PAGE_ARGUMENTS:
            if argument in given:
                value = _value(given[argument], self.variables)
            elif argument in definition.args:
                value = definition.args[argument].default_value
            else:
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            return DEFAULT_LIST
        return None


def _is_list(kind: GraphQLType) -> bool:
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


def _value(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    return value_from_ast_untyped(node, dict(variables))
