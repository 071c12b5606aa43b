"""From registry models to their GraphQL types, where either a person or a company may come."""

from __future__ import annotations

import strawberry
from strawberry import relay

from api.context import Info
from api.errors import PublicError
from api.types.company import CompanyType
from api.types.person import PersonType
from api.types.record import RecordType
from graph import models


def entity_type(entity: models.Entity) -> CompanyType | PersonType:
    if entity.company is not None:
        return CompanyType.of(entity.company)
    assert entity.person is not None
    return PersonType.of(entity.person)


MAX_NODES = 100
NODE_TYPES: dict[str, type[CompanyType] | type[PersonType] | type[RecordType]] = {
    "Company": CompanyType,
    "Person": PersonType,
    "Record": RecordType,
}


async def resolve_nodes(info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
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
