"""Who acts and on what: the ``Session`` every use case takes.

A session holds the graph gateway, the caller (an API key's role and subject, or the public),
the installed scoring schemes and the worker's audit lock.
``Session.audited`` is the one way a use case writes: its work, the seals of what it touched
and its audit entry commit in one transaction (``graph.repositories.audit.act``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from graph.driver import Graph
from graph.repositories import audit
from graph.repositories.appender import Appender, Read
from graph.repositories.keys import Role
from usecases.schemes import Schemes

T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """The key behind a request (``key_id`` None for the public)."""

    role: Role
    key_id: str | None = None
    name: str | None = None
    subject: str | None = None  # the identity number or USCC a subject key is bound to

    @property
    def actor(self) -> audit.Actor:
        """Who the audit entry names."""
        return audit.Actor(self.key_id, self.role.value)


PUBLIC = Caller(Role.PUBLIC)


@dataclass(frozen=True)
class Session:
    """The graph, the caller and the schemes a use case runs with."""

    graph: Graph
    caller: Caller
    schemes: Schemes
    appender: Appender | None = None  # the worker's: its appends take turns, reads group

    async def audited(
        self,
        operation: str,
        args: Any,
        subjects: Callable[[T], Sequence[str]],
        work: Callable[[Graph], Awaitable[T]],
        kind: str | Callable[[T], str] = "write",
    ) -> T:
        """Run ``work`` and append its audit entry in one transaction (retried when another
        writer took the chain's next number first); nothing is written when either fails.
        ``kind`` may depend on the outcome: a write the registry refused is ``refused``."""
        # Every audited act competes for the chain's head: taking turns in this worker leaves
        # only other workers' appends to retry against.
        return await audit.act(
            self.graph,
            self.caller.actor,
            operation,
            args,
            work,
            subjects,
            kind,
            appender=self.appender,
        )

    async def audited_read(
        self, operation: str, args: Any, subjects: Sequence[str]
    ) -> audit.Entry | None:
        """Append a read entry naming ``subjects``: an act that writes nothing but its entry
        (grouped with the worker's other reads in one statement when there is an appender,
        which gives the entry back)."""
        if self.appender is not None:
            return await self.appender.read(
                Read(self.caller.actor, operation, args, tuple(subjects))
            )

        async def nothing(graph: Graph) -> None:
            return None

        await self.audited(operation, args, lambda _: subjects, nothing, kind="read")
        return None
