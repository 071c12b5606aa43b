"""Notices: what one process tells every other serving the same graph, once a change commits.

Three channels (``Channel``): ``EVENTS`` (the subjects new watch events are about), ``WATCHES``
(a watcher whose watchlist changed) and ``REVOCATIONS`` (an API key revoked). A writer
announces on the ``Graph`` it writes through (``Graph.announce``); on a transaction the notice
goes out after the commit, never for a write that rolled back. Listeners (``api.watch_hub``,
``api.auth``) hear every notice of a channel made anywhere.

Two carriers: ``LocalNotices`` reaches the listeners of this process only (no
``CREDGRAPH_REDIS_URL``: one worker, or workers that also poll); ``RedisNotices`` publishes
through Redis pub/sub, which every worker on every host subscribes to. Pub/sub delivers at most
once: a notice lost (a listener reconnecting) is made good by the listeners' own slow look at
the graph, which stays the source of truth. A notice is a list of strings (keys, ids), never a
record's content.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any, Protocol

import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger("credgraph.notices")

PREFIX = "credgraph:"
RECONNECT_SECONDS = 1.0  # a listener whose Redis connection broke tries again after this
QUEUE_SIZE = 10_000  # notices a slow local listener may fall behind by (older ones are dropped)


class Channel(StrEnum):
    EVENTS = "events"
    WATCHES = "watches"
    REVOCATIONS = "revocations"


class Notices(Protocol):
    """Where notices go and come from."""

    shared: bool  # whether they reach other processes

    async def publish(self, channel: Channel, payload: list[str]) -> None: ...

    def listen(self, channel: Channel) -> AsyncIterator[list[str]]: ...

    async def close(self) -> None: ...


class LocalNotices:
    """Notices within one process: each listener has a queue."""

    shared = False

    def __init__(self) -> None:
        self._queues: dict[Channel, set[asyncio.Queue[list[str]]]] = {}

    async def publish(self, channel: Channel, payload: list[str]) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                queue.get_nowait()  # the oldest goes: a listener that far behind polls anyway
            queue.put_nowait(list(payload))

    async def listen(self, channel: Channel) -> AsyncIterator[list[str]]:
        queue: asyncio.Queue[list[str]] = asyncio.Queue(QUEUE_SIZE)
        self._queues.setdefault(channel, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[channel].discard(queue)

    async def close(self) -> None:
        self._queues.clear()


class RedisNotices:
    """Notices through Redis pub/sub: published once, heard by every subscribed process."""

    shared = True

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = redis.Redis.from_url(url, socket_connect_timeout=5)

    async def publish(self, channel: Channel, payload: list[str]) -> None:
        await self._client.publish(PREFIX + channel.value, orjson.dumps(payload))

    async def listen(self, channel: Channel) -> AsyncIterator[list[str]]:
        """Every notice published on ``channel`` while listening; reconnects after a broken
        connection (what was published meanwhile is lost: see the module's note)."""
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(PREFIX + channel.value)
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        payload = orjson.loads(message["data"])
                    except orjson.JSONDecodeError:
                        log.warning("ignored a malformed notice on %s", channel)
                        continue
                    if isinstance(payload, list):
                        yield [str(item) for item in payload]
            except (OSError, TimeoutError, RedisError) as exc:
                log.warning("notices on %s: Redis connection lost (%s); reconnecting", channel, exc)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose()


def notices_for(redis_url: str | None) -> Notices:
    return RedisNotices(redis_url) if redis_url else LocalNotices()
