"""Resolvers for investigators: risk paths, linkage, common links, ultimate owners, risk scans.

Each parses its arguments, calls its use case in ``usecases.investigation`` (the walks and the
ranking) and maps the parties and links it returns to GraphQL types.
"""

from __future__ import annotations

import strawberry
from strawberry import relay

from api.context import Info
from api.errors import NotFoundError, PublicError
from api.types.company import CompanyType
from api.types.enums import RelType
from api.types.investigation import (
    ChainLink,
    CommonLink,
    CommonLinkKind,
    GraphNode,
    Linkage,
    Ownership,
    OwnershipChain,
    PathEdge,
    Relationship,
    RiskPath,
    RiskScanHit,
    Standing,
)
from api.types.nodes import entity_type, resolve_nodes
from api.types.person import PersonType
from api.types.record import RecordType
from graph import models
from graph.identifiers import IdentifierError
from graph.parties import company_key
from graph.repositories import network
from graph.traversal import Link
from scoring.vocabulary import Direction, LevelName
from usecases import investigation
from usecases.investigation import Parties

EntityNode = CompanyType | PersonType  # a resolved company or person


async def entity_of(info: Info, id: strawberry.ID, field: str) -> EntityNode:
    """The company or person behind a global id, or an error naming ``field``."""
    try:
        (node,) = await resolve_nodes(info, [id])
    except PublicError as exc:
        raise PublicError(f"{field}: {exc}".replace("id: ", "", 1)) from None
    if not isinstance(node, (CompanyType, PersonType)):
        raise NotFoundError(f"{field}: no company or person in the registry has this id")
    return node


def _global_id(entity: EntityNode) -> strawberry.ID:
    name = "Company" if isinstance(entity, CompanyType) else "Person"
    return strawberry.ID(relay.to_base64(name, entity.node_key))


def _model(entity: EntityNode) -> models.Entity:
    """The registry entity behind a resolved node, for a use case."""
    if isinstance(entity, CompanyType):
        return models.Entity(models.EntityKind.COMPANY, company=entity.model)
    return models.Entity(models.EntityKind.PERSON, person=entity.model)


class Lookup:
    """The GraphQL form of the parties a use case returned."""

    def __init__(self, parties: Parties) -> None:
        self.parties = parties
        self.entities = {key: entity_type(e) for key, e in parties.entities.items()}

    def node(self, key: str, hops: int) -> GraphNode:
        entity, found = self.entities[key], self.parties.standings.get(key)
        standing = (
            Standing(
                scheme=found.scheme,
                value=found.value,
                level=LevelName(found.level),
                blacklisted=found.blacklisted,
            )
            if found
            else None
        )
        return GraphNode(id=_global_id(entity), entity=entity, hops=hops, standing=standing)

    def relationship(self, link: Link) -> Relationship:
        props = network.decode_link_props(link.props)
        return Relationship(
            type=link.rel,
            start_id=_global_id(self.entities[link.start]),
            end_id=_global_id(self.entities[link.end]),
            stake=props["stake"],
            role=props["role"],
            since=props["since"],
            until=props["until"],
            provenance=props["source"],
        )

    def path_edge(self, link: Link) -> PathEdge:
        """``link`` walked from ``link.key`` to ``link.other``."""
        return PathEdge(
            type=link.rel,
            direction=Direction.FORWARD if link.out else Direction.BACKWARD,
            relationship=self.relationship(link),
        )


async def risk_paths(
    info: Info,
    source: strawberry.ID,
    target: strawberry.ID,
    max_hops: int,
    rel_types: list[RelType] | None,
    first: int,
) -> list[RiskPath]:
    investigation.check_range("maxHops", max_hops, 1, investigation.MAX_PATH_HOPS)
    investigation.check_range("first", first, 1, investigation.MAX_PATHS)
    # One after the other: when the first fails, no second query is left running unawaited.
    a, b = await entity_of(info, source, "from"), await entity_of(info, target, "to")
    found, parties = await investigation.risk_paths(
        info.context.session, _model(a), _model(b), max_hops, rel_types, first
    )
    lookup = Lookup(parties)
    return [
        RiskPath(
            length=len(path.links),
            risk=path.risk,
            nodes=[lookup.node(k, i) for i, k in enumerate(path.keys)],
            edges=[lookup.path_edge(link) for link in path.links],
        )
        for path in found
    ]


