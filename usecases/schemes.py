"""The installed scoring schemes, and which one scores an entity."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from graph.models import EntityKind
from scoring.scheme import Scheme
from usecases.errors import BadArgument

SUBJECT = {EntityKind.PERSON: "person", EntityKind.COMPANY: "company"}


class Schemes(Mapping[str, Scheme]):
    """The schemes by id (read once at start; ``scoring.scheme.load_schemes``)."""

    def __init__(self, schemes: Mapping[str, Scheme]) -> None:
        self._by_id = dict(schemes)

    def __getitem__(self, scheme_id: str) -> Scheme:
        return self._by_id[scheme_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def choose(self, kind: EntityKind, wanted: str | None = None) -> Scheme:
        """The scheme named ``wanted``, or the first (by id) that scores this kind of entity;
        ``BadArgument`` (field ``scheme``) when there is none."""
        subject = SUBJECT[kind]
        if wanted is None:
            for scheme_id in sorted(self._by_id):
                if subject in self._by_id[scheme_id].subjects:
                    return self._by_id[scheme_id]
            raise BadArgument("scheme", f"no installed scheme scores a {subject}")
        scheme = self._by_id.get(wanted)
        if scheme is None:
            raise BadArgument(
                "scheme", f"no scheme {wanted!r}; installed: {', '.join(sorted(self._by_id))}"
            )
        if subject not in scheme.subjects:
            raise BadArgument("scheme", f"{wanted} does not score a {subject}")
        return scheme
