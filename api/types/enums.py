"""The registry's enums, registered as GraphQL enums (names in capitals, values as imported).

``strawberry.enum`` is applied to the model enums themselves, so resolvers return the same
members the graph layer uses, and type checkers see ordinary Python enums.
"""

from __future__ import annotations

import strawberry

from graph.models import Category, CompanyStatus, Polarity, RecordStatus, RelType, Severity
from graph.parties import IdType
from graph.repositories.search import MatchedOn, SearchKind

strawberry.enum(Polarity, description="Whether a record is good or a warning.")
strawberry.enum(Severity, description="How grave a record is; sets how long it stays published.")
strawberry.enum(
    Category,
    description="The area a record belongs to: administrative affairs, commercial activities, "
    "social behaviour, or law enforcement and the judiciary.",
)
strawberry.enum(
    RecordStatus, description="A record's standing; only ACTIVE records are published and counted."
)
strawberry.enum(CompanyStatus, description="A company's registration status.")
strawberry.enum(RelType, description="A relationship between two entities.")
strawberry.enum(
    IdType,
    description="The document a person is identified by: a resident identity card, a residence "
    "permit of Hong Kong and Macao or of Taiwan residents, a mainland travel permit of those "
    "residents, a foreign passport, or a foreign permanent resident identity card "
    "(外国人永久居留身份证).",
)
strawberry.enum(SearchKind, description="Which entities a search returns.")
strawberry.enum(MatchedOn, description="What made an entity match a search.")

__all__ = [
    "Category",
    "CompanyStatus",
    "IdType",
    "MatchedOn",
    "Polarity",
    "RecordStatus",
    "RelType",
    "SearchKind",
    "Severity",
]
