"""Investigation: risk paths between two parties, the linkage around one, the links two share,
ultimate owners, and the risky parties near an entity, ranked.

Each walk is ``graph.traversal``'s over ``graph.repositories.network``'s readers; the ranking
(how risky a party is, which path or hit comes first) is decided here. Results are plain data:
keys of the graph's entities, with a ``Parties`` that holds each one's entity and latest
standing, for the API to map.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from graph import traversal
from graph.models import Entity, EntityKind, RelType, Severity
from graph.repositories import network, snapshots
from graph.repositories.entities import entities_by_key
from graph.repositories.score_inputs import warnings_of
from graph.traversal import Link
from scoring.engine import standing
from scoring.policy import COUNTING
from usecases.errors import BadArgument
from usecases.session import Session

MAX_PATH_HOPS = 6
MAX_LINKAGE_HOPS = 3
MAX_LINKAGE_LIMIT = 1000
MAX_PATHS = 50
MAX_SCAN_HOPS = 3
MAX_SCAN_RESULTS = 200
HUB_LINKS = 50  # an entity with more links than this is a hub: drawn, not expanded
SIDE_ENTITIES = 20_000  # per side of a path search, and for a risk scan
PATHS_PER_LENGTH = 500  # how many paths of one length a search ranks
OWNERSHIP_LEVELS = 10
OWNERSHIP_COMPANIES = 20_000
SEVERITY_RANK = {Severity.SERIOUS.value: 3, Severity.GENERAL.value: 2, Severity.MINOR.value: 1}
RECORDS_PER_HIT = 5


def check_range(field: str, value: int, low: int, high: int) -> None:
    """``BadArgument`` naming ``field`` unless ``low <= value <= high``."""
    if not low <= value <= high:
        raise BadArgument(field, f"must be between {low} and {high}, got {value}")


def rel_types(wanted: Sequence[RelType] | None) -> list[RelType]:
    """The relationship types to follow: those asked for (at least one), or all."""
    if wanted is not None and not wanted:
        raise BadArgument("relTypes", "give at least one type, or leave it out for all")
    return list(dict.fromkeys(wanted)) if wanted else list(RelType)


@dataclass(frozen=True)
class Standing:
    """A party's latest stored score under the scheme that scores its kind first."""

    scheme: str
    value: float
    level: str
    blacklisted: bool


@dataclass
class Parties:
    """The entities and latest standings of the keys a result names, each read in one
    statement; ``risk`` is how risky a party is."""

    session: Session
    entities: dict[str, Entity] = field(default_factory=dict)
    standings: dict[str, Standing] = field(default_factory=dict)

    async def load(self, keys: Iterable[str]) -> None:
        wanted = [k for k in dict.fromkeys(keys) if k not in self.entities]
        if not wanted:
            return
        graph = self.session.graph
        pairs: list[tuple[str, str]] = []
        for key, entity in zip(wanted, await entities_by_key(graph, wanted), strict=True):
            if entity is not None:
                self.entities[key] = entity
                pairs.append((key, self.session.schemes.choose(entity.kind).id))
        for (key, scheme), s in (await snapshots.latest(graph, pairs)).items():
            self.standings[key] = Standing(scheme, s.value, s.level, s.blacklisted)

    def risk(self, key: str) -> float:
        """The share of its base points a party has lost, plus 1 when blacklisted."""
        found = self.standings.get(key)
        if key not in self.entities or found is None:
            return 0.0
        base = self.session.schemes[found.scheme].base
        lost = max(0.0, (base - found.value) / base) if base else 0.0
        return lost + (1.0 if found.blacklisted else 0.0)


@dataclass(frozen=True)
class RiskPath:
    links: tuple[Link, ...]  # from the source to the target, each seen from its nearer end
    keys: tuple[str, ...]  # the entities along it, source first
    risk: float  # the sum of its entities' risk


async def risk_paths(
    session: Session,
    source: Entity,
    target: Entity,
    max_hops: int,
    types: Sequence[RelType] | None,
    first: int,
) -> tuple[list[RiskPath], Parties]:
    """The shortest simple paths between two parties, riskiest first within a length (a
    meet-in-the-middle search: both sides expanded half way)."""
    check_range("maxHops", max_hops, 1, MAX_PATH_HOPS)
    check_range("first", first, 1, MAX_PATHS)
    follow = rel_types(types)
    parties = Parties(session)
    if source.key == target.key:
        return [], parties
    read = network.neighbour_reader(session.graph, follow)
    near_a, near_b = max_hops - max_hops // 2, max_hops // 2
    side_a = await traversal.ball(read, source.key, source.kind, near_a, SIDE_ENTITIES)
    side_b = await traversal.ball(read, target.key, target.kind, near_b, SIDE_ENTITIES)
    adjacency: dict[str, list[Link]] = {}
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
        source.key,
        target.key,
        max_hops,
        lambda key: side_b.distance.get(key, beyond),
        PATHS_PER_LENGTH,
    )
    await parties.load(key for path in found for link in path for key in (link.key, link.other))
    ranked = sorted(
        found,
        key=lambda p: (len(p), -sum(parties.risk(k) for k in _keys(p)), [x.other for x in p]),
    )
    out = []
    for path in ranked[:first]:
        keys = _keys(path)
        risk = round(sum(parties.risk(k) for k in keys), 6)
        out.append(RiskPath(tuple(path), tuple(keys), risk))
    return out, parties


def _keys(path: Sequence[Link]) -> list[str]:
    return [path[0].key, *(link.other for link in path)]


