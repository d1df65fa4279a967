"""Asynchronous uploads: spooled to disk, split past the size cap into parts, one handle."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nucleus_async as nucleus
from nucleus_async._json import dumps
from nucleus_async._upload import signed


def remote_items(n: int, prefix: str = "img") -> Iterator[nucleus.DatasetItem]:
    for i in range(n):
        yield nucleus.DatasetItem(
            image_location=f"https://example.com/{prefix}/{i}.jpg",
            reference_id=f"{prefix}-{i}",
            metadata={"i": i},
        )


def boxes(n: int) -> list[nucleus.BoxAnnotation]:
    return [
        nucleus.BoxAnnotation("car", i, 0, 10, 10, f"img-{i % 5}", f"box-{i}") for i in range(n)
    ]


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the spooled parts go (checked empty after each upload)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    """A cap of 1,000 bytes: 30 items (~120 bytes a line) take several parts."""
    monkeypatch.setattr(signed, "MAX_NDJSON_BYTES", 1000)
    return 1000


async def test_an_upload_under_the_cap_is_one_job(dataset: Any, spool_dir: Path) -> None:
    job = await dataset.append(remote_items(30), asynchronous=True)
    assert getattr(job, "jobs", None) is None  # a plain AsyncJob
    await job.wait_until_complete(timeout=30)
    assert list(spool_dir.iterdir()) == []


async def test_an_upload_over_the_cap_is_split_into_jobs_behind_one_handle(
    dataset: Any, spool_dir: Path, small_cap: int
) -> None:
    job = await dataset.append(remote_items(30), asynchronous=True)
    parts = _parts([item.to_payload() for item in remote_items(30)], small_cap)
    assert parts > 2
    assert len({j.job_id for j in job.jobs}) == parts
    status = await job.wait_until_complete(timeout=30)
    assert status["status"] == "Completed"
    assert len(status["jobs"]) == parts
    assert await job.errors() == []
    refs = {item.reference_id async for item in _items(dataset)}
    assert refs == {f"img-{i}" for i in range(30)}
    assert list(spool_dir.iterdir()) == []


async def test_split_annotations_all_land(dataset: Any, spool_dir: Path, small_cap: int) -> None:
    await dataset.append(list(remote_items(5)))
    job = await dataset.annotate(boxes(40), asynchronous=True)
    assert len(job.jobs) > 1
    await job.sleep_until_complete(False)
    assert (await job.status())["status"] == "Completed"
    assert list(spool_dir.iterdir()) == []


async def test_a_line_over_the_cap_is_refused_and_its_spool_removed(
    dataset: Any, spool_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signed, "MAX_NDJSON_BYTES", 50)
    with pytest.raises(ValueError, match="more than the service accepts"):
        await dataset.append(remote_items(3), asynchronous=True)
    assert list(spool_dir.iterdir()) == []


async def test_an_empty_asynchronous_upload_is_refused(dataset: Any) -> None:
    with pytest.raises(ValueError, match="Nothing to upload"):
        await dataset.append(remote_items(0), asynchronous=True)


async def test_a_streamed_asynchronous_append_refuses_a_repeated_reference_id(
    dataset: Any, spool_dir: Path
) -> None:
    def repeated() -> Iterator[nucleus.DatasetItem]:
        yield from remote_items(3)
        yield from remote_items(1)

    with pytest.raises(nucleus.ValidationError, match="Duplicate reference IDs"):
        await dataset.append(repeated(), asynchronous=True)
    assert list(spool_dir.iterdir()) == []


def _parts(payloads: list[Any], cap: int) -> int:
    """The parts of a greedy split of the payloads' lines at ``cap`` bytes."""
    parts, size = 1, 0
    for payload in payloads:
        line = len(dumps(payload)) + 1
        if size + line > cap:
            parts, size = parts + 1, 0
        size += line
    return parts


async def _items(dataset: Any) -> Any:
    async for item in dataset.items_generator():
        yield item


async def test_a_failed_disk_write_is_raised_and_its_spool_removed(
    dataset: Any, spool_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writes run in a worker thread while the next chunk is encoded: the error of one
    # still reaches the caller, and the file goes.
    real = signed._Part.create.__func__  # type: ignore[attr-defined]

    async def failing_part(cls: Any) -> Any:
        part = await real(cls)

        class Full:
            def write(self, chunk: bytes) -> int:
                raise OSError(28, "No space left on device")

            def close(self) -> None:
                part_file.close()

        part_file, part.file = part.file, Full()
        return part

    monkeypatch.setattr(signed._Part, "create", classmethod(failing_part))
    with pytest.raises(OSError, match="No space left"):
        await dataset.append(remote_items(3000), asynchronous=True)
    assert list(spool_dir.iterdir()) == []


async def test_a_cancelled_upload_waits_for_its_write_then_removes_its_spool(
    aclient: Any, spool_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    # Cancellation is the async face's (a sync call cannot be cancelled from outside).
    dataset = await aclient.create_dataset("cancelled", is_scene=False)
    import anyio

    release = threading.Event()
    writing = threading.Event()
    in_write: list[bool] = []
    closed_during_write: list[bool] = []
    real = signed._Part.create.__func__  # type: ignore[attr-defined]

    async def slow_part(cls: Any) -> Any:
        part = await real(cls)
        file = part.file

        class Slow:
            def write(self, chunk: bytes) -> int:
                in_write.append(True)
                writing.set()
                release.wait(10)
                in_write.pop()
                return file.write(chunk)

            def close(self) -> None:
                closed_during_write.append(bool(in_write))
                file.close()

        part.file = Slow()
        return part

    monkeypatch.setattr(signed._Part, "create", classmethod(slow_part))
    upload = anyio.CancelScope()

    async def cancellable_upload() -> None:
        with upload:
            await dataset.append(remote_items(5000), asynchronous=True)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(cancellable_upload)
        await anyio.to_thread.run_sync(writing.wait, 10)
        upload.cancel()
        # The write still runs in its thread: the upload's cleanup must wait for it before
        # closing the file (a close now would be seen by ``Slow.close``).
        await anyio.sleep(0.05)
        release.set()
    assert closed_during_write and not any(closed_during_write)
    assert list(spool_dir.iterdir()) == []
