"""Reads of people audited once per operation: one entry naming every person it read.

The rules that let a relying party or an investigator read a person (``api.permissions``: a
person's fields, a person's file, record or stored score, wherever the operation reached it:
a lookup, a search, a company's shareholders, a linkage, a risk scan) note the person on the
request's context. When the operation has run, the schema's pipeline (``api.schema``) calls
``flush_reads``, which appends one read entry naming them all (its operation: the root fields
that read them). When that entry cannot be written, the operation answers an error instead of
its data: no read without its entry.
"""

from __future__ import annotations

from typing import Any

from starlette.websockets import WebSocket

from api.context import Context
from graph.repositories.audit import Entry


async def flush_reads(
    context: Context, *, operation: str | None = None, args: dict[str, Any] | None = None
) -> Entry | None:
    """Append one read entry naming the people read since the last one (if any), and return
    it. A subscription calls it after each event it delivers: its operation lasts as long as
    the connection, and each event's reads are reads of their own. A report names its own
    ``operation`` and ``args`` (its subject is among the reads)."""
    reads = context.reads
    pending = reads.subjects - reads.audited
    if not pending:
        return None
    # Claimed before the append: the batch's other operations do not log them again.
    reads.audited |= pending
    subjects = sorted(pending)
    operation = operation or ",".join(sorted(reads.fields))
    reads.fields.clear()
    entry = await context.session.audited_read(
        operation, {"subjects": subjects, **(args or {})}, subjects
    )
    if isinstance(context.request, WebSocket):
        # A subscription's operation outlives its events: the next event that reads these
        # people is another read, with an entry of its own.
        reads.subjects -= pending
        reads.audited -= pending
    return entry
