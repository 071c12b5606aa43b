"""Every list of the schema is a ``Connection``: Relay's, with ``totalCount``, built by one page
builder (``Connection.page``); and the cursors and page sizes they share."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Generic, Protocol, Self, TypeVar

import strawberry
from strawberry import relay

from api.errors import PublicError
from api.permissions import Inherited, fields_need

DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_CURSOR = 200  # characters: every cursor this API gives out is far shorter
_NUMBER = re.compile(r"[0-9]{1,15}")  # ASCII digits only: "٣" and "３" are digits to Python


def page_size(first: int | None, *, argument: str = "first") -> int:
    """A page size within bounds, or a public error naming the argument."""
    size = DEFAULT_PAGE if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise PublicError(f"{argument}: must be between 1 and {MAX_PAGE}, got {size}")
    return size


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, argument: str) -> str:
    if len(cursor) > MAX_CURSOR or not cursor.isascii():
        raise PublicError(f"{argument}: not a cursor this API gave out")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PublicError(f"{argument}: not a cursor this API gave out") from None


_CURSORS = [_encode(f"o:{offset}") for offset in range(4 * MAX_PAGE)]  # the common ones, made once


def offset_cursor(offset: int) -> str:
    """The cursor of the item at ``offset`` in a list."""
    if 0 <= offset < len(_CURSORS):
        return _CURSORS[offset]
    return _encode(f"o:{offset}")


def parse_offset(after: str | None, *, argument: str = "after") -> int:
    """The offset just after the item ``after`` points at (0 without a cursor)."""
    if after is None:
        return 0
    text = _decode(after, argument)
    kind, _, value = text.partition(":")
    if kind != "o":
        raise PublicError(f"{argument}: not a cursor of this list")
    return parse_number(value, argument) + 1


def parse_number(text: str, argument: str) -> int:
    """A cursor's number: ASCII digits, at most 15 of them, or a public error."""
    if not _NUMBER.fullmatch(text):
        raise PublicError(f"{argument}: not a cursor of this list")
    return int(text)


def keyset_cursor(day: date, record_id: str) -> str:
    """The cursor of a record in a list ordered by date and id."""
    return _encode(f"k:{day.isoformat()}:{record_id}")


def parse_keyset(after: str | None, *, argument: str = "after") -> tuple[date, str] | None:
    if after is None:
        return None
    kind, _, rest = _decode(after, argument).partition(":")
    day, _, record_id = rest.partition(":")
    try:
        if kind != "k" or not record_id or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day):
            raise ValueError
        return date.fromisoformat(day), record_id
    except ValueError:
        raise PublicError(f"{argument}: not a cursor of this list") from None


class HasCursor(Protocol):
    cursor: str


def page_info(edges: Sequence[HasCursor], *, has_next: bool, has_previous: bool) -> relay.PageInfo:
    """Relay's page info for a page of ``edges``."""
    return relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


NodeT = TypeVar("NodeT")


@fields_need(Inherited)
@strawberry.type(description="An item of a list, with its cursor.")
class Edge(Generic[NodeT]):
    """The edge of every ``Connection``: ``XEdge`` in the schema."""

    cursor: str = strawberry.field(
        description="Where the item stands: pass it as `after` for the items after it."
    )
    node: NodeT = strawberry.field(description="The item.")


@fields_need(Inherited)
@strawberry.type(description="A page of a list, with the cursors to page on and the total.")
class Connection(Generic[NodeT]):
    """The one connection type (Relay's, with ``totalCount``): ``XConnection(Connection[X])``
    names a page of a list of ``X``, and ``page`` builds every page."""

    page_info: relay.PageInfo = strawberry.field(description="Where the page stands.")
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of the page, in order.")
    total_count: int = strawberry.field(description="How many items the whole list holds.")

    @classmethod
    def page(
        cls,
        nodes: Sequence[NodeT],
        *,
        start: int = 0,
        total: int | None,
        has_next: bool | None = None,
        has_previous: bool | None = None,
        cursor: Callable[[int, NodeT], str] | None = None,
    ) -> Self:
        """The page of ``nodes`` that starts at offset ``start`` of a list of ``total`` items;
        each node's cursor is ``cursor(offset, node)`` (its offset by default). There is a
        next page when ``has_next`` says so (by default: when items are left after it), and a
        previous one when ``has_previous`` does (by default: when it does not start at 0)."""
        make = cursor or (lambda offset, _: offset_cursor(offset))
        edges: list[Edge[NodeT]] = [
            Edge(cursor=make(start + i, node), node=node) for i, node in enumerate(nodes)
        ]
        if has_next is None:
            has_next = total is not None and start + len(nodes) < total
        return cls(
            edges=edges,
            page_info=page_info(
                edges,
                has_next=has_next,
                has_previous=start > 0 if has_previous is None else has_previous,
            ),
            total_count=total,  # type: ignore[arg-type]  # nullable where a subclass says so
        )
