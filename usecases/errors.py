"""What a use case answers instead of a result: an error with the field at fault and the reason.

``Refusal`` is an expected outcome (the registry declines: a dispute already open, a record
that is not active); the API turns it into the result union's error member. ``BadArgument`` and
``NotFound`` are the caller's mistakes; the API shows them as errors naming the field.
"""

from __future__ import annotations

from graph.errors import CredgraphError


class UseCaseError(CredgraphError):
    """A use case declined; ``field`` names the argument at fault, ``reason`` says why."""

    def __init__(
        self, field: str, reason: str, problems: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        # Every field at fault, the first being (field, reason): an input can have several.
        self.problems = problems or [(field, reason)]


class BadArgument(UseCaseError):
    """An argument out of range or malformed."""


class NotFound(UseCaseError):
    """An argument names something the registry does not hold."""


class Refusal(UseCaseError):
    """The request is well formed but the registry's rules refuse it; nothing was written."""


class SchemeUnsupported(UseCaseError):
    """A scheme a use case cannot run (the whole-graph pass and a three-hop scheme)."""

    def __init__(self, scheme_id: str, reason: str) -> None:
        super().__init__("scheme", reason)
        self.args = (f"scheme {scheme_id}: {reason}",)
        self.scheme_id = scheme_id