async def linkage(
    session: Session, root: Entity, hops: int, types: Sequence[RelType] | None, limit: int
) -> tuple[traversal.Subgraph, Parties]:
    """The entities within ``hops`` links of ``root``, nearest first, hubs drawn but not
    expanded."""
    check_range("hops", hops, 1, MAX_LINKAGE_HOPS)
    check_range("limit", limit, 1, MAX_LINKAGE_LIMIT)
    read = network.neighbour_reader(session.graph, rel_types(types))
    sub = await traversal.linkage(read, root.key, root.kind, hops, limit, HUB_LINKS)
    parties = Parties(session)
    await parties.load(sub.kinds)
    return sub, parties


@dataclass
class Shared:
    """What two parties have in common: direct links (seen from ``a`` and from ``b``), parties
    linked to both (the link from each side), and a company's registered address or phone."""

    direct: list[tuple[Link, Link]]
    parties: list[tuple[Link, Link]]
    address: str | None
    phone: str | None


def _normal_address(value: str | None) -> str | None:
    text = re.sub(r"\s+", "", value or "")
    return text or None


def _normal_phone(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits if len(digits) >= 7 else None


async def common_links(session: Session, a: Entity, b: Entity) -> tuple[Shared, Parties]:
    """Every way two parties are linked within two links, and shared contact details."""
    if a.key == b.key:
        raise BadArgument("b", "the same entity as a")
    graph = session.graph
    direct_read = await network.neighbours(graph, {a.key: a.kind})
    direct = [
        (link, traversal.reverse(link, a.kind))
        for link in direct_read[a.key].links
        if link.other == b.key
    ]
    both = await network.shared_parties(graph, a.key, a.kind, b.key, b.kind, MAX_LINKAGE_LIMIT)
    parties = Parties(session)
    await parties.load([a.key, b.key, *(one.other for one, _ in both)])
    kept = [
        pair
        for pair in sorted(both, key=lambda p: (p[0].other, p[0].rel, p[1].rel))
        if pair[0].other in parties.entities
    ]
    shared = Shared(direct, kept, None, None)
    if a.kind is EntityKind.COMPANY and b.kind is EntityKind.COMPANY:
        found = await network.contacts(graph, [a.key, b.key])
        (a_address, a_phone), (b_address, b_phone) = found[a.key], found[b.key]
        if _normal_address(a_address) and _normal_address(a_address) == _normal_address(b_address):
            shared.address = a_address
        if _normal_phone(a_phone) and _normal_phone(a_phone) == _normal_phone(b_phone):
            shared.phone = a_phone
    return shared, parties


async def ultimate_owners(
    session: Session, company: str, min_stake: float
) -> tuple[list[traversal.Owner], Parties]:
    """Who stands at the top of each chain of shareholdings above ``company``, with an
    effective stake of at least ``min_stake``."""
    if not 0 <= min_stake <= 1:
        raise BadArgument("minStake", f"must be between 0 and 1, got {min_stake}")
    read = network.holder_reader(session.graph)
    holdings = await traversal.holdings_above(read, company, OWNERSHIP_LEVELS, OWNERSHIP_COMPANIES)
    owners, _ = traversal.penetrate(company, holdings, OWNERSHIP_LEVELS)
    kept = [o for o in owners if o.effective_stake >= min_stake - 1e-12]
    parties = Parties(session)
    await parties.load(
        [company, *(h for o in kept for c in o.chains for h in c.holders), *(o.key for o in kept)]
    )
    return [o for o in kept if o.key in parties.entities], parties


@dataclass(frozen=True)
class ScanHit:
    key: str
    distance: int
    blacklisted: bool
    worst: Severity | None  # the most severe warning record that counts
    counting: tuple[str, ...]  # its counting warning records, most severe and newest first


async def risk_scan(
    session: Session, root: Entity, hops: int, first: int
) -> tuple[list[ScanHit], Parties]:
    """The risky parties within ``hops`` links of ``root`` (blacklisted, or with warning
    records that count), nearest first, then blacklisted, most severe and most records."""
    check_range("hops", hops, 1, MAX_SCAN_HOPS)
    check_range("first", first, 1, MAX_SCAN_RESULTS)
    graph = session.graph
    read = network.neighbour_reader(graph, list(RelType))
    around = await traversal.ball(read, root.key, root.kind, hops, SIDE_ENTITIES)
    keys = [k for k in around.distance if k != root.key]
    today = date.today()
    schemes = {kind: session.schemes.choose(kind) for kind in {around.kinds[k] for k in keys}}
    counting: dict[str, list[str]] = {}
    worst: dict[str, int] = {}
    for key, records in (await warnings_of(graph, keys)).items():
        scheme = schemes[around.kinds[key]]
        live = [
            r
            for r in records
            if standing(
                r, scheme.rule_for(r.code, r.category, r.severity, r.polarity), scheme, today
            )
            == COUNTING
        ]
        live.sort(key=lambda r: (-_rank(r.severity), -r.decided_on.toordinal()))
        if live:
            counting[key] = [r.record_id for r in live]
            worst[key] = _rank(live[0].severity)
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
    parties = Parties(session)
    await parties.load(chosen)
    by_rank = {rank: Severity(severity) for severity, rank in SEVERITY_RANK.items()}
    hits = [
        ScanHit(
            key=k,
            distance=around.distance[k],
            blacklisted=k in blacklisted,
            worst=by_rank.get(worst.get(k, 0)),
            counting=tuple(counting.get(k, ())),
        )
        for k in chosen
        if k in parties.entities
    ]
    return hits, parties


def _rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, 0)
