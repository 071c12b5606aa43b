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
MAX_NODES = 100
NODE_TYPES: dict[str, type[CompanyType] | type[PersonType] | type[RecordType]] = {
    "Company": CompanyType,
    "Person": PersonType,
    "Record": RecordType,
}


async def _resolve_nodes(info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
    """Decode global ids and load each type's nodes in one batch per type."""
    wanted: list[tuple[str, str]] = []
    for raw in ids:
        try:
            gid = relay.GlobalID.from_id(raw)
        except (ValueError, TypeError):
            raise PublicError(f"id: {raw!r} is not an id this API gave out") from None
        if gid.type_name not in NODE_TYPES:
            raise PublicError(f"id: {raw!r} is not an id this API gave out")
        wanted.append((gid.type_name, gid.node_id))
    found: dict[tuple[str, str], relay.Node | None] = {}
    for type_name, cls in NODE_TYPES.items():
        keys = [key for name, key in wanted if name == type_name]
        if keys:
            nodes = await cls.resolve_nodes(info=info, node_ids=keys)
            found.update(zip(((type_name, k) for k in keys), nodes, strict=True))
    return [found[item] for item in wanted]


def _version() -> str:
    try:
        return version("credgraph")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@strawberry.type(description="The entry points for reading the credit graph.")
class Query:
    @strawberry.field(description="Any object by its global id; null when it does not exist.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return (await _resolve_nodes(info, [id]))[0]

    @strawberry.field(description="Objects by their global ids, in order; null where none.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise PublicError(f"ids: at most {MAX_NODES} at once")
        return await _resolve_nodes(info, ids)

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
