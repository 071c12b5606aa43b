"""The worker's limits: per-caller token buckets (requests, bad keys, cost budgets), the miss
budget of person lookups, and counted caps (WebSocket connections and operations per key),
all held in ``WorkerLimits``. Where each is applied: requests in ``api.middleware.rate_limit``,
bad keys in ``api.middleware.authentication``, costs in ``api.view``, misses in
``api.resolvers.lookups``, WebSocket caps in ``api.websocket``.

Each API key, or each client address for the public, has a bucket of ``per_minute`` tokens that
refills continuously; a request takes one, and an empty bucket answers 429 with Retry-After.
Buckets live in the worker: behind a load balancer with ``n`` workers a caller gets up to ``n``
times the rate (a shared store would make it exact; the limit here guards each worker).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from api.auth import Authenticator
from api.resolvers.lookups import MissBudget
from config.settings import Settings

MAX_BUCKETS = 100_000


class RateLimiter:
    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(per_minute, 1.0)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, who: str, amount: float = 1.0) -> float | None:
        """Take ``amount`` tokens for ``who``: None when allowed, else the seconds until that
        many are there (nothing is taken then)."""
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

    def blocked(self, who: str) -> float | None:
        """Like ``take`` without taking: the seconds until ``who`` has a token, or None."""
        tokens = self._refilled(self._buckets.get(who), time.monotonic())
        return None if tokens >= 1.0 else self._wait(1.0 - tokens)

    def _refilled(self, bucket: tuple[float, float] | None, now: float) -> float:
        """The tokens a bucket holds at ``now`` (a new one is full)."""
        if bucket is None:
            return self.capacity
        tokens, last = bucket
        return min(self.capacity, tokens + (now - last) * self.rate)

    def _wait(self, missing: float) -> float:
        return missing / self.rate if self.rate > 0 else math.inf


def retry_after(wait: float) -> int:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return max(1, math.ceil(wait)) if math.isfinite(wait) else 3600


class Caps:
    """How many of something each key holds at once (WebSocket connections, operations)."""

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

    key_requests: RateLimiter
    public_requests: RateLimiter
    bad_keys: RateLimiter
    key_costs: RateLimiter
    public_costs: RateLimiter
    misses: MissBudget
    ws_connections: Caps
    ws_operations: Caps
    authenticator: Authenticator = field(default_factory=Authenticator)

    @classmethod
    def of(cls, settings: Settings) -> WorkerLimits:
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
