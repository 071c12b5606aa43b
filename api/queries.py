"""The root Query type."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import strawberry


def _version() -> str:
    try:
        return version("credgraph")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@strawberry.type(description="The entry points for reading the credit graph.")
class Query:
    @strawberry.field(description="The version of the credgraph service answering.")
    def service_version(self) -> str:
        return _version()