async def linkage(
    info: Info, id: strawberry.ID, hops: int, rel_types: list[RelType] | None, limit: int
) -> Linkage:
    investigation.check_range("hops", hops, 1, investigation.MAX_LINKAGE_HOPS)
    investigation.check_range("limit", limit, 1, investigation.MAX_LINKAGE_LIMIT)
    root = await entity_of(info, id, "id")
    sub, parties = await investigation.linkage(
        info.context.session, _model(root), hops, rel_types, limit
    )
    lookup = Lookup(parties)
    present = [k for k in sub.kinds if k in lookup.entities]
    return Linkage(
        nodes=[lookup.node(k, sub.distance[k]) for k in present],
        edges=[
            lookup.relationship(link)
            for link in sub.links.values()
            if link.start in lookup.entities and link.end in lookup.entities
        ],
        truncated=sub.truncated,
        hubs=[lookup.node(k, sub.distance[k]) for k in sub.hubs if k in lookup.entities],
    )


async def common_links(info: Info, a_id: strawberry.ID, b_id: strawberry.ID) -> list[CommonLink]:
    a, b = await entity_of(info, a_id, "a"), await entity_of(info, b_id, "b")
    shared, parties = await investigation.common_links(info.context.session, _model(a), _model(b))
    lookup = Lookup(parties)
    out = [
        CommonLink(
            kind=CommonLinkKind.DIRECT,
            entity=None,
            value=None,
            path_from_a=[lookup.path_edge(from_a)],
            path_from_b=[lookup.path_edge(from_b)],
        )
        for from_a, from_b in shared.direct
    ]
    out += [
        CommonLink(
            kind=CommonLinkKind.PARTY,
            entity=lookup.entities[from_a.other],
            value=None,
            path_from_a=[lookup.path_edge(from_a)],
            path_from_b=[lookup.path_edge(from_b)],
        )
        for from_a, from_b in shared.parties
    ]
    if shared.address is not None:
        out.append(_shared_value(CommonLinkKind.ADDRESS, shared.address))
    if shared.phone is not None:
        out.append(_shared_value(CommonLinkKind.PHONE, shared.phone))
    return out


def _shared_value(kind: CommonLinkKind, value: str | None) -> CommonLink:
    return CommonLink(kind=kind, entity=None, value=value, path_from_a=[], path_from_b=[])


async def ultimate_owners(info: Info, uscc: str, min_stake: float) -> list[Ownership]:
    if not 0 <= min_stake <= 1:
        raise PublicError(f"minStake: must be between 0 and 1, got {min_stake}")
    try:
        code = company_key(uscc)
    except IdentifierError as exc:
        raise PublicError(f"uscc: {exc}") from None
    if await info.context.loaders.company.load(code) is None:
        raise NotFoundError(f"uscc: the registry holds no company {code}")
    owners, parties = await investigation.ultimate_owners(info.context.session, code, min_stake)
    lookup = Lookup(parties)
    out = []
    for owner in owners:
        chains = []
        for chain in owner.chains:
            held = [code, *chain.holders[:-1]]
            chains.append(
                OwnershipChain(
                    stake=round(chain.effective, 12),
                    links=[
                        ChainLink(
                            holder=lookup.entities[holder],
                            company=_company(lookup.entities[company]),
                            stake=stake,
                        )
                        for holder, company, stake in zip(
                            chain.holders, held, chain.stakes, strict=True
                        )
                    ],
                )
            )
        out.append(
            Ownership(
                owner=lookup.entities[owner.key],
                effective_stake=round(owner.effective_stake, 12),
                chains=chains,
                truncated=owner.truncated,
            )
        )
    return out


def _company(entity: EntityNode) -> CompanyType:
    assert isinstance(entity, CompanyType)  # only companies have shareholders
    return entity


async def risk_scan(info: Info, id: strawberry.ID, hops: int, first: int) -> list[RiskScanHit]:
    investigation.check_range("hops", hops, 1, investigation.MAX_SCAN_HOPS)
    investigation.check_range("first", first, 1, investigation.MAX_SCAN_RESULTS)
    root = await entity_of(info, id, "id")
    hits, parties = await investigation.risk_scan(info.context.session, _model(root), hops, first)
    lookup = Lookup(parties)
    wanted = [r for hit in hits for r in hit.counting[: investigation.RECORDS_PER_HIT]]
    loaded = await info.context.loaders.record.load_many(wanted)
    by_id = {r.record_id: r for r in loaded if r is not None}
    return [
        RiskScanHit(
            node=lookup.node(hit.key, hit.distance),
            warnings=len(hit.counting),
            worst_severity=hit.worst,
            records=[
                RecordType.of(by_id[r])
                for r in hit.counting[: investigation.RECORDS_PER_HIT]
                if r in by_id
            ],
        )
        for hit in hits
    ]
