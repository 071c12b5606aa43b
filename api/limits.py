"""Per-caller rate limits (token buckets) and the request timeout.

Each API key, or each client address for the public, has a bucket of ``per_minute`` tokens that
refills continuously; a request takes one, and an empty bucket answers 429 with Retry-After.
Buckets live in the worker: behind a load balancer with ``n`` workers a caller gets up to ``n``
times the rate (a shared store would make it exact; the limit here guards each worker).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

MAX_BUCKETS = 100_000


class RateLimiter:
    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(per_minute, 1.0)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, who: str) -> float | None:
        """Take a token for ``who``: None when allowed, else the seconds until one is free."""
        now = time.monotonic()
        tokens, last = self._buckets.pop(who, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[who] = (tokens - 1.0, now)
            allowed = True
        else:
            self._buckets[who] = (tokens, now)
            allowed = False
        while len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)  # the longest idle
        if allowed:
            return None
        return (1.0 - tokens) / self.rate if self.rate > 0 else math.inf
