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

import unicodedata

from api.access import Can, allowed
from api.context import Info
from api.errors import PublicError
from graph import models


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
    ticket = await budget.reserve(key)
    found = await info.context.loaders.person.load(number)
    if found is not None and _same_name(name, found.name):
        await budget.refund(key, ticket)
        return found
    await _audit_miss(info, number, found is not None)
    return None


async def _audit_miss(info: Info, number: str, exists: bool) -> None:
    """A miss is an audited read: the number's person (when there is one) sees it in
    ``whoLookedAtMe``; the arguments are kept as their digest only."""
    subjects = [number] if exists else []
    args = {"idNumber": number, "matched": False}
    await info.context.session.audited_read("person", args, subjects)
