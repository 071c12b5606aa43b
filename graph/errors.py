"""credgraph's graph-layer errors, and the one place where driver errors are mapped to them.

    CredgraphError
     └── GraphError
          ├── GraphUnavailable      the backend cannot be reached (down, restarting, timed out)
          ├── GraphConflict         another transaction changed the same data first (retry it)
          ├── GraphAuthError        wrong credentials for the backend
          ├── GraphConstraintError  a uniqueness or existence constraint refused a write
          ├── GraphQueryError       the backend refused a statement (a bug on our side)
          ├── MigrationError        the migration history and the files disagree
          └── EmbeddedServerError   the embedded backend could not be started or reused
               └── PortInUseError   a configured port belongs to another program

Nothing above the graph layer sees a ``neo4j`` exception: ``translate_errors`` wraps every call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from neo4j import exceptions as neo


class CredgraphError(Exception):
    """Base of every error credgraph raises on purpose; its message is meant for a person."""


class GraphError(CredgraphError):
    """Something went wrong talking to the graph backend."""


class GraphUnavailable(GraphError):
    """The graph backend cannot be reached right now; retrying later may succeed."""


class GraphConflict(GraphError):
    """Another transaction changed the same data at the same time; running the whole
    transaction again may succeed. Nothing of the failed one was kept."""


class GraphAuthError(GraphError):
    """The graph backend refused our credentials."""


class GraphConstraintError(GraphError):
    """A constraint refused a write (a duplicate business key)."""


class UnauditedWrite(GraphError):
    """A repository wrote a tracked object (a company, person, link, record, score snapshot,
    dispute or API key) outside an audited transaction: a programming error, refused so that
    no write can escape the audit chain."""


class GraphQueryError(GraphError):
    """The backend refused a statement or failed while running it."""


class MigrationError(GraphError):
    """The migrations folder and the applied history disagree, or a migration failed."""


class EmbeddedServerError(GraphError):
    """The embedded backend could not be started, reused or stopped."""


class PortInUseError(EmbeddedServerError):
    """A port the embedded backend needs is taken by another program."""


# Transient errors that mean "two transactions touched the same data", not "the server is away":
# Neo4j's deadlock and lock codes, and what ArcadeDB answers for a concurrent change to a record.
_CONFLICT_CODES = (
    "Neo.TransientError.Transaction.DeadlockDetected",
    "Neo.TransientError.Transaction.Outdated",
    "Neo.TransientError.Transaction.ConstraintsChanged",
    "Neo.TransientError.Transaction.LockAcquisitionTimeout",
)


def map_driver_error(exc: BaseException) -> GraphError:
    """Return the credgraph error for a driver (or socket) exception."""
    if isinstance(exc, GraphError):
        return exc
    if isinstance(exc, neo.AuthError):
        return GraphAuthError(f"the graph backend refused the credentials: {_message(exc)}")
    if isinstance(exc, neo.ConstraintError):
        return GraphConstraintError(_message(exc))
    if isinstance(exc, neo.TransientError) and (exc.code or "").startswith(_CONFLICT_CODES):
        return GraphConflict(f"a concurrent change got in the way: {_message(exc)}")
    if isinstance(exc, (neo.ServiceUnavailable, neo.SessionExpired, neo.TransientError)):
        return GraphUnavailable(f"the graph backend is unavailable: {_message(exc)}")
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return GraphUnavailable("the graph backend did not answer in time")
    if isinstance(exc, (ConnectionError, OSError)):
        return GraphUnavailable(f"the graph backend is unreachable: {exc}")
    if isinstance(exc, neo.Neo4jError):
        return GraphQueryError(_message(exc))
    if isinstance(exc, neo.DriverError):
        return GraphError(f"graph driver error: {exc}")
    return GraphError(f"unexpected graph error: {type(exc).__name__}: {exc}")


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise any driver exception escaping the block as a credgraph ``GraphError``."""
    try:
        yield
    except GraphError:
        raise
    except (neo.Neo4jError, neo.DriverError, OSError, TimeoutError) as exc:
        raise map_driver_error(exc) from exc


def _message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return str(message).splitlines()[0] if message else type(exc).__name__
