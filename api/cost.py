"""A cost budget per operation, checked before it runs.

Every field costs 1; a field that reads the graph hard costs more (``FIELD_COSTS``); a list field
paged with ``first`` (or ``limit``) multiplies what is under it by that size (by the argument's
default when it is left out). An operation above ``BUDGET`` is refused with its cost, before any
resolver runs, so one request cannot ask for 100 pages of 100 entities with their scores.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

BUDGET = 20_000
DEFAULT_PAGE = 20
MAX_MULTIPLIER = 1000
# Fields that do real work in the graph: a live score reads the neighbourhood, a path search
# walks two balls, and so on.
FIELD_COSTS: Mapping[str, int] = {
    "score": 20,
    "eligibility": 20,
    "search": 10,
    "riskPaths": 100,
    "linkage": 100,
    "riskScan": 100,
    "commonLinks": 20,
    "ultimateOwners": 50,
    "auditVerification": 200,
    "scoreHistory": 5,
    "records": 2,
    "publicity": 5,
    "blacklist": 5,
}
PAGE_ARGUMENTS = ("first", "limit")


class CostLimit(SchemaExtension):
    """Refuses an operation whose estimated cost is above ``BUDGET``."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            chosen = [
                op
                for op in operations
                if context.operation_name is None
                or (op.name is not None and op.name.value == context.operation_name)
            ]
            if chosen:
                cost = selection_cost(
                    chosen[0].selection_set, fragments, context.variables or {}, 0
                )
                if cost > BUDGET:
                    raise GraphQLError(
                        f"the operation would cost {cost:,} and the budget is {BUDGET:,}: ask "
                        "for smaller pages (first) or fewer nested lists"
                    )
        yield


def _argument(field: FieldNode, variables: Mapping[str, Any]) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value in PAGE_ARGUMENTS:
            value = _value(argument.value, variables)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(1, min(value, MAX_MULTIPLIER))
            return None
    return None


def _value(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    return value_from_ast_untyped(node, dict(variables))


def selection_cost(
    selections: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    depth: int,
) -> int:
    """The cost of a selection set (fragments expanded; depth guards fragment cycles)."""
    if selections is None or depth > 50:
        return 0
    total = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            own = FIELD_COSTS.get(selection.name.value, 1)
            if selection.selection_set is None:
                total += own
                continue
            paged = _argument(selection, variables)
            multiplier = (
                paged if paged is not None else (DEFAULT_PAGE if _is_paged(selection) else 1)
            )
            total += own + multiplier * selection_cost(
                selection.selection_set, fragments, variables, depth + 1
            )
        elif isinstance(selection, InlineFragmentNode):
            total += selection_cost(selection.selection_set, fragments, variables, depth + 1)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += selection_cost(fragment.selection_set, fragments, variables, depth + 1)
    return total


def _is_paged(field: FieldNode) -> bool:
    """Connections and lists that page by default, even when ``first`` is left out."""
    return field.name.value in {
        "records",
        "search",
        "publicity",
        "blacklist",
        "scoreHistory",
        "contributions",
        "disputes",
        "auditLog",
        "whoLookedAtMe",
        "riskScan",
    }
