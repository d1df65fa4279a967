"""The one helper for "a sync or an async iterable": iterate and peek."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterator

from nucleus_async._iterables import EMPTY, iterate, peek


async def collect(items: object) -> list[int]:
    return [item async for item in iterate(items)]  # type: ignore[arg-type]


async def numbers(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


async def test_iterate_yields_a_list_a_generator_and_an_async_generator_alike() -> None:
    assert await collect([0, 1, 2]) == [0, 1, 2]
    assert await collect(iter(range(3))) == [0, 1, 2]
    assert await collect(numbers(3)) == [0, 1, 2]


async def test_peek_keeps_a_sync_stream_sync_and_reads_nothing_ahead() -> None:
    produced: list[int] = []

    def generate() -> Iterator[int]:
        for i in range(5):
            produced.append(i)
            yield i

    first, rest = await peek(generate())
    assert first == 0 and produced == [0]
    assert not isinstance(rest, AsyncIterable)
    assert list(rest) == [0, 1, 2, 3, 4]


async def test_peek_keeps_an_async_stream_async_with_its_first_element() -> None:
    first, rest = await peek(numbers(4))
    assert first == 0
    assert isinstance(rest, AsyncIterable)
    assert await collect(rest) == [0, 1, 2, 3]


async def test_peek_of_an_empty_iterable_of_either_kind_is_the_empty_marker() -> None:
    assert (await peek(iter([])))[0] is EMPTY
    assert (await peek(numbers(0)))[0] is EMPTY
