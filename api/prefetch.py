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

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    InlineFragmentNode,
    NamedTypeNode,
)
from graphql.execution.values import VariableValues, get_argument_values

from api.context import Info
from api.errors import PublicError
from api.types.record import records_wanted
from graph import models
from graph.repositories import entities
from graph.repositories.entities import Edge
from graph.repositories.records import RecordFilter

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
    """What the field's selection asks about the company, read from the document itself (its
    field nodes, through fragments, with the request's variables): strawberry's
    ``selected_fields`` converts the whole selection into objects first, on every request."""
    raw = info._raw_info
    company = raw.schema.get_type("Company")
    assert isinstance(company, GraphQLObjectType)
    records = company.fields["records"]
    edges: dict[Edge, None] = {}
    pages: dict[RecordFilter, None] = {}
    for node in _fields(raw.fragments, raw.field_nodes, set()):
        name = node.name.value
        if name in COMPANY_EDGES:
            edges[COMPANY_EDGES[name]] = None
        elif name == "records" and len(pages) < MAX_PAGES:
            wanted = _records(info, uscc, records, node, raw.variable_values)
            if wanted is not None:
                pages[wanted] = None
    return list(edges), list(pages)


def _fields(
    fragments: Mapping[str, FragmentDefinitionNode],
    nodes: Iterable[FieldNode | InlineFragmentNode | FragmentDefinitionNode],
    seen: set[str],
) -> Iterator[FieldNode]:
    """The fields selected on the company itself under ``nodes``, through fragments (a
    fragment on another type selects nothing a company resolves)."""
    for node in nodes:
        if node.selection_set is None:
            continue
        for selection in node.selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                if _on_company(selection.type_condition):
                    yield from _fields(fragments, [selection], seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if (
                    fragment is not None
                    and name not in seen
                    and _on_company(fragment.type_condition)
                ):
                    seen.add(name)
                    yield from _fields(fragments, [fragment], seen)


def _on_company(condition: NamedTypeNode | None) -> bool:
    return condition is None or condition.name.value in ("Company", "Entity", "Node")


def _records(
    info: Info, uscc: str, records: GraphQLField, node: FieldNode, variables: Any
) -> RecordFilter | None:
    """The page a ``records`` field with these arguments reads, or None when it reads none
    or the look-ahead cannot tell (the field then reads, or refuses, on its own)."""
    try:
        # Strawberry hands resolvers the coerced values alone; graphql-core reads them there.
        arguments = get_argument_values(records, node, VariableValues({}, dict(variables or {})))
        return records_wanted(
            info,
            uscc,
            arguments.get("polarity"),
            arguments.get("category"),
            arguments.get("status"),
            arguments.get("first", 20),
            arguments.get("after"),
        )
    except (GraphQLError, PublicError):
        return None
