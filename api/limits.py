"""The limits callers are held to: per-caller rates (requests, bad keys, cost budgets), the miss
budget of person lookups, and counted caps (WebSocket connections and operations per key), all
held in ``WorkerLimits``. Where each is applied: requests in ``api.middleware.rate_limit``, bad
keys in ``api.middleware.authentication``, costs in ``api.view``, misses in
``api.resolvers.lookups``, WebSocket caps in ``api.websocket``.

Each API key, or each client address for the public, may make ``per_minute`` requests (or spend
that many cost points) a minute; past it, 429 with Retry-After.

Where they are held:

- With ``CREDGRAPH_REDIS_URL``, rates and the miss budget live in Redis and hold in total across
  every worker and host: rates are ``limits``'s sliding-window counters on its Redis storage
  (two counters a caller and limit, one round trip a check, whatever the amount); the miss
  budget is a sorted set of misses a key (a miss is reserved before the lookup and refunded on a
  match, which ``limits`` cannot do: one short script, ``RESERVE``). Should Redis stop
  answering, each worker holds the caller to the same limits on its own until it answers again
  (logged), rather than letting everything through or refusing everything.
- Without it, in the worker: token buckets refilling continuously (``RateLimiter``) and a deque
  of miss times a key (``MissBudget``); behind ``n`` workers a caller gets up to ``n`` times
  a limit.

The WebSocket caps count connections and operations open on a worker, and stay per worker.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as redis
from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import RedisError

from api.auth import Authenticator
from api.errors import RateLimited
from config.settings import Settings

log = logging.getLogger("credgraph.limits")

MAX_BUCKETS = 100_000
MISS_WINDOW = 3600.0  # seconds a missed person lookup counts against its key
MAX_MISS_KEYS = 100_000
KEY_PREFIX = "credgraph:limits"


class Limiter(Protocol):
    """A rate a minute for each caller."""

    capacity: float

    async def take(self, who: str, amount: float = 1.0) -> float | None:
        """Take ``amount`` for ``who``: None when allowed, else the seconds until that much is
        there again (nothing is taken then)."""
        ...

    async def blocked(self, who: str) -> float | None:
        """Like ``take`` without taking: the seconds until ``who`` may take one, or None."""
        ...


class RateLimiter:
    """A worker's token buckets: ``per_minute`` tokens each, refilling continuously."""

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(per_minute, 1.0)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, who: str, amount: float = 1.0) -> float | None:
        return self.take_now(who, amount)

    async def blocked(self, who: str) -> float | None:
        tokens = self._refilled(self._buckets.get(who), time.monotonic())
        return None if tokens >= 1.0 else self._wait(1.0 - tokens)

    def take_now(self, who: str, amount: float = 1.0) -> float | None:
        now = time.monotonic()
        tokens = self._refilled(self._buckets.pop(who, None), now)
        if tokens >= amount:
            self._buckets[who] = (tokens - amount, now)
            allowed = True
        else:
            self._buckets[who] = (tokens, now)
            allowed = False
        while len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)  # the longest idle
        return None if allowed else self._wait(amount - tokens)

    def _refilled(self, bucket: tuple[float, float] | None, now: float) -> float:
        """The tokens a bucket holds at ``now`` (a new one is full)."""
        if bucket is None:
            return self.capacity
        tokens, last = bucket
        return min(self.capacity, tokens + (now - last) * self.rate)

    def _wait(self, missing: float) -> float:
        return missing / self.rate if self.rate > 0 else math.inf


