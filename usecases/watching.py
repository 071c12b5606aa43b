"""Watches: an API key follows entities, and hears of their events (``usecases.events``).

A watch belongs to the key that made it; a key watches at most ``MAX_WATCHES`` entities.
Watching and unwatching are audited (they say whom a relying party follows).
"""

from __future__ import annotations

from graph.driver import Graph
from graph.notices import Channel
from graph.repositories import watch as watches
from usecases.errors import BadArgument
from usecases.session import Session

MAX_WATCHES = 1000


def watcher(session: Session) -> str:
    """The key that watches: only roles that come with a key may."""
    key_id = session.caller.key_id
    assert key_id is not None  # the API lets only roles with a key watch
    return key_id


async def watch(session: Session, key: str, args: dict[str, str]) -> watches.Watch:
    """Follow the entity ``key`` (watching it twice changes nothing)."""
    current = await watches.watchlist(session.graph, watcher(session))
    if len(current) >= MAX_WATCHES and all(w.subject_key != key for w in current):
        raise BadArgument("id", f"a key may watch at most {MAX_WATCHES} entities")

    async def work(graph: Graph) -> watches.Watch:
        found = await watches.watch(graph, watcher(session), key)
        await graph.announce(Channel.WATCHES, [watcher(session)])  # its subscriptions hear it
        return found

    return await session.audited("watch", args, lambda _: [key], work)


async def unwatch(session: Session, key: str, args: dict[str, str]) -> bool:
    """Stop following ``key``; False when it was not followed."""

    async def work(graph: Graph) -> bool:
        gone = await watches.unwatch(graph, watcher(session), key)
        if gone:
            await graph.announce(Channel.WATCHES, [watcher(session)])
        return gone

    return await session.audited("unwatch", args, lambda _: [key], work)
