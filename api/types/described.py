"""Enums registered with GraphQL with a description for the type and for every value: the
schema test fails on a value without one, and this fails at import when one is left out."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])


def described(enum: E, description: str, values: Mapping[Any, str], name: str | None = None) -> E:
    """Register ``enum`` as a GraphQL enum described by ``description``, each value by
    ``values`` (every member must have one)."""
    missing = [member.name for member in enum if member not in values]
    if missing:
        raise ValueError(f"{enum.__name__}: no description for {', '.join(missing)}")
    strawberry.enum(enum, description=description, name=name)
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = values[enum[value.name]]
    return enum