class _Fallback:
    """Logs once a minute that Redis is not answering and the worker holds the limits alone."""

    def __init__(self) -> None:
        self._said = -math.inf

    def note(self, what: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._said >= 60:
            self._said = now
            log.warning(
                "%s: Redis is not answering (%s); this worker holds the limit alone", what, exc
            )


class Redis:
    """The worker's connections to the shared Redis: ``limits``'s storage and a client, made
    on first use in the running event loop and closed with the app's lifespan."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._storage: RedisStorage | None = None
        self._strategy: SlidingWindowCounterRateLimiter | None = None
        self._client: Any = None

    @property
    def strategy(self) -> SlidingWindowCounterRateLimiter:
        if self._strategy is None:
            # On the client's own connections: one pool a worker.
            self._storage = RedisStorage(
                "async+" + self.url,
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                connection_pool=self.client.connection_pool,
            )
            self._strategy = SlidingWindowCounterRateLimiter(self._storage)
        return self._strategy

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis.Redis.from_url(
                self.url, socket_connect_timeout=5, socket_timeout=5
            )
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        self._storage, self._strategy = None, None
        if client is not None:
            await client.aclose()


class SharedLimiter:
    """A rate held in Redis for every worker at once: ``limits``'s sliding-window counter."""

    def __init__(self, shared: Redis, per_minute: float, name: str) -> None:
        self.capacity = max(per_minute, 1.0)
        self.name = name
        self._item = RateLimitItemPerMinute(max(1, math.floor(per_minute)))
        self._shared = shared
        self._local = RateLimiter(per_minute)
        self._fallback = _Fallback()

    @property
    def _strategy(self) -> SlidingWindowCounterRateLimiter:
        return self._shared.strategy

    async def take(self, who: str, amount: float = 1.0) -> float | None:
        cost = max(1, math.ceil(amount))
        try:
            if await self._strategy.hit(self._item, self.name, who, cost=cost):
                return None
            return await self._wait(who)
        except (RedisError, OSError, TimeoutError) as exc:
            self._fallback.note(self.name, exc)
            return await self._local.take(who, amount)

    async def blocked(self, who: str) -> float | None:
        try:
            if await self._strategy.test(self._item, self.name, who):
                return None
            return await self._wait(who)
        except (RedisError, OSError, TimeoutError) as exc:
            self._fallback.note(self.name, exc)
            return await self._local.blocked(who)

    async def _wait(self, who: str) -> float:
        stats = await self._strategy.get_window_stats(self._item, self.name, who)
        return max(stats.reset_time - time.time(), 0.001)


def retry_after(wait: float) -> int:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return max(1, math.ceil(wait)) if math.isfinite(wait) else 3600


class Misses(Protocol):
    """Each key's budget of missed person lookups an hour (``api.resolvers.lookups``)."""

    limit: int

    async def reserve(self, key: str) -> str:
        """Count a miss for ``key`` ahead of the lookup and return its ticket (to ``refund`` on
        a match), or raise ``RateLimited`` when the budget is spent."""
        ...

    async def refund(self, key: str, ticket: str) -> None:
        """The lookup matched: it was no miss."""
        ...


def _spent_error(limit: int, wait: float) -> RateLimited:
    seconds = max(1, math.ceil(wait))
    return RateLimited(
        f"person: this key missed {limit} person lookups within the hour; person "
        f"lookups are refused for {seconds} s",
        retry_after=seconds,
    )


class MissBudget:
    """Misses per key within the last ``MISS_WINDOW`` seconds (one worker's view)."""

    def __init__(self, per_hour: int) -> None:
        self.limit = per_hour
        self._misses: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[tuple[float, str]]:
        misses = self._misses.pop(key, None) or deque()
        while misses and misses[0][0] <= now - MISS_WINDOW:
            misses.popleft()
        self._misses[key] = misses
        while len(self._misses) > MAX_MISS_KEYS:
            self._misses.popitem(last=False)
        return misses

    async def reserve(self, key: str) -> str:
        now = time.monotonic()
        misses = self._recent(key, now)
        if len(misses) >= self.limit:
            raise _spent_error(self.limit, misses[0][0] + MISS_WINDOW - now)
        ticket = uuid.uuid4().hex
        misses.append((now, ticket))
        return ticket

    async def refund(self, key: str, ticket: str) -> None:
        misses = self._misses.get(key)
        if misses is not None:
            for entry in misses:
                if entry[1] == ticket:
                    misses.remove(entry)
                    break


# KEYS[1]: the key's sorted set of misses (member: ticket, score: when, by the server's clock);
# ARGV: window (s), limit, ticket. Answers -1 when reserved, else the seconds until the oldest
# miss leaves the window. Atomic: concurrent reservations from any worker never overrun it.
RESERVE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - t)
end
redis.call('ZADD', KEYS[1], t, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(window))
return '-1'
"""


class SharedMissBudget:
    """The miss budget in Redis: a key's misses counted together on every worker."""

    def __init__(self, shared: Redis, per_hour: int) -> None:
        self.limit = per_hour
        self._shared = shared
        self._local = MissBudget(per_hour)
        self._fallback = _Fallback()

    async def _script(self, script: str, key: str, *args: Any) -> Any:
        return await self._shared.client.eval(script, 1, self._key(key), *args)

    @staticmethod
    def _key(key: str) -> str:
        return f"{KEY_PREFIX}:misses:{key}"

    async def reserve(self, key: str) -> str:
        ticket = uuid.uuid4().hex
        try:
            answer = await self._script(RESERVE, key, MISS_WINDOW, self.limit, ticket)
        except (RedisError, OSError, TimeoutError) as exc:
            self._fallback.note("person lookup misses", exc)
            return "local:" + await self._local.reserve(key)
        wait = float(answer.decode() if isinstance(answer, bytes) else answer)
        if wait >= 0:
            raise _spent_error(self.limit, wait)
        return ticket

    async def refund(self, key: str, ticket: str) -> None:
        if ticket.startswith("local:"):
            await self._local.refund(key, ticket.removeprefix("local:"))
            return
        try:
            await self._shared.client.zrem(self._key(key), ticket)
        except (RedisError, OSError, TimeoutError) as exc:
            self._fallback.note("person lookup misses", exc)


