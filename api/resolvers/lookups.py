"""Looking a person up by identity number: the two-element check and the miss budget.

A masked number (``422822********8958``) hides only the birth date: some 2,700 candidates with
the right check character. So a role that may not see whole numbers looks a person up with the
number and the name together, as credit bureaus do, and gets the person or "no match", never
which of the two was wrong. Every miss is audited and counted against the key: past
``CREDGRAPH_LOOKUP_MISSES`` an hour its person lookups are refused (429 over HTTP) until the
oldest miss is an hour old. A miss is counted before the graph is asked, so twenty concurrent
guesses (aliases, a batch, WebSocket operations) cannot overrun the budget between them.
"""

from __future__ import annotations

import math
import time
import unicodedata
from collections import OrderedDict, deque

from api.access import Can, allowed
from api.context import Info
from api.errors import PublicError, RateLimited
from graph import models

WINDOW = 3600.0  # seconds a miss counts against its key
MAX_KEYS = 100_000


class MissBudget:
    """Misses per key within the last ``WINDOW`` seconds (one worker's view)."""

    def __init__(self, per_hour: int) -> None:
        self.limit = per_hour
        self._misses: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float]:
        misses = self._misses.pop(key, None) or deque()
        while misses and misses[0] <= now - WINDOW:
            misses.popleft()
        self._misses[key] = misses
        while len(self._misses) > MAX_KEYS:
            self._misses.popitem(last=False)
        return misses

    def reserve(self, key: str) -> float:
        """Count a miss for ``key`` ahead of the lookup; return its time (to ``refund`` on a
        match), or raise ``RateLimited`` when the budget is spent."""
        now = time.monotonic()
        misses = self._recent(key, now)
        if len(misses) >= self.limit:
            wait = max(1, math.ceil(misses[0] + WINDOW - now))
            raise RateLimited(
                f"person: this key missed {self.limit} person lookups within the hour; person "
                f"lookups are refused for {wait} s",
                retry_after=wait,
            )
        misses.append(now)
        return now

    def refund(self, key: str, at: float) -> None:
        """The lookup matched: it was no miss."""
        misses = self._misses.get(key)
        if misses is not None and at in misses:
            misses.remove(at)

    def spent(self, key: str) -> int:
        return len(self._recent(key, time.monotonic()))


def _same_name(given: str, stored: str) -> bool:
    def norm(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split()).casefold()

    return norm(given) == norm(stored)


def needs_name(info: Info, number: str) -> bool:
    """Whether the caller must give the name with the number: every role that may not see
    this whole number."""
    return not allowed(info, Can.SEE_ID_NUMBERS, number)


async def find_person(info: Info, number: str, name: str | None) -> models.Person | None:
    """The person with ``number`` (and ``name``, where the role must give it), or None."""
    if not needs_name(info, number):
        found = await info.context.loaders.person.load(number)
        if found is not None and name is not None and not _same_name(name, found.name):
            return None
        return found
    if name is None or not name.strip():
        raise PublicError(
            "name: required with idNumber for the role "
            f"{info.context.caller.role.value}: a person is matched on both together"
        )
    budget = info.context.misses
    assert budget is not None  # every view's context carries its worker's budget
    key = info.context.caller.key_id or "public"
    ticket = budget.reserve(key)
    found = await info.context.loaders.person.load(number)
    if found is not None and _same_name(name, found.name):
        budget.refund(key, ticket)
        return found
    await _audit_miss(info, number, found is not None)
    return None


async def _audit_miss(info: Info, number: str, exists: bool) -> None:
    """A miss is an audited read: the number's person (when there is one) sees it in
    ``whoLookedAtMe``; the arguments are kept as their digest only."""
    subjects = [number] if exists else []
    args = {"idNumber": number, "matched": False}
    await info.context.session.audited_read("person", args, subjects)
