"""The cost of an operation, remembered per document (``api.cost.operation_cost``), is always
the cost counted afresh: for every value of the variables that size its lists, in any order of
requests, and for a document parsed anew."""

from __future__ import annotations

from typing import Any

from graphql import parse
from hypothesis import given, settings
from hypothesis import strategies as st

from api import cost
from api.schema import build_schema

SCHEMA = build_schema()._schema
SIZED = (
    "query($n: Int, $ids: [ID!]!, $u: String!) { nodes(ids: $ids) { id } "
    "company(uscc: $u) { records(first: $n) { edges { node { recordId } } } } }"
)
NAMED = (
    'query A($n: Int) { search(query: "x", first: $n) { edges { node { entity { name } } } } } '
    "query B { schemes { id } }"
)
variables = st.fixed_dictionaries(
    {
        "n": st.one_of(st.none(), st.integers(min_value=0, max_value=3000), st.just("x")),
        "ids": st.lists(st.text(max_size=3), max_size=30),
        "u": st.text(max_size=18),
    }
)


@settings(max_examples=200)
@given(requests=st.lists(st.tuples(variables, st.sampled_from([None, "A", "B"])), max_size=12))
def test_a_remembered_cost_is_the_cost_counted_afresh(
    requests: list[tuple[dict[str, Any], str | None]],
) -> None:
    sized, named = parse(SIZED), parse(NAMED)
    for given_variables, name in requests:
        assert cost.operation_cost(SCHEMA, sized, None, given_variables) == cost._operation_cost(
            SCHEMA, sized, None, given_variables
        )
        assert cost.operation_cost(SCHEMA, named, name, given_variables) == cost._operation_cost(
            SCHEMA, named, name, given_variables
        )


def test_the_sizes_change_the_cost_and_other_variables_do_not() -> None:
    document = parse(SIZED)
    small = cost.operation_cost(SCHEMA, document, None, {"n": 5, "ids": ["a"], "u": "1"})
    large = cost.operation_cost(SCHEMA, document, None, {"n": 500, "ids": ["a"], "u": "1"})
    more = cost.operation_cost(SCHEMA, document, None, {"n": 5, "ids": ["a", "b"], "u": "1"})
    other = cost.operation_cost(SCHEMA, document, None, {"n": 5, "ids": ["a"], "u": "2"})
    assert large > small and more > small and other == small
    # A map where a size is expected cannot be a key: counted each time, never refused.
    assert cost.operation_cost(SCHEMA, document, None, {"n": {"x": 1}, "ids": [], "u": ""}) >= 0
