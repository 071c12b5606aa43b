"""Seals made in columns are the seals made object by object (``seals.seal_columns`` against
``seals.seal_of``), whatever the values: the fast path of a large write must never seal
something ``verify`` would later read differently."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.repositories import seals
from graph.repositories.seals import Tracked

# Values a stored property can hold, with the look-alikes that must not share a digest:
# 1, 1.0 and True; "" and []; a date and its ISO text.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, -0.0, 1.0, -2.5, 1e-9, 998.25]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "A", "AAA", "1", "true", "2026-12-07"]),
    st.text(max_size=8),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
VALUES = st.one_of(SCALARS, st.lists(st.one_of(st.text(max_size=4), st.integers(0, 2)), max_size=3))
NAMES = st.text(alphabet="abcXYZ_@", min_size=1, max_size=6)


@st.composite
def objects(draw: st.DrawFn) -> tuple[list[str], dict[str, Any], dict[str, list[Any]]]:
    size = draw(st.integers(0, 8))
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    split = draw(st.integers(0, len(names)))
    same = {name: draw(VALUES) for name in names[:split]}
    # A column's values often repeat (a level, a flag): drawn from a few candidates.
    columns = {}
    for name in names[split:]:
        pool = draw(st.lists(VALUES, min_size=1, max_size=3))
        columns[name] = [draw(st.sampled_from(pool)) for _ in range(size)]
    keys = [f"k{i}" for i in range(size)]
    return keys, same, columns


@settings(max_examples=400, deadline=None)
@given(objects())
def test_columns_seal_as_one_by_one(drawn: tuple[list[str], dict[str, Any], Any]) -> None:
    keys, same, columns = drawn
    made = seals.seal_columns(Tracked.SNAPSHOT, keys, same, columns)
    expected = []
    for i, key in enumerate(keys):
        props = {name: value for name, value in same.items() if value is not None}
        props |= {name: values[i] for name, values in columns.items() if values[i] is not None}
        expected.append(seals.seal_of(Tracked.SNAPSHOT, key, {"props": props})[0])
    assert made == expected


def test_look_alike_values_in_one_column_keep_their_own_digests() -> None:
    """1, 1.0 and True are equal Python keys: a column remembering digests by value alone
    would seal True as 1."""
    column = [1, 1.0, True, 0, False, [], ""]
    made = seals.seal_columns(Tracked.RECORD, [str(i) for i in range(7)], {}, {"v": column})
    digests = [s.fields for s in made]
    assert len(set(digests)) == len(column)
    assert made[2] == seals.seal_of(Tracked.RECORD, "2", {"props": {"v": True}})[0]


def test_a_missing_value_is_not_a_field() -> None:
    made = seals.seal_columns(Tracked.SNAPSHOT, ["a", "b"], {"s": None}, {"v": [None, 2]})
    assert made[0].fields == "{}"
    assert '"v"' in made[1].fields and '"s"' not in made[1].fields


def test_both_zeros_seal_alike_whichever_a_cache_met_first() -> None:
    # Found by the property above: -0.0 and 0.0 are equal keys of the digest caches, so the
    # seal of either depended on which one had been digested before.
    for order in ((-0.0, 0.0), (0.0, -0.0)):
        made = [seals.seal_of(Tracked.SNAPSHOT, "k", {"props": {"v": z}})[0] for z in order]
        assert made[0] == made[1]
        assert seals.seal_columns(Tracked.SNAPSHOT, ["k"], {}, {"v": [order[0]]}) == [made[0]]
