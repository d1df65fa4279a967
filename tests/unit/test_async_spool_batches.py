"""An asynchronous append's spool: items read and encoded a few hundred at a time.

Fewer items than the garbage collector's first threshold are alive at once, so it never runs
during the upload (a million items read 1,024 at a time took 1,780 collections, 15 of them
full); the lines still go to disk about half a megabyte at a time, whole.
"""

from __future__ import annotations

import gc
import itertools
import weakref
from collections.abc import Iterator

import anyio
import pytest

from nucleus_async._item_checks import async_item_lines, async_items
from nucleus_async._upload import signed
from nucleus_async.types import DatasetItem


def _plain(i: int) -> DatasetItem:
    return DatasetItem(
        image_location=f"s3://bucket/{i}.jpg", reference_id=f"ref-{i}", metadata={"i": i}
    )


def test_a_repeat_in_a_stream_is_refused_with_the_repeated_id() -> None:
    items = [_plain(i) for i in range(300)] + [_plain(7)]
    with pytest.raises(Exception, match="Duplicate reference IDs") as caught:
        list(async_items(iter(items), privacy_mode=False))
    assert caught.value.obj == "ref-7"  # type: ignore[attr-defined]


def test_a_stream_keeps_fewer_items_alive_than_the_collectors_first_threshold() -> None:
    """Read, checked and encoded a few hundred at a time: the collector never has to run."""
    alive = most = 0
    refs: list[weakref.ref[DatasetItem]] = []

    def gone(_: object) -> None:
        nonlocal alive
        alive -= 1

    def source(n: int) -> Iterator[DatasetItem]:
        nonlocal alive, most
        for i in range(n):
            most = max(most, alive)
            item = _plain(i)
            refs.append(weakref.ref(item, gone))
            alive += 1
            yield item

    async def spool() -> int:
        chunks = signed._chunks(async_items(source(5_000), privacy_mode=False), async_item_lines())
        return sum([chunk.count(b"\n") async for chunk in chunks])

    assert anyio.run(spool) == 5_000
    assert most < gc.get_threshold()[0], most


def test_chunks_are_whole_lines_of_about_the_write_size() -> None:
    items = [_plain(i) for i in range(20_000)]

    async def spool() -> list[bytes]:
        return [chunk async for chunk in signed._chunks(iter(items), async_item_lines())]

    chunks = anyio.run(spool)
    assert len(chunks) > 2
    assert all(len(chunk) >= signed._BYTES_PER_WRITE for chunk in chunks[:-1])
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    expected = async_item_lines().encode(items)
    assert b"".join(chunks) == expected
    # Each chunk is the first batches' lines joined: no line is cut or repeated.
    assert sum(chunk.count(b"\n") for chunk in chunks) == len(items)
    assert list(itertools.accumulate(map(len, chunks)))[-1] == len(expected)
