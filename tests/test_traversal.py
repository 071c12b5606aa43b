"""The walks: breadth-first expansions and simple paths against brute force, equity
penetration's invariants. The readers here are in memory; ``graph.repositories`` supplies the
ones that read the graph (tested on the real server through the API)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from itertools import pairwise, permutations

from hypothesis import given, settings
from hypothesis import strategies as st

from graph import traversal
from graph.models import EntityKind
from graph.traversal import penetrate, simple_paths


@dataclass(frozen=True)
class Hop:
    key: str
    other: str
    rel: str

    @property
    def identity(self) -> tuple[str, str, str]:
        a, b = sorted((self.key, self.other))
        return (a, b, self.rel)


def adjacency(edges: set[tuple[int, int]]) -> dict[str, list[Hop]]:
    out: dict[str, list[Hop]] = {}
    for a, b in sorted(edges):
        out.setdefault(str(a), []).append(Hop(str(a), str(b), "R"))
        out.setdefault(str(b), []).append(Hop(str(b), str(a), "R"))
    return out


def brute_force(edges: set[tuple[int, int]], n: int, hops: int) -> set[tuple[str, ...]]:
    """Every simple path from 0 to n-1 by trying every ordering of intermediate nodes."""
    linked = {frozenset(e) for e in edges}
    found = set()
    middle = list(range(1, n - 1))
    for size in range(0, hops):
        for inner in permutations(middle, size):
            nodes = (0, *inner, n - 1)
            if all(frozenset(p) in linked for p in pairwise(nodes)):
                found.add(tuple(str(x) for x in nodes))
    return found


graphs = st.integers(min_value=2, max_value=7).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.sets(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] < e[1]),
            max_size=15,
        ),
        st.integers(1, 5),
    )
)


@settings(max_examples=200, deadline=None)
@given(graphs)
def test_simple_paths_equal_brute_force(case: tuple[int, set[tuple[int, int]], int]) -> None:
    n, edges, hops = case
    found = simple_paths(adjacency(edges), "0", str(n - 1), hops, lambda _: 0, 10_000)
    as_nodes = [tuple([p[0].key, *(h.other for h in p)]) for p in found]
    assert len(as_nodes) == len(set(as_nodes))  # no path twice
    assert set(as_nodes) == brute_force(edges, n, hops)
    assert [len(p) for p in found] == sorted(len(p) for p in found)  # shortest first


def test_simple_paths_cap_each_length() -> None:
    # 0 - {1, 2, 3} - 4: three paths of two links.
    edges = {(0, 1), (0, 2), (0, 3), (1, 4), (2, 4), (3, 4), (0, 4)}
    found = simple_paths(adjacency(edges), "0", "4", 2, lambda _: 0, 2)
    assert [len(p) for p in found] == [1, 2, 2]


# Acyclic ownership: each company's holders hold all of it, the tops are people.
@st.composite
def ownership_trees(draw: st.DrawFn) -> dict[str, list[tuple[str, float]]]:
    companies = draw(st.integers(1, 8))
    holdings: dict[str, list[tuple[str, float]]] = {}
    people = 0
    for c in range(companies):
        # Holders of company c are people or companies with a larger index: no cycle.
        count = draw(st.integers(1, 3))
        weights = [draw(st.integers(1, 10)) for _ in range(count)]
        holders = []
        for w in weights:
            upper = draw(st.integers(c + 1, companies)) if c + 1 < companies else companies
            if upper < companies and draw(st.booleans()):
                holders.append((f"C{upper}", w / sum(weights)))
            else:
                people += 1
                holders.append((f"P{people}", w / sum(weights)))
        holdings[f"C{c}"] = holders
    return holdings


@settings(max_examples=200, deadline=None)
@given(ownership_trees())
def test_penetration_shares_out_the_whole_company(
    holdings: dict[str, list[tuple[str, float]]],
) -> None:
    owners, cut = penetrate("C0", holdings, max_levels=10)
    assert not cut
    assert abs(sum(o.effective_stake for o in owners) - 1.0) < 1e-9
    assert all(o.key.startswith("P") for o in owners)
    for owner in owners:
        assert abs(owner.effective_stake - sum(c.effective for c in owner.chains)) < 1e-12


def test_penetration_walks_a_cycle_once() -> None:
    holdings = {
        "T": [("A", 1.0)],
        "A": [("B", 0.5), ("P", 0.5)],
        "B": [("A", 0.4), ("Q", 0.6)],
    }
    owners, _ = penetrate("T", holdings, max_levels=10)
    assert {o.key: round(o.effective_stake, 9) for o in owners} == {"P": 0.5, "Q": 0.3}
    # A self-loop back to the company itself is no owner either.
    owners, _ = penetrate("T", {"T": [("A", 1.0)], "A": [("T", 0.5), ("P", 0.5)]}, 10)
    assert [(o.key, o.effective_stake) for o in owners] == [("P", 0.5)]


def test_penetration_stops_at_the_level_limit() -> None:
    chain = {f"C{i}": [(f"C{i + 1}", 0.5)] for i in range(12)}
    owners, _ = penetrate("C0", chain, max_levels=10)
    assert [(o.key, o.truncated) for o in owners] == [("C10", True)]
    assert owners[0].effective_stake == 0.5**10


def _distances(edges: set[tuple[int, int]], radius: int) -> dict[str, int]:
    """Hops from node 0, the slow way: relax every edge ``radius`` times."""
    found = {0: 0}
    for _ in range(radius):
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x in found and found[x] + 1 < found.get(y, radius + 1):
                    found[y] = found[x] + 1
    return {str(k): v for k, v in found.items()}


@settings(max_examples=60, deadline=None)
@given(
    st.sets(st.tuples(st.integers(0, 9), st.integers(0, 9)).filter(lambda e: e[0] != e[1])),
    st.integers(0, 4),
)
def test_traversal_within_finds_every_entity_at_its_distance(
    edges: set[tuple[int, int]], radius: int
) -> None:
    reads: list[set[str]] = []

    async def read(frontier: dict[str, EntityKind]) -> list[tuple[str, EntityKind]]:
        reads.append(set(frontier))
        out = []
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if str(x) in frontier:
                    out.append((str(y), EntityKind.COMPANY if y % 2 else EntityKind.PERSON))
        return out

    distance, kinds = asyncio.run(traversal.within(read, "0", EntityKind.PERSON, radius, 1000))
    assert distance == _distances(edges, radius)
    assert all(kinds[k] is (EntityKind.COMPANY if int(k) % 2 else EntityKind.PERSON) for k in kinds)
    # One read a hop, each of the entities first found one hop nearer.
    assert len(reads) <= radius
    for step, frontier in enumerate(reads):
        assert {distance[k] for k in frontier} == {step}


def test_traversal_within_stops_at_the_size_limit() -> None:
    async def star(frontier: dict[str, EntityKind]) -> list[tuple[str, EntityKind]]:
        return [(f"n{i}", EntityKind.PERSON) for i in range(50)] if "c" in frontier else []

    distance, _ = asyncio.run(traversal.within(star, "c", EntityKind.COMPANY, 3, 10))
    assert len(distance) == 10
    assert distance["c"] == 0 and set(distance.values()) == {0, 1}
