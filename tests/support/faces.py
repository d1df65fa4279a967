"""Run one test body through both faces of the SDK: the async core and the sync facade.

``Face.wrap(obj)`` gives an object whose methods are awaited the same way in both cases: for
the async face they are the core's own coroutines; for the sync face each call runs the
blocking facade method in a worker thread (as a blocking script would, off the event loop),
results that are sync resources are wrapped again, and sync generators become async iterators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.to_thread

_PLAIN = (str, bytes, int, float, bool, type(None), dict, list, tuple, set)


class SyncProxy:
    """Awaitable view of a sync facade object."""

    def __init__(self, target: Any) -> None:
        self._target = target

    @property
    def unwrapped(self) -> Any:
        return self._target

    def __repr__(self) -> str:
        return f"SyncProxy({self._target!r})"

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr) or isinstance(attr, type):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            args = tuple(_unwrap(a) for a in args)
            kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
            return _ThreadCall(lambda: attr(*args, **kwargs))

        return call


def _unwrap(value: Any) -> Any:
    if isinstance(value, SyncProxy):
        return value.unwrapped
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if type(value).__module__.startswith("nucleus_sync") and not isinstance(value, _PLAIN):
        return SyncProxy(value)
    return value


class _ThreadCall:
    """A facade call: awaited, it returns the result; ``async for`` iterates what it returns."""

    def __init__(self, fn: Any) -> None:
        self._fn = fn

    def __await__(self) -> Any:
        return self._run().__await__()

    def __aiter__(self) -> AsyncIterator[Any]:
        return _AsyncIterFromThread(lambda: iter(self._fn())).__aiter__()

    async def _run(self) -> Any:
        return _wrap(await anyio.to_thread.run_sync(self._fn))


class _AsyncIterFromThread:
    def __init__(self, make: Any) -> None:
        self._make = make

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        iterator: Iterator[Any] = await anyio.to_thread.run_sync(self._make)
        sentinel = object()
        try:
            while True:
                item = await anyio.to_thread.run_sync(next, iterator, sentinel)
                if item is sentinel:
                    return
                yield _wrap(item)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                await anyio.to_thread.run_sync(close)


def wrap_sync(obj: Any) -> SyncProxy:
    return SyncProxy(obj)
