"""Bulk uploads through the SERVED emulator under seeded faults: nothing lost, nothing doubled.

Every fault kind is mixed in at 20% (429 with Retry-After, 500/502/503/504, a connection cut
before the handler, a connection cut AFTER the batch was committed, an answer slower than the
client's read timeout). The retried batches the server had already committed come back as
``ignored``, so ``new + ignored == total`` exactly. At 100% of one kind the call fails with
``UploadError`` after the configured retries, in bounded time, naming the batches.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    API_KEY,
    RecordingSleep,
    assert_batches_whole,
    make_client,
    remote_items,
    stored_refs,
)

import nucleus_async
from nucleus_async import BoxAnnotation, DatasetItem, UploadError
from nucleus_emulator import Emulator
from nucleus_emulator.faults import AFTER_COMMIT_KINDS, FAULT_KINDS

SEED = 20240611
READ_TIMEOUT = 1.0
SLOW_SECONDS = 2.0
logger = logging.getLogger(__name__)


def _faults_on(emu: Emulator, rate: float, kinds: Any = None, **options: Any) -> None:
    emu.configure_faults(
        rate=rate,
        kinds=kinds,
        seed=SEED,
        slow_seconds=SLOW_SECONDS,
        reset_counters=True,
        **options,
    )


def _report(name: str, emu: Emulator, sleep: RecordingSleep, extra: str = "") -> None:
    snap = emu.faults.snapshot()
    # Printed for the report (pytest -s / -rP); the assertions below do the checking.
    print(
        f"\n[{name}] requests={snap['requests_seen']} faults={snap['injected_total']} "
        f"{snap['injected']} retries={sleep.retries} {extra}"
    )


async def test_10k_remote_items_at_20_percent_faults(emu: Emulator, served: str) -> None:
    sleep = RecordingSleep()
    items = remote_items(10_000, "remote")
    async with make_client(served, sleep=sleep, read_timeout=READ_TIMEOUT) as client:
        dataset = await client.create_dataset("faults-remote", is_scene=False)
        _faults_on(emu, 0.2)
        response = await dataset.append(items, batch_size=50)
        emu.configure_faults(rate=0.0)
    snap = emu.faults.snapshot()
    _report("10k remote", emu, sleep, str(response.json()))
    assert snap["injected_total"] >= 30, snap  # the run really met faults
    assert set(snap["injected"]) == set(FAULT_KINDS), snap  # of every kind
    assert sleep.retries >= snap["injected_total"] - snap["injected"].get("slow", 0)
    # Retry-After of the injected 429s was honoured (1 s; the test sleep is capped).
    assert 1.0 in sleep.delays
    stored = stored_refs(emu, dataset.id)
    assert len(stored) == len(set(stored)) == 10_000  # no duplicates, nothing lost
    assert set(stored) == {item.reference_id for item in items}
    assert response.new_items + response.ignored_items == 10_000
    assert response.updated_items == 0 and response.upload_errors == 0
    if snap["injected"].get("drop_after"):
        assert response.ignored_items > 0  # committed-then-dropped batches came back ignored


def _write_images(folder: Path, n: int, tag: bytes = b"v1") -> list[Path]:
    paths = []
    for i in range(n):
        path = folder / f"img-{i}.jpg"
        path.write_bytes(b"\xff\xd8\xff\xe0" + tag + i.to_bytes(4, "big"))
        paths.append(path)
    return paths


async def test_500_local_files_at_20_percent_faults(
    emu: Emulator, served: str, tmp_path: Path
) -> None:
    sleep = RecordingSleep()
    paths = _write_images(tmp_path, 500)
    items = [
        DatasetItem(image_location=str(p), reference_id=f"local-{i}") for i, p in enumerate(paths)
    ]
    async with make_client(served, sleep=sleep, read_timeout=READ_TIMEOUT) as client:
        dataset = await client.create_dataset("faults-local", is_scene=False)
        _faults_on(emu, 0.2)
        response = await dataset.append(items, local_files_per_upload_request=10)
        emu.configure_faults(rate=0.0)
    snap = emu.faults.snapshot()
    _report("500 local", emu, sleep, str(response.json()))
    assert snap["injected_total"] >= 5, snap
    rows = emu.state.store.items.in_dataset(dataset.id)
    refs = [row.reference_id for row in rows]
    assert len(refs) == len(set(refs)) == 500
    assert response.new_items + response.ignored_items == 500 and response.upload_errors == 0
    # Every stored image is the file's exact bytes.
    by_ref = {row.reference_id: row for row in rows}
    for i, path in enumerate(paths):
        blob = by_ref[f"local-{i}"].blob
        assert blob is not None and emu.state.blobs.get(blob) == path.read_bytes()


async def test_50k_annotations_at_20_percent_faults(emu: Emulator, served: str) -> None:
    sleep = RecordingSleep()
    items = remote_items(1_000, "ann")
    boxes = [
        BoxAnnotation(
            label="car",
            x=float(j),
            y=1.0,
            width=2.0,
            height=3.0,
            reference_id=f"ann-{i}",
            annotation_id=f"box-{i}-{j}",
        )
        for i in range(1_000)
        for j in range(50)
    ]
    # A batch of 500 boxes takes the emulator longer than the item tests' 1 s read timeout
    # when 16 run at once on a shared machine; the slow fault still outlasts this timeout.
    async with make_client(served, sleep=sleep, read_timeout=8.0) as client:
        dataset = await client.create_dataset("faults-annotations", is_scene=False)
        await dataset.append(items, batch_size=500)
        _faults_on(emu, 0.2)
        emu.configure_faults(slow_seconds=9.0)
        response = await dataset.annotate(boxes, batch_size=500)
        emu.configure_faults(rate=0.0)
    _report(
        "50k annotations", emu, sleep, str({k: v for k, v in response.items() if k != "errors"})
    )
    assert isinstance(response, dict)
    assert not response.get("errors"), response.get("errors")[:3]
    assert response["annotations_processed"] + response["annotations_ignored"] == 50_000
    units = emu.state.store.annotations.units_of_dataset(dataset.id)
    ids = [unit.payload.get("annotation_id") for unit in units]
    assert len(ids) == len(set(ids)) == 50_000
    assert emu.faults.snapshot()["injected_total"] >= 10


@pytest.mark.parametrize("kind", FAULT_KINDS)
async def test_every_batch_failing_raises_upload_error(
    emu: Emulator, served: str, kind: str
) -> None:
    sleep = RecordingSleep()
    # More batches than workers: some are never sent once the first one has failed.
    items = remote_items(120, f"fail-{kind}")
    async with make_client(
        served, sleep=sleep, max_attempts=3, read_timeout=0.5, max_concurrency=2
    ) as client:
        dataset = await client.create_dataset("faults-all", is_scene=False)
        _faults_on(emu, 1.0, [kind], path_pattern="/append$", retry_after=0)
        emu.configure_faults(slow_seconds=1.0)
        started = time.monotonic()
        with pytest.raises(UploadError) as caught:
            await dataset.append(items, batch_size=20)
        elapsed = time.monotonic() - started
        emu.configure_faults(rate=0.0)
    error = caught.value
    _report(f"100% {kind}", emu, sleep, f"elapsed={elapsed:.2f}s")
    # Retry sleeps are recorded, not slept; only `slow` waits for real (0.5 s read timeouts).
    # A client that kept retrying or sent every queued batch would run for minutes: the bound
    # is loose so a loaded 2-core machine cannot break it.
    assert elapsed < 60
    assert error.failed_batches, "the error names the batches that did not land"
    failed_refs = [ref for refs, _ in error.failed_batches for ref in refs]
    assert set(failed_refs) <= {item.reference_id for item in items}
    first = error.failed_batches[0][1]
    # The cause is the mapped error of the last attempt, after max_attempts tries each.
    expected: type[Exception] = (
        nucleus_async.NucleusAPIError
        if kind.isdigit() or kind == "500_after"
        else nucleus_async.NucleusTimeoutError
        if kind == "slow"
        else nucleus_async.NucleusConnectionError
    )
    assert isinstance(first, expected), repr(first)
    if kind.isdigit() or kind == "500_after":
        assert first.status_code == int(kind[:3])  # type: ignore[attr-defined]
    assert "did not land" in str(error)
    # Every item is accounted for: landed (partial) + named as failed or never sent.
    unsent = getattr(error, "unsent_reference_ids", None)
    partial = error.partial
    accounted = partial.new_items + partial.ignored_items + len(failed_refs)
    accounted += len(unsent) if unsent is not None else 0
    assert accounted == 120, (accounted, str(error))
    batches = [[item.reference_id for item in items[i : i + 20]] for i in range(0, 120, 20)]
    stored = stored_refs(emu, dataset.id)
    assert_batches_whole(stored, batches)
    if kind not in AFTER_COMMIT_KINDS:
        assert stored == []  # nothing was committed


def test_sync_facade_under_faults(emu: Emulator, served: str) -> None:
    import nucleus_sync

    sleep = RecordingSleep()
    items = remote_items(2_000, "sync")
    with nucleus_sync.NucleusClient(
        API_KEY,
        endpoint=served,
        retry=nucleus_async.RetryPolicy(max_attempts=10, sleep=sleep),
        timeouts=nucleus_async.Timeouts(connect=5, read=READ_TIMEOUT, write=5, pool=30),
        progress=False,
    ) as client:
        dataset = client.create_dataset("faults-sync", is_scene=False)
        _faults_on(emu, 0.2)
        response = dataset.append(items, batch_size=20)
        _faults_on(emu, 1.0, ["503"], path_pattern="/append$")
        with pytest.raises(UploadError) as caught:
            dataset.append(remote_items(40, "sync-fail"), batch_size=20)
        emu.configure_faults(rate=0.0)
        dataset_id = dataset.id
    _report("sync", emu, sleep, str(response.json()))
    stored = stored_refs(emu, dataset_id)
    assert len(stored) == len(set(stored)) == 2_000
    assert response.new_items + response.ignored_items == 2_000
    assert isinstance(caught.value.failed_batches[0][1], nucleus_async.ServerError)


async def test_multipart_retry_rereads_the_files(
    emu: Emulator, served: str, tmp_path: Path
) -> None:
    """The first attempt fails; before the retry the files change on disk; the server gets
    the new bytes, so the retry built its body from the files again (not from a cached copy)."""
    paths = _write_images(tmp_path, 3, b"old")

    def between_attempts(retry_number: int) -> None:
        for i, path in enumerate(paths):
            path.write_bytes(b"\xff\xd8\xff\xe0new" + i.to_bytes(4, "big"))
        emu.configure_faults(rate=0.0)

    sleep = RecordingSleep(on_sleep=between_attempts)
    items = [
        DatasetItem(image_location=str(p), reference_id=f"reread-{i}") for i, p in enumerate(paths)
    ]
    async with make_client(served, sleep=sleep, max_attempts=2) as client:
        dataset = await client.create_dataset("reread", is_scene=False)
        _faults_on(emu, 1.0, ["500"], path_pattern="/append$")
        response = await dataset.append(items)
    assert sleep.retries == 1 and response.new_items == 3
    rows = {row.reference_id: row for row in emu.state.store.items.in_dataset(dataset.id)}
    for i in range(3):
        blob = rows[f"reread-{i}"].blob
        assert blob is not None
        assert emu.state.blobs.get(blob) == b"\xff\xd8\xff\xe0new" + i.to_bytes(4, "big")
