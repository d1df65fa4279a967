"""A paged read over an in-memory list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Generic, TypeVar

import anyio

from ._events import record

T = TypeVar("T")


class AsyncPager(Generic[T]):
    """Async iterator over items; ``pages()`` yields whole pages."""

    def __init__(self, items: list[T], page_size: int, name: str) -> None:
        self._items = items
        self._page_size = page_size
        self._name = name

    async def pages(self) -> AsyncIterator[list[T]]:
        """Yield each page."""
        try:
            for start in range(0, len(self._items), self._page_size):
                await anyio.sleep(0)
                record(f"{self._name}:page:{start}")
                yield self._items[start : start + self._page_size]
        finally:
            record(f"{self._name}:pages-closed")

    async def _iter_items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iter_items()

    async def to_list(self) -> list[T]:
        """Collect every item."""
        return [item async for item in self]
