"""``api.arguments.argument_values`` answers as graphql-core's ``get_argument_values``: for
literals, defaults, variables given, missing or null, and refuses alike, asked twice (the second
time from what it kept of the first)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from graphql.execution.values import get_argument_values, get_variable_values

from api.arguments import argument_values
from api.schema import build_schema

SCHEMA = build_schema()._schema
RECORDS = SCHEMA.get_type("Company").fields["records"]  # type: ignore[union-attr]
COMPANY = SCHEMA.query_type.fields["company"]  # type: ignore[union-attr]
NODE = SCHEMA.query_type.fields["node"]  # type: ignore[union-attr]

WITH_VARIABLES = (
    "query($u: String, $f: Int, $s: RecordStatus, $p: Polarity = GOOD, $i: ID) { "
    "company(uscc: $u) { records(first: $f, status: $s, polarity: $p, after: null) { "
    "totalCount } } node(id: $i) { id } }"
)
LITERALS = (
    '{ company(uscc: "91110105MA00000000", registrationNumber: null) { '
    'records(first: 3, status: DISPUTED, category: JUDICIAL) { totalCount } } node(id: "x") '
    "{ id } }"
)


def _fields(document: str) -> tuple[OperationDefinitionNode, FieldNode, FieldNode, FieldNode]:
    operation = parse(document).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    company, node = operation.selection_set.selections
    assert isinstance(company, FieldNode) and isinstance(node, FieldNode)
    assert company.selection_set is not None
    records = company.selection_set.selections[0]
    assert isinstance(records, FieldNode)
    return operation, company, records, node


def _answer(call: Any) -> Any:
    try:
        return ("value", call())
    except GraphQLError as error:
        return ("error", error.message)


@pytest.mark.parametrize(
    ("document", "given"),
    [
        (LITERALS, {}),
        (WITH_VARIABLES, {"u": "91110105MA00000000", "f": 2, "s": "ACTIVE", "i": "x"}),
        (WITH_VARIABLES, {"u": "91110105MA00000000"}),  # missing: defaults, or nothing
        (WITH_VARIABLES, {"u": None, "f": None, "p": None}),  # explicit nulls
        (WITH_VARIABLES, {"i": None}),  # null for a required argument: refused
    ],
)
def test_argument_values_answer_as_graphql_core(document: str, given: dict[str, Any]) -> None:
    operation, company, records, node = _fields(document)
    variables = get_variable_values(SCHEMA, operation.variable_definitions or (), given)
    assert not isinstance(variables, list), variables
    for definition, field in ((COMPANY, company), (RECORDS, records), (NODE, node)):
        expected = _answer(lambda: get_argument_values(definition, field, variables))  # noqa: B023
        for _ in range(2):
            found = _answer(lambda: argument_values(definition, field, variables))  # noqa: B023
            assert found == expected, (field.name.value, given)
