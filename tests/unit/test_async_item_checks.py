"""The checks of an append's items, and how many of them an asynchronous stream keeps alive.

A batch of plain remote items is checked a column at a time (``plain_remote_items``); any
other batch item by item. The column check is only a shortcut: with it or without it, every
sequence of items must give the same items or the same first error. The oracle is the same
code with the shortcut turned off.

A stream's items are read, checked and encoded a few hundred at a time, so fewer than the
garbage collector's first threshold are alive at once and it never runs during the upload.
"""

from __future__ import annotations

import gc
import itertools
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nucleus_async import _item_checks
from nucleus_async._item_checks import async_item_lines, async_items, check_async_items
from nucleus_async._upload import items as items_module
from nucleus_async._upload import signed
from nucleus_async.types import DatasetItem


def _plain(i: int) -> DatasetItem:
    return DatasetItem(
        image_location=f"s3://bucket/{i}.jpg", reference_id=f"ref-{i}", metadata={"i": i}
    )


def _variant(kind: str, i: int) -> Any:
    """An item that is not plain, or not valid for an asynchronous append, by ``kind``."""
    item = _plain(i)
    if kind == "upper_scheme":  # remote, but only the URL parse knows
        item.image_location = f"S3://bucket/{i}.jpg"
    elif kind == "local":
        item.image_location = f"images/{i}.jpg"
    elif kind == "pointcloud":
        item = DatasetItem(pointcloud_location=f"s3://bucket/{i}.json", reference_id=f"ref-{i}")
    elif kind == "sized":
        item.width, item.height = 640, 480
    elif kind == "empty_ref":  # changed after construction, so only the upload's check sees it
        item.reference_id = ""
    elif kind == "int_ref":
        item.reference_id = i  # type: ignore[assignment]
    elif kind == "metadata_list":
        item.metadata = [i]  # type: ignore[assignment]
    elif kind == "float_metadata":
        item.metadata = {"score": 0.5}
    elif kind == "nan_metadata":
        item.metadata = {"score": float("nan")}
    elif kind == "nested_metadata":
        item.metadata = {"box": {"x": [1, 2]}}
    elif kind == "int_key_metadata":
        item.metadata = {1: "one"}
    elif kind == "object_metadata":
        item.metadata = {"when": object()}
    elif kind == "not_an_item":
        item = {"reference_id": f"ref-{i}"}
    elif kind == "repeat":
        item = _plain(0)
    return item


KINDS = (
    "upper_scheme",
    "local",
    "pointcloud",
    "sized",
    "empty_ref",
    "int_ref",
    "metadata_list",
    "float_metadata",
    "nan_metadata",
    "nested_metadata",
    "int_key_metadata",
    "object_metadata",
    "not_an_item",
    "repeat",
)

#: Mostly plain items (so most batches take the column check), some of every other kind.
item_lists = st.lists(
    st.one_of(st.just("plain"), st.just("plain"), st.just("plain"), st.sampled_from(KINDS)),
    min_size=1,
    max_size=40,
).map(lambda kinds: [_plain(i) if k == "plain" else _variant(k, i) for i, k in enumerate(kinds)])


def _outcome(run: Any) -> Any:
    try:
        return [id(item) for item in run()]
    except Exception as exc:  # the outcome compared is the error's type and text
        return (type(exc).__name__, str(exc))


def _without_column_check(monkeypatch: pytest.MonkeyPatch, run: Any) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(_item_checks, "plain_remote_items", lambda batch, seen: False)
        patch.setattr(items_module, "plain_remote_items", lambda *args, **kwargs: False)
        return _outcome(run)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4, so a 40-item list is ten batches: errors in any of them, repeats across."""
    monkeypatch.setattr(_item_checks, "_CHECKED_AT_A_TIME", 4)


@pytest.mark.parametrize("privacy_mode", [False, True])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=item_lists)
def test_a_stream_gives_what_item_by_item_checks_give(
    items: list[Any], privacy_mode: bool, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run() -> list[Any]:
        return list(async_items(iter(items), privacy_mode=privacy_mode))  # type: ignore[arg-type]

    assert _outcome(run) == _without_column_check(monkeypatch, run)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=item_lists)
def test_an_async_stream_gives_what_item_by_item_checks_give(
    items: list[Any], small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def source() -> AsyncIterator[Any]:
        for item in items:
            yield item

    def run() -> list[Any]:
        async def read() -> list[Any]:
            return [item async for item in async_items(source(), privacy_mode=False)]  # type: ignore[union-attr]

        return anyio.run(read)

    assert _outcome(run) == _without_column_check(monkeypatch, run)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=item_lists)
def test_a_list_gives_what_item_by_item_checks_give(
    items: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run() -> list[Any]:
        return check_async_items(items, privacy_mode=False)

    assert _outcome(run) == _without_column_check(monkeypatch, run)


def test_plain_remote_items_take_the_column_check(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[int] = []
    column_check = _item_checks.plain_remote_items

    def counted(batch: list[Any], seen: dict[Any, None]) -> bool:
        passed = column_check(batch, seen)
        taken.append(passed)
        return passed

    monkeypatch.setattr(_item_checks, "plain_remote_items", counted)
    items = [_plain(i) for i in range(600)]
    assert list(async_items(iter(items), privacy_mode=False)) == items
    assert taken == [True, True, True]  # 256 + 256 + 88


def test_a_repeat_across_batches_is_refused_with_the_repeated_id() -> None:
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


@pytest.mark.parametrize("privacy_mode", [False, True])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=item_lists)
def test_an_append_list_gives_what_item_by_item_checks_give(
    items: list[Any], privacy_mode: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON append path: the column check also needs flat, NaN-free metadata."""

    def run() -> list[Any]:
        return items_module._ItemChecks(privacy_mode).check_list(items)

    assert _outcome(run) == _without_column_check(monkeypatch, run)


def test_an_append_list_of_plain_items_takes_the_column_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def item_by_item(*args: Any) -> Any:
        raise AssertionError("a plain list was checked item by item")

    monkeypatch.setattr(items_module._ItemChecks, "_valid", item_by_item)
    items = [_plain(i) for i in range(300)]
    assert items_module._ItemChecks(False).check_list(items) == items
