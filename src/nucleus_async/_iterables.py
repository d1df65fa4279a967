"""Iteration over what users pass to bulk calls: a list, any iterable, or an async iterable."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import TypeVar

__all__ = ["AnyIterable", "iterate"]

T = TypeVar("T")

#: What every bulk method accepts: a sequence, a generator, or an async generator.
AnyIterable = Iterable[T] | AsyncIterable[T]


async def iterate(items: AnyIterable[T]) -> AsyncIterator[T]:
    """Yield the elements of a sync or async iterable, pulling one at a time.

    The one place that tells the two kinds apart, so a generator of a million items is never
    turned into a list and an async source is awaited without blocking the loop.
    """
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
