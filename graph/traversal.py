"""Every walk over the graph: breadth-first expansions, simple paths between two entities, and
equity penetration through shareholdings.

No I/O of its own: a breadth-first walk asks a *reader* for a frontier's links (one batched
statement per hop, ``graph.repositories.network.neighbour_reader`` and the subgraph reader of
``graph.repositories.subgraph``), and the path and ownership walks work on what was read. Paths
and chains are simple (no entity twice), so a cycle of links is walked at most once around and
never counted twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from graph.models import EntityKind, RelType


class Step(Protocol):
    """A link seen from ``key`` towards ``other`` (``graph.repositories.network.Link``)."""

    @property
    def key(self) -> str: ...

    @property
    def other(self) -> str: ...

    @property
    def identity(self) -> tuple[str, str, str]: ...


S = TypeVar("S", bound=Step)


@dataclass(frozen=True)
class Link:
    """One relationship seen from ``key``: ``out`` when ``key`` is its start node."""

    key: str
    other: str
    other_kind: EntityKind
    rel: RelType
    out: bool
    props: dict[str, Any]

    @property
    def start(self) -> str:
        return self.key if self.out else self.other

    @property
    def end(self) -> str:
        return self.other if self.out else self.key

    @property
    def identity(self) -> tuple[str, str, str]:
        """The same for the link seen from either end."""
        return (self.start, self.end, self.rel.value)


@dataclass(frozen=True)
class Neighbours:
    """An entity's links of the asked types, at most ``MAX_LINKS_READ``; ``degree`` counts all."""

    degree: int
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Holding:
    holder: str
    holder_kind: EntityKind
    stake: float | None


NeighbourReader = Callable[[dict[str, EntityKind], int], Awaitable[dict[str, Neighbours]]]
"""Reads the links of a frontier (key -> kind), at most ``cap`` an entity: key -> neighbours."""
HolderReader = Callable[[list[str]], Awaitable[dict[str, list[Holding]]]]
"""Reads the shareholders of a frontier of companies: company -> holdings."""
FrontierReader = Callable[[dict[str, EntityKind]], Awaitable[Iterable[tuple[str, EntityKind]]]]
"""Reads the entities linked to a frontier: (key, kind) pairs, repeats allowed."""
MAX_LINKS_READ = 1000  # links of one entity a single expansion reads; more make it a hub


async def within(
    read: FrontierReader, centre: str, kind: EntityKind, radius: int, max_entities: int
) -> tuple[dict[str, int], dict[str, EntityKind]]:
    """Breadth-first from ``centre``: every entity within ``radius`` links (at most
    ``max_entities``), with its distance and kind."""
    distance: dict[str, int] = {centre: 0}
    kinds: dict[str, EntityKind] = {centre: kind}
    frontier = {centre: kind}
    for step in range(1, radius + 1):
        if not frontier:
            break
        following: dict[str, EntityKind] = {}
        for other, other_kind in await read(frontier):
            if other not in distance and len(distance) < max_entities:
                distance[other] = step
                kinds[other] = other_kind
                following[other] = other_kind
        frontier = following
    return distance, kinds


def reverse(link: Link, kind: EntityKind) -> Link:
    """``link`` seen from its other end (``kind`` is the kind of ``link.key``)."""
    return Link(
        key=link.other,
        other=link.key,
        other_kind=kind,
        rel=link.rel,
        out=not link.out,
        props=link.props,
    )


@dataclass
class Subgraph:
    """Entities around a root (key -> kind and hops from the root) and the links among them."""

    kinds: dict[str, EntityKind]
    distance: dict[str, int]
    links: dict[tuple[str, str, str], Link]
    hubs: list[str]
    truncated: bool


async def linkage(
    read_links: NeighbourReader, root: str, kind: EntityKind, hops: int, limit: int, hub_links: int
) -> Subgraph:
    """The entities within ``hops`` links of ``root``, at most ``limit``, nearest first.

    An entity with more than ``hub_links`` links is a hub: it is kept, and listed, but its links
    are not followed (the root's are, up to ``limit``), so one super-node cannot flood the
    answer. ``truncated`` says that ``limit`` left some entity out.
    """
    sub = Subgraph({root: kind}, {root: 0}, {}, [], False)
    frontier = {root: kind}
    for step in range(1, hops + 1):
        if not frontier:
            break
        read = await read_links(frontier, max(hub_links, limit) + 1)
        following: dict[str, EntityKind] = {}
        for key in frontier:
            found = read[key]
            if found.degree > hub_links:
                sub.hubs.append(key)
                if key != root:
                    continue
            for link in sorted(found.links, key=lambda x: (x.rel.value, x.other)):
                if link.other not in sub.kinds:
                    if len(sub.kinds) >= limit:
                        sub.truncated = True
                        continue
                    sub.kinds[link.other] = link.other_kind
                    sub.distance[link.other] = step
                    following[link.other] = link.other_kind
                sub.links.setdefault(link.identity, link)
            if key == root and found.degree > len(found.links):
                sub.truncated = True
        frontier = following
    return sub


@dataclass
class Ball:
    """Entities within ``radius`` of a centre, with every link of those nearer than ``radius``
    listed from both ends; ``cut`` when a hub's links or the size limit left something out."""

    distance: dict[str, int]
    kinds: dict[str, EntityKind]
    adjacency: dict[str, list[Link]]
    cut: bool


