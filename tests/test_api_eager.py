"""``api.eager.gather``: siblings awaited together, each started at once."""

from __future__ import annotations

import asyncio

import pytest

from api.eager import gather


async def test_siblings_start_at_once_and_wait_together() -> None:
    """A field that needs no wait costs no task (it runs in the caller's); those that wait, on
    one loader's future or on several, go on concurrently; the first failure is raised once
    every sibling has settled; a cancellation reaches the waiting ones."""
    loop = asyncio.get_running_loop()
    shared: asyncio.Future[int] = loop.create_future()
    ran_in: list[object] = []

    async def at_once(n: int) -> int:
        ran_in.append(asyncio.current_task())
        return n

    async def waits(n: int) -> int:
        return await shared + n

    loop.call_later(0.01, shared.set_result, 10)
    assert await gather([at_once(1), waits(2), waits(3), at_once(4)]) == [1, 12, 13, 4]
    assert ran_in == [asyncio.current_task()] * 2

    settled: list[str] = []
    later: asyncio.Future[int] = loop.create_future()

    async def fails() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("a resolver's bug")

    async def slow() -> int:
        value = await later
        settled.append("slow")
        return value

    loop.call_later(0.02, later.set_result, 1)
    with pytest.raises(RuntimeError, match="a resolver's bug"):
        await gather([slow(), fails()])
    assert settled == ["slow"]

    never: asyncio.Future[int] = loop.create_future()
    cancelled: list[bool] = []

    async def stuck() -> int:
        try:
            return await never
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    task = asyncio.ensure_future(gather([stuck(), stuck()]))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == [True, True]


async def test_awaitable_agrees_with_inspect() -> None:
    """``awaitable`` answers as ``inspect.isawaitable`` does, asked twice (the second time by
    the remembered type) for values of every kind a field can return, generators decided
    each on its own (a generator-based coroutine is awaitable, a plain generator is not)."""
    import inspect
    import types
    from dataclasses import dataclass

    from api.eager import awaitable

    class Awaits:
        def __await__(self):
            yield

    @dataclass
    class Model:
        name: str

    async def coroutine() -> int:
        return 1

    def plain_generator():
        yield 1

    @types.coroutine
    def generator_coroutine():
        yield

    made = coroutine()
    future = asyncio.get_running_loop().create_future()
    values = [
        None, "text", 3, 2.5, True, [1], {"a": 1}, (1,), Model("x"), Awaits(), made, future,
        plain_generator(), generator_coroutine(), plain_generator(), generator_coroutine(),
    ]  # fmt: skip
    for _ in range(2):
        for value in values:
            assert awaitable(value) is inspect.isawaitable(value), value
    made.close()
