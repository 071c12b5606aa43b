"""Every driver exception is mapped to a credgraph error; none escape the graph layer unmapped."""

from __future__ import annotations

import inspect

import neo4j.exceptions as neo
import pytest

from graph.errors import (
    GraphAuthError,
    GraphConflict,
    GraphConstraintError,
    GraphError,
    GraphQueryError,
    GraphUnavailable,
    map_driver_error,
    translate_errors,
)


def _driver_exception_classes() -> list[type[BaseException]]:
    return [
        cls
        for _, cls in inspect.getmembers(neo, inspect.isclass)
        if issubclass(cls, (neo.Neo4jError, neo.DriverError)) and cls.__module__ == neo.__name__
    ]


def _instance(cls: type[BaseException]) -> BaseException:
    try:
        return cls("boom")
    except TypeError:
        return cls.__new__(cls)


@pytest.mark.parametrize("cls", _driver_exception_classes(), ids=lambda c: c.__name__)
def test_errors_every_driver_exception_is_mapped(cls: type[BaseException]) -> None:
    with pytest.raises(GraphError) as caught, translate_errors():
        raise _instance(cls)
    assert isinstance(caught.value.__cause__, cls)


def transient(code: str) -> neo.TransientError:
    """A transient error as the driver builds it from a server's failure message."""
    error = neo.Neo4jError._hydrate_neo4j(code=code, message="concurrent change")
    assert isinstance(error, neo.TransientError)
    return error


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (neo.ServiceUnavailable("down"), GraphUnavailable),
        (neo.SessionExpired("gone"), GraphUnavailable),
        (neo.AuthError("nope"), GraphAuthError),
        (neo.ConstraintError("dup"), GraphConstraintError),
        (neo.CypherSyntaxError("bad"), GraphQueryError),
        (TimeoutError(), GraphUnavailable),
        (ConnectionRefusedError(), GraphUnavailable),
        (transient("Neo.TransientError.Transaction.DeadlockDetected"), GraphConflict),
        (transient("Neo.TransientError.Transaction.Outdated"), GraphConflict),
        (transient("Neo.TransientError.General.DatabaseUnavailable"), GraphUnavailable),
    ],
)
def test_errors_map_to_the_right_tier(exc: BaseException, expected: type[GraphError]) -> None:
    assert type(map_driver_error(exc)) is expected


def test_errors_driver_exception_tree_is_covered() -> None:
    assert len(_driver_exception_classes()) > 15
