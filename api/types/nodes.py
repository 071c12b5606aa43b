"""From registry models to their GraphQL types, where either a person or a company may come."""

from __future__ import annotations

from api.types.company import CompanyType
from api.types.person import PersonType
from graph import models


def entity_type(entity: models.Entity) -> CompanyType | PersonType:
    if entity.company is not None:
        return CompanyType.of(entity.company)
    assert entity.person is not None
    return PersonType.of(entity.person)
