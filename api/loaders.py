"""DataLoaders, created anew for every request: each batches its keys into one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
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


@dataclass
class Loaders:
    """Every loader a request may use."""

    company: DataLoader[str, Company | None]
    company_by_registration: DataLoader[str, Company | None]
    person: DataLoader[str, Person | None]
    person_by_uid: DataLoader[str, Person | None]
    entity: DataLoader[str, models.Entity | None]
    record: DataLoader[str, Record | None]
    records: DataLoader[RecordsKey, RecordPage]
    legal_representatives: DataLoader[str, list[Link]]
    shareholders: DataLoader[str, list[Link]]
    officers: DataLoader[str, list[Link]]
    branches: DataLoader[str, list[Link]]
    parents: DataLoader[str, list[Link]]
    company_holdings: DataLoader[str, list[Link]]
    person_holdings: DataLoader[str, list[Link]]
    represented: DataLoader[str, list[Link]]
    offices: DataLoader[str, list[Link]]


def build_loaders(graph: Graph) -> Loaders:
    """Fresh loaders for one request (their caches must not outlive it)."""

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

    async def links(edge: entities.Edge, keys: list[str]) -> list[list[Link]]:
        return await entities.links(graph, edge, keys)

    def edge_loader(edge: entities.Edge) -> DataLoader[str, list[Link]]:
        return DataLoader(load_fn=partial(links, edge))

    return Loaders(
        company=_loader(graph, entities.companies_by_uscc),
        company_by_registration=_loader(graph, entities.companies_by_registration),
        person=_loader(graph, entities.persons_by_id_number),
        person_by_uid=_loader(graph, entities.persons_by_uid),
        entity=_loader(graph, entities.entities_by_key),
        record=_loader(graph, records.records_by_id),
        records=DataLoader(load_fn=load_records),
        legal_representatives=edge_loader(entities.LEGAL_REPRESENTATIVES),
        shareholders=edge_loader(entities.SHAREHOLDERS),
        officers=edge_loader(entities.OFFICERS),
        branches=edge_loader(entities.BRANCHES),
        parents=edge_loader(entities.PARENTS),
        company_holdings=edge_loader(entities.COMPANY_HOLDINGS),
        person_holdings=edge_loader(entities.PERSON_HOLDINGS),
        represented=edge_loader(entities.REPRESENTED),
        offices=edge_loader(entities.OFFICES),
    )
