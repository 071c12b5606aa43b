"""The arguments many fields share, described once (each field's own arguments are described
where the field is)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from api.types.enums import RelType
from api.types.pagination import MAX_PAGE

First = Annotated[
    int | None,
    strawberry.argument(description=f"How many items to return, 1 to {MAX_PAGE}."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Return the items after this cursor: `pageInfo.endCursor` of the page "
        "before, or an edge's `cursor`; null for the first page."
    ),
]
SchemeId = Annotated[
    str | None,
    strawberry.argument(
        description="The scheme to score under, by `Scheme.id`; null: the scheme for the "
        "subject's kind (individual for a person, enterprise for a company)."
    ),
]
AsOf = Annotated[
    date | None,
    strawberry.argument(
        description="The day to score on (records expire by it); null: today. A past day "
        "gives the score as the records then in force made it."
    ),
]
EntityId = Annotated[
    strawberry.ID,
    strawberry.argument(description="The global `id` of a company or a person."),
]
RelTypes = Annotated[
    list[RelType] | None,
    strawberry.argument(description="Only links of these types; null: every type."),
]
