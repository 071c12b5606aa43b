"""A planned field's arguments and a plan's variables (``api.compiled``), as strawberry and
graphql-core convert them, once where every request gives the same.

A field whose arguments name no variable (``records(first: 5)``) gets the same converted values
on every request: they are converted by strawberry's own conversion the first time and kept on
the plan when every value is immutable (numbers, text, enum members), so that nothing a
resolver does to them reaches the next request. A plan whose variables are all text
(``String`` or ``ID`` without a default) takes text given for them as it is, which is what
graphql-core's coercion makes of it; anything else is coerced by graphql-core.

``argument_values`` is graphql-core's ``get_argument_values`` for a field node met again and
again (a planned document's, parsed once): what the literals and defaults give is coerced once,
by graphql-core's own ``coerce_argument``, and each request adds the values of the variables the
arguments name, as graphql-core takes them. Any other case (a variable inside a list or an
input object, a missing or null variable for a required argument) is graphql-core's, every time.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from enum import Enum
from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    VariableNode,
    is_non_null_type,
    is_required_argument,
)
from graphql.execution.values import (
    VariableValues,
    VariableValueSource,
    coerce_argument,
    get_argument_values,
)
from graphql.language import Visitor, visit
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import get_arguments
from strawberry.types import Info as StrawberryInfo
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UNSET

from api.plans import Plan, Selected

_IMMUTABLE = frozenset({int, float, str, bool, type(None), type(UNSET)})


def _plain(value: Any) -> bool:
    """Whether a value can be handed to every request as it is (nothing can change it)."""
    return type(value) in _IMMUTABLE or isinstance(value, Enum)


def of(
    selected: Selected,
    own: StrawberryField,
    source: Any,
    info: StrawberryInfo,
    variables: VariableValues,
    converter: Mapping[object, Any],
    config: StrawberryConfig,
) -> tuple[list[Any], dict[str, Any]]:
    """The field's positional and keyword arguments as its resolver takes them (raises what
    the conversion raises)."""
    if selected.converted is not None:
        return _injected(own, source, info, dict(selected.converted))
    assert selected.definition is not None
    given = (
        argument_values(selected.definition, selected.nodes[0], variables)
        if selected.definition.args
        else {}
    )
    if selected.fixed:
        converted = convert_arguments(
            given, own.arguments, scalar_registry=converter, config=config, info=info
        )
        if all(_plain(v) for v in converted.values()):
            selected.converted = converted
    return get_arguments(
        field=own,
        source=source,
        info=info,
        kwargs=given,
        config=config,
        scalar_registry=converter,
    )


def text_given(plan: Plan, given: dict[str, Any]) -> VariableValues | None:
    """The variables as graphql-core coerces them when the plan's are all text and each is
    given as text (a String's or an ID's value is the text itself); None otherwise."""
    if plan.text_variables is None:
        return None
    sources: dict[str, VariableValueSource] = {}
    for name, signature in plan.text_variables:
        value = given.get(name)
        if type(value) is not str:
            return None  # null, missing or another type: graphql-core decides
        sources[name] = VariableValueSource(signature, value)
    return VariableValues(sources, {name: given[name] for name, _ in plan.text_variables})


def _injected(
    own: StrawberryField, source: Any, info: StrawberryInfo, kwargs: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """The resolver's arguments from converted ones, with what it asks for besides them (the
    object itself, its parent or root, the info), as strawberry's ``get_arguments`` adds them.
    Planned fields have no extension that maps their arguments (``api.plans``)."""
    args: list[Any] = []
    resolver = own.base_resolver
    if resolver is not None:
        if resolver.self_parameter:
            args.append(source)
        if parent := resolver.parent_parameter:
            kwargs[parent.name] = source
        if root := resolver.root_parameter:
            kwargs[root.name] = source
        if wants_info := resolver.info_parameter:
            kwargs[wants_info.name] = info
    return args, kwargs


class _Recipe:
    """How one field node's arguments come out: ``fixed`` (from literals and defaults, coerced
    once), and for each argument that is a variable, its output name, the variable and what a
    missing variable leaves (``absent``: the default's contribution, coerced once)."""

    __slots__ = ("absent", "fixed", "node", "plain", "variables")

    def __init__(
        self,
        node: FieldNode,
        fixed: dict[str, Any],
        variables: list[tuple[str, str, bool, bool]],
        absent: dict[str, Any],
    ) -> None:
        self.node = node  # held: the cache is keyed by its id
        self.fixed = fixed
        self.variables = variables  # (output name, variable, non-null type, required)
        self.absent = absent
        # Immutable values are handed out as they are; others (a list) copied each time.
        self.plain = all(_plain(v) for v in (*fixed.values(), *absent.values()))


_RECIPES: dict[tuple[int, int], _Recipe | None] = {}
_RECIPES_KEPT = 1024


class _FindVariable(Visitor):
    found = False

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.found = True


def _recipe(definition: GraphQLField, node: FieldNode) -> _Recipe | None:
    given = {argument.name.value: argument for argument in node.arguments or ()}
    fixed: dict[str, Any] = {}
    absent: dict[str, Any] = {}
    variables: list[tuple[str, str, bool, bool]] = []
    for name, argument in definition.args.items():
        out_name = argument.out_name or name
        found = given.get(name)
        if found is not None and isinstance(found.value, VariableNode):
            required = is_required_argument(argument)
            non_null = is_non_null_type(argument.type)
            variables.append((out_name, found.value.name.value, non_null, required))
            if not required:  # a missing variable leaves what a missing argument leaves
                coerce_argument(absent, node, name, argument, None, None, None)
            continue
        if found is not None:
            finder = _FindVariable()
            visit(found.value, finder)
            if finder.found:
                return None  # a variable inside a literal: graphql-core's, every time
        coerce_argument(fixed, node, name, argument, found, None, None)
    return _Recipe(node, fixed, variables, absent)


def argument_values(
    definition: GraphQLField, node: FieldNode, variables: VariableValues
) -> dict[str, Any]:
    """``get_argument_values(definition, node, variables)``, the literals' part coerced once."""
    key = (id(definition), id(node))
    try:
        recipe = _RECIPES[key]
    except KeyError:
        try:
            recipe = _recipe(definition, node)
        except Exception:
            recipe = None  # graphql-core raises it, every time
        if len(_RECIPES) >= _RECIPES_KEPT:
            _RECIPES.clear()
        _RECIPES[key] = recipe
    if recipe is None or recipe.node is not node:
        return get_argument_values(definition, node, variables)
    values = dict(recipe.fixed) if recipe.plain else copy.deepcopy(recipe.fixed)
    coerced = variables.coerced
    for out_name, variable, non_null, required in recipe.variables:
        if variable in coerced:
            value = coerced[variable]
            if value is None and non_null:
                return get_argument_values(definition, node, variables)  # it raises
            values[out_name] = value
        elif required:
            return get_argument_values(definition, node, variables)  # it raises
        elif out_name in recipe.absent:
            default = recipe.absent[out_name]
            values[out_name] = default if recipe.plain else copy.deepcopy(default)
    return values
