"""Pure walks over a piece of the graph already read: simple paths between two entities, and
equity penetration through shareholdings. No I/O; ``graph.repositories.network`` feeds them.

Both work on simple paths (no entity twice), so a cycle of links is walked at most once around
and never counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar


class Step(Protocol):
    """A link seen from ``key`` towards ``other`` (``graph.repositories.network.Link``)."""

    @property
    def key(self) -> str: ...

    @property
    def other(self) -> str: ...

    @property
    def identity(self) -> tuple[str, str, str]: ...


S = TypeVar("S", bound=Step)


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
