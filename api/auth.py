"""Who is calling: an API key sent as ``Authorization: Bearer <key>``, or nobody (the public role).

Verified keys are remembered for ``CACHE_SECONDS`` so that a busy client costs one graph read per
worker and period, not one per request. A revocation is announced (``graph.notices``) and every
worker that hears it forgets the key at once (``forget``): with ``CREDGRAPH_REDIS_URL``, every
worker on every host; without it, this process at once and the others within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from graph.driver import Graph
from graph.repositories import keys
from usecases.session import PUBLIC, Caller

CACHE_SECONDS = 30.0
CACHE_SIZE = 10_000


class BadKey(Exception):
    """The request carried a key that is malformed, unknown or revoked."""


def bearer(header: str | None) -> str | None:
    """The key in an ``Authorization`` header value; None when there is no header."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise BadKey("the Authorization header must read 'Bearer <key>'")
    return value.strip()


class Authenticator:
    """Checks keys against the graph, remembering good ones for a short while."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, Caller]] = {}
        # Keys heard revoked within CACHE_SECONDS: a check that read the key just before the
        # revocation committed must not remember it after the announcement.
        self._revoked: dict[str, float] = {}

    def remembered(self, header: str | None) -> Caller | None:
        """The caller of a key verified within ``CACHE_SECONDS`` (no graph read), else None."""
        try:
            text = bearer(header)
        except BadKey:
            return None
        if text is None:
            return PUBLIC
        cached = self._cache.get(text)
        return cached[1] if cached and cached[0] > time.monotonic() else None

    def forget(self, key_ids: Iterable[str]) -> int:
        """Drop the remembered keys with these ids (revoked); returns how many were dropped."""
        gone = set(key_ids)
        now = time.monotonic()
        self._revoked = {k: at for k, at in self._revoked.items() if at > now - CACHE_SECONDS}
        self._revoked.update(dict.fromkeys(gone, now))
        stale = [text for text, (_, who) in self._cache.items() if who.key_id in gone]
        for text in stale:
            del self._cache[text]
        return len(stale)

    async def caller(self, graph: Graph, header: str | None) -> Caller:
        text = bearer(header)
        if text is None:
            return PUBLIC
        now = time.monotonic()
        cached = self._cache.get(text)
        if cached and cached[0] > now:
            return cached[1]
        key = await keys.verify(graph, text)
        if key is None:
            self._cache.pop(text, None)
            raise BadKey("the API key is not valid (unknown, mistyped or revoked)")
        found = Caller(role=key.role, key_id=key.key_id, name=key.name, subject=key.subject)
        if key.key_id in self._revoked:
            raise BadKey("the API key is not valid (unknown, mistyped or revoked)")
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[text] = (now + CACHE_SECONDS, found)
        return found
