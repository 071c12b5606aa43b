"""``SearchResult``: an entity found by ``search``, with its score and what matched."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from api.permissions import Inherited, fields_need
from api.types.enums import MatchedOn, SearchKind
from api.types.pagination import Connection

if TYPE_CHECKING:
    from api.types.entity import EntityType


@fields_need(Inherited)
@strawberry.type(description="An entity that matched a search.")
class SearchResult:
    entity: Annotated[EntityType, strawberry.lazy("api.types.entity")] = strawberry.field(
        description="The person or company found."
    )
    score: float = strawberry.field(description="Higher is better; comparable within one answer.")
    matched_on: MatchedOn = strawberry.field(description="What matched the query.")
    via: str | None = strawberry.field(
        description="For LEGAL_REPRESENTATIVE matches: the representative's name that matched."
    )


@fields_need(Inherited)
@strawberry.type(name="SearchResultConnection", description="A page of search results, best first.")
class SearchResultConnection(Connection[SearchResult]):
    total_count: int = strawberry.field(
        description="How many results the search found (at most 200 are ranked)."
    )
    excluded_kinds: list[SearchKind] = strawberry.field(
        default_factory=list,
        description="The kinds of entity this caller's role may not search (PERSON for the "
        "public): they are left out of every answer, not missing from the registry. "
        "Empty when nothing was left out.",
    )
