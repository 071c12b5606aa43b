"""What the use-case tests share: a session on the real graph, rows without their import type."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.repositories import audit
from graph.repositories.keys import Role
from scoring.scheme import load_schemes
from usecases.schemes import Schemes
from usecases.session import Caller, Session

REGISTRAR = Caller(Role.REGISTRAR, key_id="k-registrar", name="registry desk")
RELYING_PARTY = Caller(Role.RELYING_PARTY, key_id="k-bank", name="a bank")


def session(graph: Graph, caller: Caller = REGISTRAR) -> Session:
    return Session(graph, caller, Schemes(load_schemes()))


def row(data: dict[str, Any]) -> dict[str, Any]:
    """An import row as a use case takes it (the ``type`` is the file's business)."""
    return {k: v for k, v in data.items() if k != "type"}


async def last_entry(graph: Graph) -> audit.Entry:
    (entry,) = await audit.page(graph, 2**62, 1, None)
    return entry
