"""A planned field's arguments and a plan's variables (``api.compiled``), as strawberry and
graphql-core convert them, once where every request gives the same.

A field whose arguments name no variable (``records(first: 5)``) gets the same converted values
on every request: they are converted by strawberry's own conversion the first time and kept on
the plan when every value is immutable (numbers, text, enum members), so that nothing a
resolver does to them reaches the next request. A plan whose variables are all text
(``String`` or ``ID`` without a default) takes text given for them as it is, which is what
graphql-core's coercion makes of it; anything else is coerced by graphql-core.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from graphql.execution.values import VariableValues, VariableValueSource, get_argument_values
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import get_arguments
from strawberry.types import Info as StrawberryInfo
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UNSET

from api.plans import Plan, Selected

_IMMUTABLE = frozenset({int, float, str, bool, type(None), type(UNSET)})


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
        get_argument_values(selected.definition, selected.nodes[0], variables)
        if selected.definition.args
        else {}
    )
    if selected.fixed:
        converted = convert_arguments(
            given, own.arguments, scalar_registry=converter, config=config, info=info
        )
        if all(type(v) in _IMMUTABLE or isinstance(v, Enum) for v in converted.values()):
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
