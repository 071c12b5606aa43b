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

from starlette.websockets import WebSocket

from api.context import Context


async def flush_reads(context: Context) -> None:
    """Append one read entry naming the people read since the last one (if any). A
    subscription calls it after each event it delivers: its operation lasts as long as the
    connection, and each event's reads are reads of their own."""
    reads = context.reads
    pending = reads.subjects - reads.audited
    if not pending:
        return
    # Claimed before the append: the batch's other operations do not log them again.
    reads.audited |= pending
    subjects = sorted(pending)
    operation = ",".join(sorted(reads.fields))
    reads.fields.clear()
    await context.session.audited_read(operation, {"subjects": subjects}, subjects)
    if isinstance(context.request, WebSocket):
        # A subscription's operation outlives its events: the next event that reads these
        # people is another read, with an entry of its own.
        reads.subjects -= pending
        reads.audited -= pending
