"""DataLoaders, created anew for every request: each batches its keys into one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import TypeVar

from strawberry.dataloader import DataLoader

from graph import models
from graph.driver import Graph
from graph.models import Company, Link, Person, Record
from graph.repositories import entities, records
from graph.repositories.records import RecordFilter, RecordPage

K = TypeVar("K")
V = TypeVar("V")
RecordsKey = tuple[str, RecordFilter]


def _loader(
    graph: Graph, fetch: Callable[[Graph, Sequence[K]], Awaitable[list[V]]]
) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> list[V]:
        return await fetch(graph, keys)

    return DataLoader(load_fn=load)


class Loaders:
    """Every loader a request may use, each made the first time the request asks for it (most
    requests use two or three of them)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    @cached_property
    def company(self) -> DataLoader[str, Company | None]:
        return _loader(self.graph, entities.companies_by_uscc)

    @cached_property
    def company_by_registration(self) -> DataLoader[str, Company | None]:
        return _loader(self.graph, entities.companies_by_registration)

    @cached_property
    def person(self) -> DataLoader[str, Person | None]:
        return _loader(self.graph, entities.persons_by_id_number)

    @cached_property
    def person_by_uid(self) -> DataLoader[str, Person | None]:
        return _loader(self.graph, entities.persons_by_uid)

    @cached_property
    def entity(self) -> DataLoader[str, models.Entity | None]:
        return _loader(self.graph, entities.entities_by_key)

    @cached_property
    def record(self) -> DataLoader[str, Record | None]:
        return _loader(self.graph, records.records_by_id)

    @cached_property
    def records(self) -> DataLoader[RecordsKey, RecordPage]:
        graph = self.graph

        async def load_records(keys: list[RecordsKey]) -> list[RecordPage]:
            # Keys asking for the same filter and page share one query.
            groups: dict[RecordFilter, list[str]] = defaultdict(list)
            for subject, wanted in keys:
                groups[wanted].append(subject)
            pages: dict[RecordsKey, RecordPage] = {}
            for wanted, subjects in groups.items():
                found = await records.records_of_subjects(graph, subjects, wanted)
                pages.update(zip(((s, wanted) for s in subjects), found, strict=True))
            return [pages[key] for key in keys]

        return DataLoader(load_fn=load_records)

    def edge(self, edge: entities.Edge) -> DataLoader[str, list[Link]]:
        """The loader of one kind of relationship (``entities.LEGAL_REPRESENTATIVES`` ...)."""
        return getattr(self, EDGES[edge])  # type: ignore[no-any-return]

    def _edge_loader(self, edge: entities.Edge) -> DataLoader[str, list[Link]]:
        graph = self.graph

        async def links(keys: list[str]) -> list[list[Link]]:
            return await entities.links(graph, edge, keys)

        return DataLoader(load_fn=links)

    @cached_property
    def legal_representatives(self) -> DataLoader[str, list[Link]]:
        return self._edge_loader(entities.LEGAL_REPRESENTATIVES)

    @cached_property
    def shareholders(self) -> DataLoader[str, list[Link]]:
        return self._edge_loader(entities.SHAREHOLDERS)

    @cached_property
    def officers(self) -> DataLoader[str, list[Link]]:
        return self._edge_loader(entities.OFFICERS)

    @cached_property
    def branches(self) -> DataLoader[str, list[Link]]:
        return self._edge_loader(entities.BRANCHES)

    @cached_property
    def parents(self) -> DataLoader[str, list[Link]]:
        return self._edge_loader(entities.PARENTS)

    @cached_property
    def company_holdings(self) -> DataLoader[str, list[Link]]:
        return self._edge_loader(entities.COMPANY_HOLDINGS)

    @cached_property
    def person_holdings(self) -> DataLoader[str, list[Link]]:
        return self._edge_loader(entities.PERSON_HOLDINGS)

    @cached_property
    def represented(self) -> DataLoader[str, list[Link]]:
        return self._edge_loader(entities.REPRESENTED)

    @cached_property
    def offices(self) -> DataLoader[str, list[Link]]:
        return self._edge_loader(entities.OFFICES)


# Which loader serves each kind of relationship.
EDGES: dict[entities.Edge, str] = {
    entities.LEGAL_REPRESENTATIVES: "legal_representatives",
    entities.SHAREHOLDERS: "shareholders",
    entities.OFFICERS: "officers",
    entities.BRANCHES: "branches",
    entities.PARENTS: "parents",
    entities.COMPANY_HOLDINGS: "company_holdings",
    entities.PERSON_HOLDINGS: "person_holdings",
    entities.REPRESENTED: "represented",
    entities.OFFICES: "offices",
}


def build_loaders(graph: Graph) -> Loaders:
    """Fresh loaders for one request (their caches must not outlive it)."""
    return Loaders(graph)
