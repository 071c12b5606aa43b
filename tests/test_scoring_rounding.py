"""Points in cents that add up: ``scoring.rounding`` against the engine's own rounding, on
arbitrary parts and on every subject of a generated registry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.synthetic import Spec
from scoring.engine import Reach, evaluate
from scoring.rounding import CENT, exact_sum, shown
from tests.test_scoring_batch import AS_OF, SCHEMES, build, trails

PARTS = st.lists(
    st.floats(min_value=-500, max_value=500, allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, -0.005, 0.005, -2.9654999999999996, -0.16475461250000004]),
    max_size=30,
)


@given(st.integers(min_value=0, max_value=1000), PARTS)
def test_rounding_shown_parts_sum_to_the_value_exactly(base: int, parts: list[float]) -> None:
    value = round(base + sum(parts), 2)  # as the engine rounds a score's value
    got = shown(value, base, parts)
    assert Decimal(repr(value)).quantize(CENT) == base + sum(got, Decimal(0))
    for part, cents in zip(parts, got, strict=True):
        assert cents == cents.quantize(CENT)
        assert abs(Decimal(repr(part)) - cents) < CENT, (part, cents)
        if part == 0:
            assert cents == 0


def test_rounding_the_issue_s_example() -> None:
    # A base of 100 and three small propagated parts: rounded alone they would not add up.
    parts = [-0.005, -0.005, -0.005]
    value = round(100 + sum(parts), 2)
    got = shown(value, 100, parts)
    assert value == 99.98 and sum(got) == Decimal("-0.02")
    assert got == [Decimal("0.00"), Decimal("-0.01"), Decimal("-0.01")]  # a tie: the first
    assert exact_sum(100, parts) == Decimal("99.985")


@pytest.mark.parametrize("seed", [3, 4])
def test_rounding_every_subject_of_a_generated_registry(seed: int) -> None:
    data, links, facts = build(Spec(companies=150, persons=250, seed=seed))
    checked = 0
    for scheme in SCHEMES.values():
        for key in data.keys:
            reaches = [
                Reach(src, f, path) for src, path in trails(key, links) for f in facts.get(src, [])
            ]
            score = evaluate(key, facts.get(key, []), reaches, scheme, AS_OF)
            points = [c.points for c in score.contributions]
            got = shown(score.value, score.base, points)
            assert Decimal(repr(score.value)) == score.base + sum(got, Decimal(0)), key
            checked += any(p != round(p, 2) for p in points)
    assert checked > 10  # subjects with parts that are not whole cents were among them
