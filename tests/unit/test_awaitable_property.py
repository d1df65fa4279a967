"""awaitable_property: a fetched attribute read with ``await obj.name``."""

from __future__ import annotations

import asyncio
import inspect
import warnings

import pytest

from nucleus_async._awaitable_property import PendingRead, awaitable_property


class Counter:
    def __init__(self) -> None:
        self.fetches = 0

    @awaitable_property
    async def size(self) -> int:
        """How many times it was fetched: ``await counter.size``."""
        await asyncio.sleep(0)
        self.fetches += 1
        return self.fetches


async def test_awaiting_the_attribute_gives_the_getters_result() -> None:
    counter = Counter()
    assert await counter.size == 1


async def test_every_await_fetches_anew() -> None:
    counter = Counter()
    pending = counter.size
    assert await pending == 1
    assert await pending == 2
    assert await counter.size == 3


def test_reading_without_awaiting_runs_nothing_and_leaves_no_coroutine() -> None:
    counter = Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pending = counter.size
        assert isinstance(pending, PendingRead)
        del pending
    assert counter.fetches == 0


async def test_reads_can_be_gathered() -> None:
    counter = Counter()
    assert sorted(await asyncio.gather(counter.size, counter.size)) == [1, 2]


def test_the_attribute_is_read_only() -> None:
    counter = Counter()
    with pytest.raises(AttributeError, match=r"Counter\.size is read-only"):
        counter.size = 5  # type: ignore[assignment]
    assert counter.fetches == 0


def test_the_class_attribute_is_the_descriptor_with_the_getters_doc() -> None:
    descriptor = Counter.size
    assert isinstance(descriptor, awaitable_property)
    assert inspect.iscoroutinefunction(descriptor.fget)
    assert inspect.getdoc(descriptor) == "How many times it was fetched: ``await counter.size``."
    assert repr(descriptor) == "<awaitable_property Counter.size>"
    assert "Counter.size" in repr(Counter().size)
