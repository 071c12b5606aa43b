"""``scoring.policy``: one rule for the engine and the matrix pass, checked as a table and, for
the array forms, against the scalar ones."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import policy
from scoring.scheme import load_schemes

SCHEME = load_schemes()["enterprise"]
SUSPENDING = dataclasses.replace(SCHEME, suspend_disputed=True)
KEEPING = dataclasses.replace(SCHEME, suspend_disputed=False)


@pytest.mark.parametrize(
    ("status", "has_rule", "expired", "scheme", "expected"),
    [
        ("active", True, False, KEEPING, "active"),
        ("active", True, True, KEEPING, "expired"),
        ("active", False, False, KEEPING, "unscored"),
        ("expired", True, False, KEEPING, "active"),  # a stored "expired" is told by its dates
        ("disputed", True, False, SUSPENDING, "disputed"),
        ("disputed", True, False, KEEPING, "active"),
        ("disputed", True, True, SUSPENDING, "expired"),
        ("removed", True, False, KEEPING, "removed"),
        ("restored", False, True, KEEPING, "restored"),  # never counts, whatever else holds
    ],
)
def test_policy_standing_table(
    status: str, has_rule: bool, expired: bool, scheme: object, expected: str
) -> None:
    assert policy.standing(status, has_rule, expired, scheme) == expected  # type: ignore[arg-type]
    counts = expected == policy.COUNTING
    if has_rule and not expired:
        assert policy.may_count(status, scheme) is counts  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(st.dates(date(1990, 1, 1), date(2060, 12, 31)), st.integers(0, 240)),
        min_size=1,
        max_size=30,
    )
)
def test_policy_month_arithmetic_is_the_same_for_arrays(pairs: list[tuple[date, int]]) -> None:
    days = np.array([d.isoformat() for d, _ in pairs], dtype="datetime64[D]")
    months = np.array([m for _, m in pairs], dtype=np.int64)
    arrays = policy.add_months_to_days(days, months)
    assert [str(d) for d in arrays] == [policy.add_months(d, m).isoformat() for d, m in pairs]


def test_policy_month_arithmetic_keeps_the_month_end() -> None:
    assert policy.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert policy.add_months(date(2023, 1, 31), 13) == date(2024, 2, 29)
    assert policy.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert policy.add_months(date(2024, 3, 15), 0) == date(2024, 3, 15)
    assert policy.add_months(date(2024, 3, 15), 1) - date(2024, 3, 15) == timedelta(days=31)


@pytest.mark.parametrize(("given_points", "taken"), [(0.0, 0.0), (50.0, 10.0), (500.0, 900.0)])
def test_policy_caps_cut_scalars_and_arrays_alike(given_points: float, taken: float) -> None:
    capped = dataclasses.replace(SCHEME, max_positive=100, max_negative=300)
    plus = policy.positive_cut(given_points, capped)
    minus = policy.negative_cut(taken, capped)
    assert float(plus) == max(given_points - 100, 0.0)
    assert float(minus) == max(taken - 300, 0.0)
    many = policy.positive_cut(np.array([given_points, given_points]), capped)
    assert list(np.asarray(many)) == [float(plus), float(plus)]
    uncapped = dataclasses.replace(SCHEME, max_positive=None, max_negative=None)
    assert float(policy.positive_cut(given_points, uncapped)) == 0.0
    assert float(policy.negative_cut(taken, uncapped)) == 0.0


def test_policy_reasons_read_as_the_engine_and_the_pass_give_them() -> None:
    assert policy.level_reason("D") == "level D"
    assert policy.record_reason("R-1", "E-JUD-001") == "record R-1 under rule E-JUD-001"