async def ball(
    read_links: NeighbourReader, centre: str, kind: EntityKind, radius: int, max_entities: int
) -> Ball:
    """Breadth-first from ``centre``: what a meet-in-the-middle path search needs of one side."""
    found = Ball({centre: 0}, {centre: kind}, {}, False)
    seen: set[tuple[str, str, str]] = set()
    frontier = {centre: kind}
    for step in range(1, radius + 1):
        if not frontier:
            break
        read = await read_links(frontier, MAX_LINKS_READ)
        following: dict[str, EntityKind] = {}
        for key, near in read.items():
            if near.degree > len(near.links):
                found.cut = True
            for link in near.links:
                if link.identity in seen:
                    continue
                seen.add(link.identity)
                found.adjacency.setdefault(key, []).append(link)
                found.adjacency.setdefault(link.other, []).append(reverse(link, frontier[key]))
                if link.other not in found.distance:
                    if len(found.distance) >= max_entities:
                        found.cut = True
                        continue
                    found.distance[link.other] = step
                    found.kinds[link.other] = link.other_kind
                    following[link.other] = link.other_kind
        frontier = following
    return found


async def holdings_above(
    read_holders: HolderReader, company: str, max_levels: int, max_companies: int
) -> dict[str, list[tuple[str, float]]]:
    """The shareholdings above ``company`` up to ``max_levels``: company -> (holder, stake)."""
    holdings: dict[str, list[tuple[str, float]]] = {}
    frontier = [company]
    for _ in range(max_levels):
        if not frontier or len(holdings) >= max_companies:
            break
        read = await read_holders(frontier)
        following: list[str] = []
        for key, found in read.items():
            holdings[key] = [(h.holder, h.stake or 0.0) for h in found]
            for h in found:
                if h.holder_kind is EntityKind.COMPANY and h.holder not in holdings:
                    following.append(h.holder)
        frontier = list(dict.fromkeys(following))
    return holdings


def simple_paths(
    adjacency: Mapping[str, Sequence[S]],
    source: str,
    target: str,
    max_hops: int,
    distance_to_target: Callable[[str], int],
    per_length: int,
) -> list[list[S]]:
    """Every simple path from ``source`` to ``target`` of at most ``max_hops`` links, shortest
    first, at most ``per_length`` of each length.

    ``distance_to_target(n)`` must never overstate how far ``n`` lies from ``target``: it prunes
    the walk. ``adjacency`` lists each entity's links; a path may only use links listed there.
    """
    found: list[list[S]] = []
    if source == target:
        return found
    for length in range(1, max_hops + 1):
        found.extend(
            _paths_of_length(adjacency, source, target, length, distance_to_target, per_length)
        )
    return found


def _paths_of_length(
    adjacency: Mapping[str, Sequence[S]],
    source: str,
    target: str,
    length: int,
    distance_to_target: Callable[[str], int],
    limit: int,
) -> list[list[S]]:
    """The simple paths of exactly ``length`` links, at most ``limit`` (depth-first)."""
    out: list[list[S]] = []
    path: list[S] = []
    on_path = {source}

    def walk(node: str, left: int) -> bool:
        """Extend the path from ``node`` with ``left`` links to go; False once ``limit`` is hit."""
        for step in adjacency.get(node, ()):
            other = step.other
            if other in on_path:
                continue
            if other == target:
                if left == 1:
                    out.append([*path, step])
                    if len(out) >= limit:
                        return False
                continue
            if left == 1 or distance_to_target(other) > left - 1:
                continue
            path.append(step)
            on_path.add(other)
            more = walk(other, left - 1)
            on_path.discard(other)
            path.pop()
            if not more:
                return False
        return True

    walk(source, length)
    return out


@dataclass(frozen=True)
class Chain:
    """Holders from the company up to an owner: ``links[i]`` holds ``links[i - 1]``'s stake."""

    holders: tuple[str, ...]  # from the direct shareholder up to the owner
    stakes: tuple[float, ...]

    @property
    def effective(self) -> float:
        product = 1.0
        for stake in self.stakes:
            product *= stake
        return product


@dataclass(frozen=True)
class Owner:
    key: str
    effective_stake: float
    chains: tuple[Chain, ...]
    truncated: bool  # the walk stopped at the level limit with holders above


def penetrate(
    company: str,
    holders: Mapping[str, Sequence[tuple[str, float]]],
    max_levels: int,
    max_chains: int = 10_000,
) -> tuple[list[Owner], bool]:
    """The ultimate owners of ``company``: who stands at the top of each chain of holdings.

    An owner is a holder with no holders of its own (a person, or a company whose shareholders
    the registry does not know), or the holder at ``max_levels`` when the chain goes on. The
    effective stake is the product of the stakes along a chain, summed over the owner's chains.
    A chain that could only go on through an entity already on it (a cross-holding) ends
    without an owner: the cycle is neither walked again nor counted twice. Returns the owners,
    largest stake first, and whether ``max_chains`` cut the walk.
    """
    chains: dict[str, list[Chain]] = {}
    cut_at_level: set[str] = set()
    count = 0
    cut = False

    def walk(node: str, path: list[str], stakes: list[float]) -> None:
        nonlocal count, cut
        for holder, stake in holders.get(node, ()):
            if cut:
                return
            if holder in path or holder == company:
                continue
            up_path, up_stakes = [*path, holder], [*stakes, stake]
            above = [h for h, _ in holders.get(holder, ()) if h not in up_path and h != company]
            own_holders = holders.get(holder, ())
            if not own_holders or len(up_path) >= max_levels:
                chains.setdefault(holder, []).append(Chain(tuple(up_path), tuple(up_stakes)))
                if own_holders and len(up_path) >= max_levels:
                    cut_at_level.add(holder)
                count += 1
                cut = count >= max_chains
            elif above:
                walk(holder, up_path, up_stakes)

    walk(company, [], [])
    owners = [
        Owner(
            key=key,
            effective_stake=sum(c.effective for c in found),
            chains=tuple(found),
            truncated=key in cut_at_level,
        )
        for key, found in chains.items()
    ]
    owners.sort(key=lambda o: (-o.effective_stake, o.key))
    return owners, cut
