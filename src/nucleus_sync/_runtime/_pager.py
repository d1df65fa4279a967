"""Sync iteration over the core's async iterators and pagers, one loop hop per item or page.

Breaking out early, ``close()``, or garbage collection ``aclose()``s the async iterator on the
loop, so a request stream is never left open.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from ._calls import call
from ._portal import runtime
from ._twins import SyncResource, Twin, wrap

__all__ = ["Pager", "iterate", "pager"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _AsyncIteratorLike(Protocol[T_co]):
    def __anext__(self) -> Awaitable[T_co]: ...


async def _next_or_stop(iterator: _AsyncIteratorLike[T]) -> tuple[bool, T | None]:
    try:
        return True, await iterator.__anext__()
    except StopAsyncIteration:
        return False, None


def _close_async_iterator(iterator: object) -> None:
    """``aclose()`` an async iterator from whatever thread let go of its sync twin."""
    aclose: Callable[[], Awaitable[object]] | None = getattr(iterator, "aclose", None)
    if aclose is None:
        return
    if threading.get_ident() == runtime.loop_thread_ident:
        runtime.spawn(aclose)  # let go of on the loop itself: it cannot wait for itself
        return
    if runtime.shutting_down:
        return
    call(aclose)


def _iterate(source: Any, owner: SyncResource | None) -> Generator[Any, None, None]:
    iterator = source if hasattr(source, "__anext__") else source.__aiter__()
    try:
        while True:
            more, item = call(_next_or_stop, iterator)
            if not more:
                return
            yield wrap(item, owner)
    finally:
        _close_async_iterator(iterator)


def iterate(source: Any, owner: SyncResource | None = None) -> Iterator[Any]:
    """A sync generator over an async iterator (or iterable): one loop hop per item.

    Breaking early, ``close()``, or garbage collection ``aclose()``s the async iterator.
    """
    return _iterate(source, owner)


class Pager(Twin, Generic[T]):
    """A blocking iterator over every item of a paged route, fetched one page per loop hop.

    ``for item in pager`` yields items; ``pager.pages()`` yields whole pages (lists);
    ``pager.to_list()`` collects everything. Breaking out early (or ``close()``) closes the
    request stream on the loop. It is the sync twin of ``nucleus_async.AsyncPager``.
    """

    def __init__(self, core: Any, owner: SyncResource | None = None) -> None:
        self._core = core
        self._owner = owner
        self._items: Generator[T, None, None] | None = None

    def __repr__(self) -> str:
        return repr(self._core)

    def __iter__(self) -> Pager[T]:
        return self

    def __next__(self) -> T:
        if self._items is None:
            self._items = _iter_items(self._core, self._owner)
        return next(self._items)

    def pages(self) -> Iterator[list[T]]:
        """Yield each page as a list, in order, until the server says there are no more."""
        return _iterate(self._core.pages(), self._owner)

    def to_list(self) -> list[T]:
        """Collect every item (convenient for small results)."""
        items: list[T] = wrap(call(self._core.to_list), self._owner)
        return items

    def close(self) -> None:
        """Stop iterating and close the request stream."""
        if self._items is not None:
            self._items.close()

    def __enter__(self) -> Pager[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _iter_items(core: Any, owner: SyncResource | None) -> Generator[Any, None, None]:
    # A function, not a method: a generator referring to its pager would form a cycle, and an
    # abandoned loop would then close the stream at the next garbage collection, not at once.
    pages = _iterate(core.pages(), owner)
    try:
        for page in pages:
            yield from page
    finally:
        pages.close()


def pager(core_pager: Any, owner: SyncResource | None = None) -> Pager[Any]:
    """Wrap a core ``AsyncPager`` (no loop hop until iterated)."""
    return Pager(core_pager, owner)
