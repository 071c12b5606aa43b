"""Resolvers for investigators: risk paths, linkage, common links, ultimate owners, risk scans.

Each reads the network frontier by frontier through ``graph.repositories.network`` (one
statement per hop and label), walks it with the pure ``graph.traversal``, then loads the
entities and latest standings it returns in one statement each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

import strawberry
from strawberry import relay

from api.context import Info
from api.errors import PublicError
from api.scores import scheme_for
from api.types.company import CompanyType
from api.types.enums import RelType, Severity
from api.types.investigation import (
    ChainLink,
    CommonLink,
    CommonLinkKind,
    Direction,
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
from graph import traversal
from graph.identifiers import IdentifierError, parse_uscc
from graph.repositories import network, snapshots
from graph.repositories.entities import entities_by_key
from graph.repositories.scoring import warnings_of
from scoring.engine import COUNTING, standing

MAX_PATH_HOPS = 6
MAX_LINKAGE_HOPS = 3
MAX_LINKAGE_LIMIT = 1000
MAX_PATHS = 50
MAX_SCAN_HOPS = 3
MAX_SCAN_RESULTS = 200
HUB_LINKS = 50  # an entity with more links than this is a hub: drawn, not expanded
BALL_ENTITIES = 20_000  # per side of a path search, and for a risk scan
PATHS_PER_LENGTH = 500  # how many paths of one length a search ranks
OWNERSHIP_LEVELS = 10
OWNERSHIP_COMPANIES = 20_000
SEVERITY_RANK = {Severity.SERIOUS.value: 3, Severity.GENERAL.value: 2, Severity.MINOR.value: 1}
RECORDS_PER_HIT = 5

Entity = CompanyType | PersonType


async def entity_of(info: Info, id: strawberry.ID, field: str) -> Entity:
    """The company or person behind a global id, or an error naming ``field``."""
    try:
        (node,) = await resolve_nodes(info, [id])
    except PublicError as exc:
        raise PublicError(f"{field}: {exc}".replace("id: ", "", 1)) from None
    if not isinstance(node, (CompanyType, PersonType)):
        raise PublicError(f"{field}: no company or person in the registry has this id")
    return node


def _global_id(entity: Entity) -> strawberry.ID:
    name = "Company" if isinstance(entity, CompanyType) else "Person"
    return strawberry.ID(relay.to_base64(name, entity.node_key))


def _check_range(field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise PublicError(f"{field}: must be between {low} and {high}, got {value}")


def _types(rel_types: list[RelType] | None) -> list[RelType]:
    if rel_types is not None and not rel_types:
        raise PublicError("relTypes: give at least one type, or leave it out for all")
    return list(dict.fromkeys(rel_types)) if rel_types else list(RelType)


class Lookup:
    """The entities and latest standings of a set of keys, each read in one statement."""

    def __init__(self, info: Info) -> None:
        self.info = info
        self.entities: dict[str, Entity] = {}
        self.standings: dict[str, Standing] = {}

    async def load(self, keys: Iterable[str]) -> None:
        wanted = [k for k in dict.fromkeys(keys) if k not in self.entities]
        if not wanted:
            return
        graph = self.info.context.graph
        found = await entities_by_key(graph, wanted)
        pairs: list[tuple[str, str]] = []
        for key, entity in zip(wanted, found, strict=True):
            if entity is None:
                continue
            typed = entity_type(entity)
            self.entities[key] = typed
            pairs.append((key, scheme_for(self.info, typed.entity_kind(), None).id))
        for (key, scheme), s in (await snapshots.latest(graph, pairs)).items():
            self.standings[key] = Standing(
                scheme=scheme, value=s.value, level=s.level, blacklisted=s.blacklisted
            )

    def node(self, key: str, hops: int) -> GraphNode:
        entity = self.entities[key]
        return GraphNode(
            id=_global_id(entity), entity=entity, hops=hops, standing=self.standings.get(key)
        )

    def relationship(self, link: network.Link) -> Relationship:
        props = network.link_props(link.props)
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

    def path_edge(self, link: network.Link) -> PathEdge:
        """``link`` walked from ``link.key`` to ``link.other``."""
        return PathEdge(
            type=link.rel,
            direction=Direction.FORWARD if link.out else Direction.BACKWARD,
            relationship=self.relationship(link),
        )

    def risk(self, key: str) -> float:
        """The share of its base points an entity has lost, plus 1 when blacklisted."""
        entity, found = self.entities.get(key), self.standings.get(key)
        if entity is None or found is None:
            return 0.0
        base = self.info.context.request.app.state.schemes[found.scheme].base
        lost = max(0.0, (base - found.value) / base) if base else 0.0
        return lost + (1.0 if found.blacklisted else 0.0)


async def risk_paths(
    info: Info,
    source: strawberry.ID,
    target: strawberry.ID,
    max_hops: int,
    rel_types: list[RelType] | None,
    first: int,
) -> list[RiskPath]:
    _check_range("maxHops", max_hops, 1, MAX_PATH_HOPS)
    _check_range("first", first, 1, MAX_PATHS)
    types = _types(rel_types)
    # One after the other: when the first fails, no second query is left running unawaited.
    a, b = await entity_of(info, source, "from"), await entity_of(info, target, "to")
    a_key, b_key = a.record_subject(), b.record_subject()
    if a_key == b_key:
        return []
    graph = info.context.graph
    near_a, near_b = max_hops - max_hops // 2, max_hops // 2
    side_a = await network.ball(graph, a_key, a.entity_kind(), near_a, types, BALL_ENTITIES)
    side_b = await network.ball(graph, b_key, b.entity_kind(), near_b, types, BALL_ENTITIES)
    adjacency: dict[str, list[network.Link]] = {}
    seen: set[tuple[str, tuple[str, str, str]]] = set()
    for side in (side_a, side_b):
        for key, links in side.adjacency.items():
            for link in links:
                if (key, link.identity) not in seen:
                    seen.add((key, link.identity))
                    adjacency.setdefault(key, []).append(link)
    for links in adjacency.values():
        links.sort(key=lambda x: (x.rel.value, x.other))
    beyond = near_b + 1
    found = traversal.simple_paths(
        adjacency,
        a_key,
        b_key,
        max_hops,
        lambda key: side_b.distance.get(key, beyond),
        PATHS_PER_LENGTH,
    )
    lookup = Lookup(info)
    await lookup.load(key for path in found for link in path for key in (link.key, link.other))
    ranked = sorted(
        found,
        key=lambda p: (len(p), -sum(lookup.risk(k) for k in _keys(p)), [x.other for x in p]),
    )
    out = []
    for path in ranked[:first]:
        keys = _keys(path)
        out.append(
            RiskPath(
                length=len(path),
                risk=round(sum(lookup.risk(k) for k in keys), 6),
                nodes=[lookup.node(k, i) for i, k in enumerate(keys)],
                edges=[lookup.path_edge(link) for link in path],
            )
        )
    return out


def _keys(path: Sequence[network.Link]) -> list[str]:
    return [path[0].key, *(link.other for link in path)]


async def linkage(
    info: Info, id: strawberry.ID, hops: int, rel_types: list[RelType] | None, limit: int
) -> Linkage:
    _check_range("hops", hops, 1, MAX_LINKAGE_HOPS)
    _check_range("limit", limit, 1, MAX_LINKAGE_LIMIT)
    root = await entity_of(info, id, "id")
    sub = await network.linkage(
        info.context.graph,
        root.record_subject(),
        root.entity_kind(),
        hops,
        _types(rel_types),
        limit,
        HUB_LINKS,
    )
    lookup = Lookup(info)
    await lookup.load(sub.kinds)
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


def _normal_address(value: str | None) -> str | None:
    text = re.sub(r"\s+", "", value or "")
    return text or None


def _normal_phone(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits if len(digits) >= 7 else None


async def common_links(info: Info, a_id: strawberry.ID, b_id: strawberry.ID) -> list[CommonLink]:
    a, b = await entity_of(info, a_id, "a"), await entity_of(info, b_id, "b")
    a_key, b_key = a.record_subject(), b.record_subject()
    if a_key == b_key:
        raise PublicError("b: the same entity as a")
    graph = info.context.graph
    direct_read = await network.neighbours(graph, {a_key: a.entity_kind()})
    direct = [link for link in direct_read[a_key].links if link.other == b_key]
    parties = await network.shared_parties(
        graph, a_key, a.entity_kind(), b_key, b.entity_kind(), MAX_LINKAGE_LIMIT
    )
    lookup = Lookup(info)
    await lookup.load([a_key, b_key, *(one.other for one, _ in parties)])
    out: list[CommonLink] = []
    for link in direct:
        reverse = network.Link(b_key, a_key, a.entity_kind(), link.rel, not link.out, link.props)
        out.append(
            CommonLink(
                kind=CommonLinkKind.DIRECT,
                entity=None,
                value=None,
                path_from_a=[lookup.path_edge(link)],
                path_from_b=[lookup.path_edge(reverse)],
            )
        )
    for from_a, from_b in sorted(parties, key=lambda p: (p[0].other, p[0].rel, p[1].rel)):
        if from_a.other not in lookup.entities:
            continue
        out.append(
            CommonLink(
                kind=CommonLinkKind.PARTY,
                entity=lookup.entities[from_a.other],
                value=None,
                path_from_a=[lookup.path_edge(from_a)],
                path_from_b=[lookup.path_edge(from_b)],
            )
        )
    if isinstance(a, CompanyType) and isinstance(b, CompanyType):
        found = await network.contacts(graph, [a_key, b_key])
        (a_address, a_phone), (b_address, b_phone) = found[a_key], found[b_key]
        if _normal_address(a_address) and _normal_address(a_address) == _normal_address(b_address):
            out.append(_shared_value(CommonLinkKind.ADDRESS, a_address))
        if _normal_phone(a_phone) and _normal_phone(a_phone) == _normal_phone(b_phone):
            out.append(_shared_value(CommonLinkKind.PHONE, a_phone))
    return out


def _shared_value(kind: CommonLinkKind, value: str | None) -> CommonLink:
    return CommonLink(kind=kind, entity=None, value=value, path_from_a=[], path_from_b=[])


async def ultimate_owners(info: Info, uscc: str, min_stake: float) -> list[Ownership]:
    if not 0 <= min_stake <= 1:
        raise PublicError(f"minStake: must be between 0 and 1, got {min_stake}")
    try:
        code = parse_uscc(uscc).code
    except IdentifierError as exc:
        raise PublicError(f"uscc: {exc}") from None
    if await info.context.loaders.company.load(code) is None:
        raise PublicError(f"uscc: the registry holds no company {code}")
    graph = info.context.graph
    holdings = await network.ownership(graph, code, OWNERSHIP_LEVELS, OWNERSHIP_COMPANIES)
    owners, _ = traversal.penetrate(code, holdings, OWNERSHIP_LEVELS)
    kept = [o for o in owners if o.effective_stake >= min_stake - 1e-12]
    lookup = Lookup(info)
    await lookup.load(
        [
            code,
            *(h for o in kept for chain in o.chains for h in chain.holders),
            *(o.key for o in kept),
        ]
    )
    out = []
    for owner in kept:
        if owner.key not in lookup.entities:
            continue
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


def _company(entity: Entity) -> CompanyType:
    assert isinstance(entity, CompanyType)  # only companies have shareholders
    return entity


async def risk_scan(info: Info, id: strawberry.ID, hops: int, first: int) -> list[RiskScanHit]:
    _check_range("hops", hops, 1, MAX_SCAN_HOPS)
    _check_range("first", first, 1, MAX_SCAN_RESULTS)
    root = await entity_of(info, id, "id")
    graph = info.context.graph
    around = await network.ball(
        graph, root.record_subject(), root.entity_kind(), hops, list(RelType), BALL_ENTITIES
    )
    keys = [k for k in around.distance if k != root.record_subject()]
    today = date.today()
    schemes = {kind: scheme_for(info, kind, None) for kind in {around.kinds[k] for k in keys}}
    facts = await warnings_of(graph, keys)
    counting: dict[str, list[str]] = {}
    worst: dict[str, int] = {}
    for key, records in facts.items():
        scheme = schemes[around.kinds[key]]
        live = [
            r
            for r in records
            if standing(
                r, scheme.rule_for(r.code, r.category, r.severity, r.polarity), scheme, today
            )
            == COUNTING
        ]
        live.sort(key=lambda r: (-SEVERITY_RANK.get(r.severity, 0), -r.decided_on.toordinal()))
        if live:
            counting[key] = [r.record_id for r in live]
            worst[key] = SEVERITY_RANK.get(live[0].severity, 0)
    pairs = [(k, schemes[around.kinds[k]].id) for k in keys]
    blacklisted = {
        k for (k, _), s in (await snapshots.latest(graph, pairs)).items() if s.blacklisted
    }
    risky = [k for k in keys if k in counting or k in blacklisted]
    risky.sort(
        key=lambda k: (
            around.distance[k],
            k not in blacklisted,
            -worst.get(k, 0),
            -len(counting.get(k, ())),
            k,
        )
    )
    chosen = risky[:first]
    lookup = Lookup(info)
    await lookup.load(chosen)
    wanted = [r for k in chosen for r in counting.get(k, ())[:RECORDS_PER_HIT]]
    loaded = await info.context.loaders.record.load_many(wanted)
    by_id = {r.record_id: r for r in loaded if r is not None}
    out = []
    for key in chosen:
        if key not in lookup.entities:
            continue
        ids = counting.get(key, [])
        severity = next((s for s in Severity if SEVERITY_RANK[s.value] == worst.get(key)), None)
        out.append(
            RiskScanHit(
                node=lookup.node(key, around.distance[key]),
                warnings=len(ids),
                worst_severity=severity,
                records=[RecordType.of(by_id[r]) for r in ids[:RECORDS_PER_HIT] if r in by_id],
            )
        )
    return out
