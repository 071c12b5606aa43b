"""The root Query type: lookups, search and the publicity feed."""

from __future__ import annotations

from datetime import date
from importlib.metadata import PackageNotFoundError, version

import strawberry
from strawberry import relay

from api.context import Info
from api.errors import PublicError
from api.types.company import CompanyType
from api.types.enums import SearchKind
from api.types.nodes import entity_type
from api.types.pagination import (
    keyset_cursor,
    offset_cursor,
    page_info,
    page_size,
    parse_keyset,
    parse_offset,
)
from api.types.person import PersonType
from api.types.record import RecordConnection, RecordEdge, RecordType
from api.types.search import SearchResult, SearchResultConnection, SearchResultEdge
from graph.identifiers import IdentifierError, parse_id_number, parse_uscc
from graph.repositories import records, search

MAX_SEARCH_TEXT = search.MAX_QUERY


def _version() -> str:
    try:
        return version("credgraph")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@strawberry.type(description="The entry points for reading the credit graph.")
class Query:
    node: relay.Node | None = relay.node(description="Any object by its global id.")
    nodes: list[relay.Node | None] = relay.node(description="Objects by their global ids.")

    @strawberry.field(description="The version of the credgraph service answering.")
    def service_version(self) -> str:
        return _version()

    @strawberry.field(
        description="A company by its Unified Social Credit Code or its registration number "
        "(give exactly one). Null when the registry does not hold it."
    )
    async def company(
        self, info: Info, uscc: str | None = None, registration_number: str | None = None
    ) -> CompanyType | None:
        if (uscc is None) == (registration_number is None):
            raise PublicError("give exactly one of uscc and registrationNumber")
        if uscc is not None:
            try:
                code = parse_uscc(uscc).code
            except IdentifierError as exc:
                raise PublicError(f"uscc: {exc}") from None
            found = await info.context.loaders.company.load(code)
        else:
            key = (registration_number or "").strip().upper()
            found = await info.context.loaders.company_by_registration.load(key)
        return CompanyType.of(found) if found else None

    @strawberry.field(description="A person by their resident identity number.")
    async def person(self, info: Info, id_number: str) -> PersonType | None:
        try:
            number = parse_id_number(id_number)
        except IdentifierError as exc:
            raise PublicError(f"idNumber: {exc}") from None
        found = await info.context.loaders.person.load(number)
        return PersonType.of(found) if found else None

    @strawberry.field(
        description="Ranked search by a name fragment, a legal representative's name, a USCC "
        "prefix, a registration or identity number; tolerates a typo. At most 200 results."
    )
    async def search(
        self,
        info: Info,
        query: str,
        kind: SearchKind = SearchKind.ANY,
        first: int | None = 20,
        after: str | None = None,
    ) -> SearchResultConnection:
        text = query.strip()
        if not text:
            raise PublicError("query: must not be empty")
        if len(text) > MAX_SEARCH_TEXT:
            raise PublicError(f"query: at most {MAX_SEARCH_TEXT} characters")
        size = page_size(first)
        start = parse_offset(after)
        hits = await search.search(info.context.graph, text, kind, search.MAX_RESULTS)
        window = hits[start : start + size]
        edges = [
            SearchResultEdge(
                cursor=offset_cursor(start + i),
                node=SearchResult(
                    entity=entity_type(hit.entity),
                    score=round(hit.score, 4),
                    matched_on=hit.matched_on,
                    via=hit.via,
                ),
            )
            for i, hit in enumerate(window)
        ]
        return SearchResultConnection(
            edges=edges,
            page_info=page_info(
                edges[0].cursor if edges else None,
                edges[-1].cursor if edges else None,
                has_next=start + size < len(hits),
                has_previous=start > 0,
            ),
            total_count=len(hits),
        )

    @strawberry.field(
        description="The newest published warning records across the registry, as a public "
        "announcement page lists them (subject, case number, cause, date, penalty)."
    )
    async def publicity(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        since: date | None = None,
    ) -> RecordConnection:
        size = page_size(first)
        cursor = parse_keyset(after)
        found = await records.publicity(
            info.context.graph, since=since, after=cursor, limit=size + 1
        )
        page = found[:size]
        edges: list[relay.Edge[RecordType]] = [
            RecordEdge(cursor=keyset_cursor(r.decided_on, r.record_id), node=RecordType.of(r))
            for r in page
        ]
        return RecordConnection(
            edges=edges,
            page_info=page_info(
                edges[0].cursor if edges else None,
                edges[-1].cursor if edges else None,
                has_next=len(found) > size,
                has_previous=cursor is not None,
            ),
            total_count=None,
        )
