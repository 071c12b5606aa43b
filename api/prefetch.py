"""Look-ahead for a root field that returns one company: one statement for the company and what
its selection asks about it, and about the entities its relationships reach.

``company(uscc:)`` reads the selection under it before it reads the graph. The relationships it
selects (legal representative, shareholders, holdings, officers, branches, parent; a person's
holdings, represented companies and offices), what it selects of the entities at their other
ends (their own relationships, down to ``company_views.MAX_DEPTH`` levels), and the pages of records
it selects at every level (``records(first:, after:, ...)``, as the caller may see them:
``records_wanted``) come back with the company in one statement of nested ``CALL`` subqueries
(``company_views.companies_with``), and prime the request's loaders. The fields then resolve exactly
as without it, each with its own rule, masking and read audit, from loaders that already hold
their data: a lookup is one round trip to the graph instead of one per level. Whatever the
look-ahead cannot read in advance (an argument it cannot evaluate, a field it does not know, a
page of a subject whose records the caller may read more of than the look-ahead assumed) is left
to the field's loader as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
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
from graphql.execution.values import VariableValues

from api.arguments import argument_values
from api.context import Info
from api.errors import PublicError
from api.types.record import records_wanted
from graph import models
from graph.repositories import company_views, entities
from graph.repositories.company_views import Wanted
from graph.repositories.convert import EVERYTHING
from graph.repositories.entities import Edge
from graph.repositories.records import RecordFilter

COMPANY: tuple[str, ...] = ("Company",)
PERSON: tuple[str, ...] = ("Person",)
ENTITY: tuple[str, ...] = ("Company", "Person")


@dataclass(frozen=True)
class Reach:
    """A field that lists relationships: which, and where in the field's selection the entity
    at the other end is selected (``via``: the field of the item that holds it; None when the
    item is the entity; ``ends``: the types it can be). ``ends`` empty: the field shows
    nothing of the other end (a name only)."""

    edge: Edge
    via: str | None
    ends: tuple[str, ...]


# The fields of each type whose relationships the statement can bring.
FIELDS: dict[str, dict[str, Reach]] = {
    "Company": {
        "legalRepresentative": Reach(entities.LEGAL_REPRESENTATIVES, None, PERSON),
        "legalRepresentativeName": Reach(entities.LEGAL_REPRESENTATIVES, None, ()),
        "shareholders": Reach(entities.SHAREHOLDERS, "holder", ENTITY),
        "holdings": Reach(entities.COMPANY_HOLDINGS, "company", COMPANY),
        "officers": Reach(entities.OFFICERS, "person", PERSON),
        "branches": Reach(entities.BRANCHES, None, COMPANY),
        "parent": Reach(entities.PARENTS, None, COMPANY),
    },
    "Person": {
        "holdings": Reach(entities.PERSON_HOLDINGS, "company", COMPANY),
        "representedCompanies": Reach(entities.REPRESENTED, None, COMPANY),
        "offices": Reach(entities.OFFICES, "company", COMPANY),
    },
}
# The type conditions a fragment may name to select on an entity of a type.
CONDITIONS = {
    "Company": ("Company", "Entity", "Node"),
    "Person": ("Person", "Entity", "Node"),
    "Shareholding": ("Shareholding",),
    "Officer": ("Officer",),
}
MAX_PAGES = 4  # pages of records read in advance at one level (more use the loader)


async def company(info: Info, uscc: str) -> models.Company | None:
    """The company with this code, and what its selection asks, primed in the loaders."""
    loaders = info.context.loaders
    wanted = _Look(info).wanted(info._raw_info.field_nodes, COMPANY, uscc, 0)
    projection = info.context.projection
    if not wanted and projection is None:
        return await loaders.company.load(uscc)  # batched with the document's other roots
    # A directly answered lookup (its projection set) reads its company at once, with no
    # loader batch to wait a turn of the event loop for (an aliased second root reads its own,
    # alongside).
    if not company_views.fits(wanted):
        wanted = Wanted(tuple((edge, Wanted()) for edge, _ in wanted.edges), wanted.pages)
    projection = projection or EVERYTHING
    (view,) = await company_views.companies_with(info.context.graph, [uscc], wanted, projection)
    if view is None:
        loaders.company.prime(uscc, None)
        return None
    loaders.company.prime(uscc, view.company)
    for key, reached in view.reached.items():
        for edge, links in reached.links.items():
            loaders.edge(edge).prime(key, links)
        # A page is asked for under the filter its field makes for its subject: a page read
        # under another one (the look-ahead did not know the subject) is never handed out.
        for page, found in reached.records.items():
            loaders.records.prime((key, page), found)
    return view.company


@dataclass
class _Look:
    """Reading one ``company`` field's selection (its field nodes, through fragments, with the
    request's variables: strawberry's ``selected_fields`` converts the whole selection into
    objects first, on every request)."""

    info: Info
    fragments: Mapping[str, FragmentDefinitionNode] = field(init=False)
    records: GraphQLField = field(init=False)
    variables: VariableValues = field(init=False)

    def __post_init__(self) -> None:
        raw = self.info._raw_info
        self.fragments = raw.fragments
        company = raw.schema.get_type("Company")
        assert isinstance(company, GraphQLObjectType)
        self.records = company.fields["records"]  # Person's takes the same arguments
        # Strawberry hands resolvers the coerced values alone; graphql-core reads them there.
        given: Any = getattr(raw.variable_values, "coerced", raw.variable_values)
        self.variables = VariableValues({}, dict(given or {}))

    def wanted(
        self,
        nodes: Iterable[FieldNode | InlineFragmentNode | FragmentDefinitionNode],
        kinds: tuple[str, ...],
        subject: str | None,
        depth: int,
    ) -> Wanted:
        """What the selections of ``nodes`` ask about an entity of one of ``kinds`` (``subject``
        when it is known: the root company), ``depth`` levels from the root."""
        nodes = list(nodes)
        ends: dict[Edge, list[FieldNode]] = {}
        reaches: dict[Edge, Reach] = {}
        pages: dict[RecordFilter, None] = {}
        for kind in kinds:
            for node in self._fields(nodes, CONDITIONS[kind]):
                name = node.name.value
                reach = FIELDS[kind].get(name)
                if reach is not None:
                    reaches.setdefault(reach.edge, reach)
                    found = ends.setdefault(reach.edge, [])
                    if reach.ends and depth + 1 < company_views.MAX_DEPTH:
                        found.extend(self._ends(node, reach))
                elif name == "records" and len(pages) < MAX_PAGES:
                    page = self._page(subject, node)
                    if page is not None:
                        pages[page] = None
        edges = tuple(
            (edge, self.wanted(ends[edge], reaches[edge].ends, None, depth + 1) if ends[edge]
             else Wanted())
            for edge in reaches
        )  # fmt: skip
        return Wanted(edges, tuple(pages))

    def _ends(self, node: FieldNode, reach: Reach) -> list[FieldNode]:
        """The field nodes that select the entity at the other end of ``node``'s items."""
        if reach.via is None:
            return [node]
        item = "Shareholding" if reach.edge.rel is models.RelType.SHAREHOLDER_OF else "Officer"
        return [n for n in self._fields([node], CONDITIONS[item]) if n.name.value == reach.via]

    def _fields(
        self,
        nodes: Iterable[FieldNode | InlineFragmentNode | FragmentDefinitionNode],
        conditions: tuple[str, ...],
        seen: set[str] | None = None,
    ) -> Iterator[FieldNode]:
        """The fields the selection sets of ``nodes`` select on an object that a fragment on
        one of ``conditions`` applies to (a fragment on another type selects nothing of it)."""
        seen = set() if seen is None else seen
        for node in nodes:
            if node.selection_set is None:
                continue
            for selection in node.selection_set.selections:
                if isinstance(selection, FieldNode):
                    yield selection
                elif isinstance(selection, InlineFragmentNode):
                    if _applies(selection.type_condition, conditions):
                        yield from self._fields([selection], conditions, seen)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if (
                        fragment is not None
                        and name not in seen
                        and _applies(fragment.type_condition, conditions)
                    ):
                        seen.add(name)
                        yield from self._fields([fragment], conditions, seen)

    def _page(self, subject: str | None, node: FieldNode) -> RecordFilter | None:
        """The page a ``records`` field with these arguments reads (for ``subject``; for an
        entity not known yet, the page of a subject the caller has no more rights to than its
        role gives), or None when it reads none or the look-ahead cannot tell (the field then
        reads, or refuses, on its own)."""
        try:
            arguments = argument_values(self.records, node, self.variables)
            return records_wanted(
                self.info,
                subject,
                arguments.get("polarity"),
                arguments.get("category"),
                arguments.get("status"),
                arguments.get("first", 20),
                arguments.get("after"),
            )
        except (GraphQLError, PublicError):
            return None


def _applies(condition: NamedTypeNode | None, conditions: tuple[str, ...]) -> bool:
    return condition is None or condition.name.value in conditions
