"""The worker's watch hub: one reader of watch events for every ``watchEvents`` subscription the
worker serves, however many there are.

A subscription registers with its watcher (the API key) and gets a queue. The hub reads events
from the graph, the source of truth, for all of them together and hands each subscription the
events of the entities its key watches, from the moment it subscribed, each once:

- when a writer announces new events (``graph.notices``, ``Channel.EVENTS``: the subjects they
  are about) for a subject someone here watches: one statement for those subjects;
- when a watcher's watchlist changed (``Channel.WATCHES``): its subjects are read again;
- and on its own every ``interval`` seconds (``CREDGRAPH_WATCH_POLL_SECONDS`` when notices stay
  in this process, as they do without ``CREDGRAPH_REDIS_URL``, so events other processes wrote
  are found; ``SAFETY_POLL`` when they come through Redis, for a notice lost on the way).

So the graph sees a few statements a second per worker with subscribers, or none while nothing
happens, never a poll per subscriber; a worker without subscribers reads nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from graph.driver import Graph
from graph.errors import GraphError
from graph.notices import Channel
from graph.repositories import watch as watches

log = logging.getLogger("credgraph.watch")

# Events are read back this far: a write that commits a little after its timestamp is not missed.
OVERLAP = timedelta(seconds=30)
SAFETY_POLL = 30.0  # seconds between the hub's own looks when notices come through Redis
QUEUE_SIZE = 10_000  # events a subscription may fall behind by before it is ended


@dataclass(eq=False)
class Subscription:
    """One ``watchEvents`` subscription's place in the hub."""

    watcher: str
    start: datetime
    keys: set[str] = field(default_factory=set)
    queue: asyncio.Queue[watches.Event | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    seen: dict[str, datetime] = field(default_factory=dict)
    revoked: bool = False  # ended because its key was revoked
    behind: bool = False  # ended because it fell QUEUE_SIZE events behind

    async def batches(self) -> AsyncIterator[list[watches.Event]]:
        """The events for this subscription as they come, a batch at a time (oldest first);
        ends when the hub ends it (it fell too far behind)."""
        while True:
            first = await self.queue.get()
            batch = [first]
            while not self.queue.empty():
                batch.append(self.queue.get_nowait())
            events = [event for event in batch if event is not None]
            if events:
                yield events
            if len(events) < len(batch):
                return


class WatchHub:
    """See the module. ``run`` is the worker's task; ``subscribe`` and ``unsubscribe`` are a
    subscription's."""

    def __init__(self, graph: Graph, interval: float) -> None:
        self.graph = graph
        self.interval = interval
        self.reads = 0  # event reads so far (the tests and the load bench count them)
        self._subscriptions: set[Subscription] = set()
        self._wake = asyncio.Event()
        self._pending: set[str] = set()  # announced subjects not read yet
        self._refresh: set[str] = set()  # watchers whose watchlists changed
        self._last_full: datetime | None = None

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def watched(self) -> set[str]:
        return set(itertools.chain.from_iterable(s.keys for s in self._subscriptions))

    async def subscribe(self, watcher: str) -> Subscription:
        subscription = Subscription(watcher=watcher, start=datetime.now(UTC))
        lists = await watches.watchlists(self.graph, [watcher])
        subscription.keys = lists[watcher]
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def announced(self, subjects: Iterable[str]) -> None:
        """Writers announced events about ``subjects``: read those someone here watches."""
        wanted = set(subjects) & self.watched()
        if wanted:
            self._pending |= wanted
            self._wake.set()

    def revoke(self, key_ids: Iterable[str]) -> int:
        """End the subscriptions of revoked keys (they hear nothing more); returns how many."""
        gone = set(key_ids)
        ended = [s for s in self._subscriptions if s.watcher in gone]
        for subscription in ended:
            subscription.revoked = True
            self.unsubscribe(subscription)
            subscription.queue.put_nowait(None)
        return len(ended)

    def watchlists_changed(self, watchers: Iterable[str]) -> None:
        changed = set(watchers) & {s.watcher for s in self._subscriptions}
        if changed:
            self._refresh |= changed
            self._wake.set()

    async def run(self) -> None:
        """Listen to the notices and read events when told, or every ``interval``."""
        listeners = [
            asyncio.create_task(self._listen(Channel.EVENTS, self.announced)),
            asyncio.create_task(self._listen(Channel.WATCHES, self.watchlists_changed)),
        ]
        try:
            while True:
                full = False
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
                except TimeoutError:
                    full = True
                self._wake.clear()
                if not self._subscriptions:
                    self._pending.clear()
                    self._refresh.clear()
                    self._last_full = None
                    continue
                try:
                    await self.read(full=full)
                except GraphError as exc:
                    log.warning("watch events could not be read: %s", exc)
                except Exception:  # a bug must not leave every subscription waiting forever
                    log.exception("the watch hub failed to read events; it goes on")
        finally:
            for task in listeners:
                task.cancel()
            for task in listeners:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _listen(self, channel: Channel, heard: Callable[[list[str]], object]) -> None:
        async for payload in self.graph.notices.listen(channel):
            heard(payload)

    async def read(self, *, full: bool) -> None:
        """Read the events due and hand them out: of every watched subject (``full``), else of
        those announced and of the watchers whose watchlists changed."""
        now = datetime.now(UTC)
        refresh, self._refresh = self._refresh, set()
        if full:  # the watchlists too: another process may have changed them unannounced
            refresh = {s.watcher for s in self._subscriptions}
        if refresh:
            lists = await watches.watchlists(self.graph, sorted(refresh))
            for subscription in self._subscriptions:
                if subscription.watcher in lists:
                    added = lists[subscription.watcher] - subscription.keys
                    subscription.keys = lists[subscription.watcher]
                    self._pending |= added  # events since it subscribed, about new ones
        earliest = min(s.start for s in self._subscriptions)
        if full:
            keys = self.watched()
            since = max(earliest, (self._last_full or now) - OVERLAP)
            self._last_full = now
        else:
            keys = self._pending & self.watched()
            since = max(earliest, now - OVERLAP)
        self._pending.clear()
        if not keys:
            return
        self.reads += 1
        found = await watches.events_since(self.graph, sorted(keys), since)
        for subscription in list(self._subscriptions):
            self._hand_out(subscription, found)

    def _hand_out(self, subscription: Subscription, found: list[watches.Event]) -> None:
        for event in found:
            if (
                event.subject_key not in subscription.keys
                or event.at < subscription.start
                or event.event_id in subscription.seen
            ):
                continue
            subscription.seen[event.event_id] = event.at
            if subscription.queue.qsize() >= QUEUE_SIZE - 1:  # room left for the end
                # Too far behind to be told everything: ended (the client subscribes again).
                subscription.behind = True
                subscription.queue.put_nowait(None)
                self.unsubscribe(subscription)
                log.warning("a watch subscription of %s fell behind; ended", subscription.watcher)
                return
            subscription.queue.put_nowait(event)
        # Kept while a read may still return them: back to the last full read less OVERLAP.
        horizon = datetime.now(UTC) - OVERLAP * 2 - timedelta(seconds=self.interval)
        subscription.seen = {k: at for k, at in subscription.seen.items() if at > horizon}
