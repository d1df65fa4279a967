"""Iteration over what users pass to bulk calls: a list, any iterable, or an async iterable."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import TypeVar

__all__ = ["EMPTY", "AnyIterable", "Empty", "iterate", "map_each", "peek"]

T = TypeVar("T")
R = TypeVar("R")

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


def map_each(function: Callable[[T], R], items: AnyIterable[T]) -> AnyIterable[R]:
    """``function`` applied to each element as it is read, keeping the iterable's kind.

    A sync iterable gives a lazy ``map`` (no async generator step per element: on a
    million-item upload that step is a tenth of the client's CPU), an async one an async
    generator.
    """
    if isinstance(items, AsyncIterable):
        return _map_async(function, items)
    return map(function, items)


async def _map_async(function: Callable[[T], R], items: AsyncIterable[T]) -> AsyncIterator[R]:
    async for item in items:
        yield function(item)


class Empty:
    """What :func:`peek` gives back as the first element of an empty iterable."""


EMPTY = Empty()


async def peek(items: AnyIterable[T]) -> tuple[T | Empty, AnyIterable[T]]:
    """The first element and an iterable of all elements, first included, of the same kind.

    A sync iterable stays sync (no per-element hop through an async generator on the hot
    path of a million-item append); an async one stays async. The rest is never read ahead.
    """
    if isinstance(items, AsyncIterable):
        stream = aiter(items)
        try:
            first = await anext(stream)
        except StopAsyncIteration:
            return EMPTY, ()
        return first, _prepend(first, stream)
    iterator = iter(items)
    for first in iterator:
        return first, itertools.chain((first,), iterator)
    return EMPTY, ()


async def _prepend(first: T, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    yield first
    async for item in rest:
        yield item
