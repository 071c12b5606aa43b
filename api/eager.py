"""Awaiting siblings together, each started at once: ``asyncio.gather`` makes a task of every
awaitable, even one that would finish without waiting; ``gather`` here makes one only for those
that do wait.

A lookup's fields mostly resolve from loaders the look-ahead already filled: run through
``asyncio.gather``, each would still be a task, scheduled and stepped by the event loop. Here
each coroutine is first sent into directly; one that returns costs nothing more, and one that
yields the future it waits on goes on as a task (``_resume`` stands in for it, handing the
future to the task as asyncio's own tasks take it). Every sibling is started before any task
runs, so a DataLoader still sees all their keys before it dispatches its batch.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Iterable
from typing import Any

# Whether values of a type are awaitable, by type: ``inspect.isawaitable`` ends in an ABC check
# for every value that is not (a string, a model, a list), the most common answer of a
# compiled lookup's hundreds of fields. Only generators decide it object by object.
_AWAITABLE: dict[type, bool] = {}
_REMEMBERED = 512  # types remembered at most (types made at run time would grow it)


def awaitable(value: Any) -> bool:
    """``inspect.isawaitable(value)``, remembered by the value's type."""
    kind = type(value)
    found = _AWAITABLE.get(kind)
    if found is not None:
        return found
    found = inspect.isawaitable(value)
    if kind is not types.GeneratorType:
        if len(_AWAITABLE) >= _REMEMBERED:
            _AWAITABLE.clear()
        _AWAITABLE[kind] = found
    return found


async def gather(awaitables: list[Any]) -> list[Any]:
    """The values of ``awaitables``, run concurrently as ``asyncio.gather`` runs them, but each
    started at once, here: one that finishes without waiting (a field whose loader holds its
    data already, the common case after the look-ahead) costs no task. One that waits goes on
    as a task, after every sibling has been started, so a loader sees all their keys before it
    reads. The first failure is raised once all have settled (the rest are not started)."""
    values: list[Any] = [None] * len(awaitables)
    tasks: list[tuple[int, asyncio.Future[Any]]] = []
    failure: BaseException | None = None
    for index, awaitable in enumerate(awaitables):
        if failure is not None:
            discard([awaitable])
            continue
        if not inspect.iscoroutine(awaitable):
            tasks.append((index, asyncio.ensure_future(awaitable)))
            continue
        try:
            yielded = awaitable.send(None)
        except StopIteration as done:
            values[index] = done.value
        except BaseException as exc:  # settled with the rest below
            failure = exc
        else:
            # Marked as waited on by the await that yielded it; cleared until the task takes
            # it (``_Yield``), or a sibling awaiting the same future could not.
            if getattr(yielded, "_asyncio_future_blocking", None):
                yielded._asyncio_future_blocking = False
            tasks.append((index, asyncio.ensure_future(_resume(awaitable, yielded))))
    if tasks:
        settled = await asyncio.gather(*(t for _, t in tasks), return_exceptions=True)
        for (index, _), value in zip(tasks, settled, strict=True):
            if isinstance(value, BaseException):
                failure = failure or value
            values[index] = value
    if failure is not None:
        raise failure
    return values


class _Yield:
    """Hands what a started coroutine yielded (a future it waits on) to the task running
    ``_resume``, and gives back what the task sends when it wakes. The future is marked as
    waited on again, as the await that yielded it had marked it: the task clears the mark
    when it takes the future (as asyncio's own tasks do)."""

    __slots__ = ("yielded",)

    def __init__(self, yielded: Any) -> None:
        self.yielded = yielded

    def __await__(self) -> Any:
        if getattr(self.yielded, "_asyncio_future_blocking", None) is not None:
            self.yielded._asyncio_future_blocking = True
        return (yield self.yielded)


async def _resume(coroutine: Any, yielded: Any) -> Any:
    """Go on with a coroutine that was started outside a task and waits on ``yielded``: the
    task running this waits on it in its stead, and passes back what it is woken with (or
    the cancellation it gets)."""
    while True:
        try:
            sent = await _Yield(yielded)
        except BaseException as exc:  # the coroutine decides what it means
            try:
                yielded = coroutine.throw(exc)
            except StopIteration as done:
                return done.value
            continue
        try:
            yielded = coroutine.send(sent)
        except StopIteration as done:
            return done.value


def discard(values: Iterable[Any]) -> None:
    """Close coroutines that will not be awaited, and those they were given and had not
    started yet (found in lists, tuples and dicts too): an awaitable abandoned half-built
    leaves no "never awaited" warning and holds nothing open."""
    for value in values:
        if inspect.iscoroutine(value):
            frame = value.cr_frame
            given = list(frame.f_locals.values()) if frame is not None else []
            value.close()
            discard(given)
        elif isinstance(value, list | tuple):
            discard(value)
        elif isinstance(value, dict):
            discard(value.values())
