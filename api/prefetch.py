"""Look-ahead for a root field that returns one company: one statement for the company and what
its selection asks about it.

``company(uscc:)`` reads the selection under it before it reads the graph. The company's
relationships it selects (legal representative, shareholders, holdings, officers, branches,
parent) and the pages of records it selects (``records(first:, after:, ...)``, as the caller may
see them: ``records_wanted``) come back with the company in one statement
(``entities.companies_with``), and prime the request's loaders. The fields then resolve exactly
as without it, each with its own rule, masking and read audit, from loaders that already hold
their data: a lookup is one round trip to the graph instead of one per level. Whatever the
look-ahead cannot read in advance (an argument it cannot evaluate, a field it does not know) is
left to the field's loader as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import Enum
from typing import Any, TypeVar

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from api.context import Info
from api.errors import PublicError
from api.types.record import records_wanted
from graph import models
from graph.models import Category, Polarity, RecordStatus
from graph.repositories import entities
from graph.repositories.entities import Edge
from graph.repositories.records import RecordFilter

E = TypeVar("E", bound=Enum)

# The Company fields whose relationships the statement can bring, and which.
COMPANY_EDGES: dict[str, Edge] = {
    "legalRepresentative": entities.LEGAL_REPRESENTATIVES,
    "legalRepresentativeName": entities.LEGAL_REPRESENTATIVES,
    "shareholders": entities.SHAREHOLDERS,
    "holdings": entities.COMPANY_HOLDINGS,
    "officers": entities.OFFICERS,
    "branches": entities.BRANCHES,
    "parent": entities.PARENTS,
}
MAX_PAGES = 4  # pages of records read in advance (more aliases of `records` use the loader)


class _Unknown(Exception):
    """An argument the look-ahead cannot evaluate: the field reads it itself."""


async def company(info: Info, uscc: str) -> models.Company | None:
    """The company with this code, its selected relationships and records primed."""
    loaders = info.context.loaders
    edges, pages = _wanted(info, uscc)
    if not edges and not pages:
        return await loaders.company.load(uscc)
    (view,) = await entities.companies_with(info.context.graph, [uscc], edges, pages)
    if view is None:
        loaders.company.prime(uscc, None)
        return None
    loaders.company.prime(uscc, view.company)
    for edge, links in view.links.items():
        loaders.edge(edge).prime(uscc, links)
    for wanted, page in view.records.items():
        loaders.records.prime((uscc, wanted), page)
    return view.company


def _wanted(info: Info, uscc: str) -> tuple[list[Edge], list[RecordFilter]]:
    edges: dict[Edge, None] = {}
    pages: dict[RecordFilter, None] = {}
    for field in _fields(info.selected_fields[0].selections if info.selected_fields else []):
        if field.name in COMPANY_EDGES:
            edges[COMPANY_EDGES[field.name]] = None
        elif field.name == "records" and len(pages) < MAX_PAGES:
            wanted = _records(info, uscc, field.arguments)
            if wanted is not None:
                pages[wanted] = None
    return list(edges), list(pages)


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields selected on the company itself, through fragments (a fragment on another
    type selects nothing a company resolves)."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, InlineFragment | FragmentSpread) and (
            selection.type_condition in (None, "Company", "Entity", "Node")
        ):
            yield from _fields(selection.selections)


def _records(info: Info, uscc: str, arguments: dict[str, Any]) -> RecordFilter | None:
    """The page a ``records`` field with these arguments reads, or None when it reads none
    or the look-ahead cannot tell (the field then reads, or refuses, on its own)."""
    try:
        first = _int(arguments.get("first", 20))
        after = arguments.get("after")
        if not isinstance(after, str | None):
            return None
        return records_wanted(
            info,
            uscc,
            _enum(Polarity, arguments.get("polarity")),
            _enum(Category, arguments.get("category")),
            _enum(RecordStatus, arguments.get("status")),
            first,
            after,
        )
    except (_Unknown, PublicError):
        return None


def _int(value: Any) -> int | None:
    """An Int argument: a literal comes as its text, a variable coerced."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise _Unknown(value)


def _enum(kind: type[E], value: Any) -> E | None:
    """An enum argument as the resolver receives it: a literal comes by its GraphQL name, a
    variable coerced to its value."""
    if value is None or isinstance(value, kind):
        return value
    if isinstance(value, str) and value in kind.__members__:
        return kind[value]
    try:
        return kind(value)
    except ValueError:
        raise _Unknown(value) from None
