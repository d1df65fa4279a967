"""Async iteration over the service's paged routes (``pageToken`` / ``nextPageToken``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Generic, TypeVar

from ._transport import Transport

__all__ = ["AsyncPager"]

T = TypeVar("T")


class AsyncPager(Generic[T]):
    """An async iterator over every item of a paged route, fetching one page at a time.

    ``async for item in pager`` yields items; ``pager.pages()`` yields whole pages (lists),
    which is how the sync facade crosses threads once per page rather than once per item.
    Only one page is held in memory at a time.
    """

    def __init__(
        self,
        transport: Transport,
        route: str,
        *,
        result_key: str,
        page_size: int,
        convert: Callable[[Any], T],
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self._transport = transport
        self._route = route
        self._result_key = result_key
        self._page_size = page_size
        self._convert = convert
        self._extra = dict(extra or {})
        self._items: AsyncIterator[T] | None = None

    def __repr__(self) -> str:
        return f"AsyncPager(route={self._route!r}, page_size={self._page_size})"

    async def pages(self) -> AsyncIterator[list[T]]:
        """Yield each page as a list, in order, until the server says there are no more."""
        token: str | None = None
        while True:
            payload = {"pageToken": token, "pageSize": self._page_size, **self._extra}
            response = await self._transport.request("POST", self._route, payload)
            if not isinstance(response, Mapping) or "nextPageToken" not in response:
                raise ValueError(
                    f"Paged route {self._route} answered without 'nextPageToken': {response!r:.200}"
                )
            raw = response.get(self._result_key) or []
            yield [self._convert(entry) for entry in raw]
            token = response["nextPageToken"]
            if not token:
                return

    async def _iter_items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iter_items()

    async def to_list(self) -> list[T]:
        """Collect every item (convenient for small results)."""
        return [item async for item in self]