class Caps:
    """How many of something each key holds at once on this worker (WebSocket connections,
    operations)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[str, int] = {}

    def acquire(self, who: str) -> bool:
        """Take one for ``who``; False (nothing taken) when it holds ``limit`` already."""
        held = self._held.get(who, 0)
        if held >= self.limit:
            return False
        self._held[who] = held + 1
        return True

    def release(self, who: str) -> None:
        held = self._held.get(who, 0) - 1
        if held > 0:
            self._held[who] = held
        else:
            self._held.pop(who, None)

    def held(self, who: str) -> int:
        return self._held.get(who, 0)


@dataclass
class WorkerLimits:
    """Every limit of one worker process, built once from the settings."""

    key_requests: Limiter
    public_requests: Limiter
    bad_keys: Limiter
    key_costs: Limiter
    public_costs: Limiter
    misses: Misses
    ws_connections: Caps
    ws_operations: Caps
    authenticator: Authenticator = field(default_factory=Authenticator)
    redis: Redis | None = None  # where they are held for every worker, if anywhere

    @classmethod
    def of(cls, settings: Settings) -> WorkerLimits:
        if not settings.redis_url:
            return cls(
                key_requests=RateLimiter(settings.rate_limit),
                public_requests=RateLimiter(settings.public_rate_limit),
                bad_keys=RateLimiter(settings.bad_key_limit),
                key_costs=RateLimiter(settings.cost_limit),
                public_costs=RateLimiter(settings.public_cost_limit),
                misses=MissBudget(settings.lookup_misses),
                ws_connections=Caps(settings.ws_connections),
                ws_operations=Caps(settings.ws_subscriptions),
            )
        shared = Redis(settings.redis_url)
        return cls(
            key_requests=SharedLimiter(shared, settings.rate_limit, "key-requests"),
            public_requests=SharedLimiter(shared, settings.public_rate_limit, "public-requests"),
            bad_keys=SharedLimiter(shared, settings.bad_key_limit, "bad-keys"),
            key_costs=SharedLimiter(shared, settings.cost_limit, "key-costs"),
            public_costs=SharedLimiter(shared, settings.public_cost_limit, "public-costs"),
            misses=SharedMissBudget(shared, settings.lookup_misses),
            ws_connections=Caps(settings.ws_connections),
            ws_operations=Caps(settings.ws_subscriptions),
            redis=shared,
        )

    async def close(self) -> None:
        """Close the connections to Redis (made again on next use)."""
        if self.redis is not None:
            await self.redis.close()
