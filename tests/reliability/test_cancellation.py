"""Cancelling an upload: no new request starts, nothing is left running, batches stay whole.

Driven over TCP (the served emulator) with injected latency so batches are in flight when the
cancellation lands: an anyio deadline (`fail_after`), a cancel scope cancelled from another
task, and Ctrl-C (KeyboardInterrupt) in the sync facade.
"""

from __future__ import annotations

import _thread
import asyncio
import threading
import time
from typing import Any

import anyio
import pytest
from reliability_helpers import (
    API_KEY,
    active_connections,
    assert_batches_whole,
    await_until,
    make_client,
    remote_items,
    stored_refs,
    wait_until,
)

import nucleus_async
from nucleus_emulator import Emulator

BATCH = 20
N_ITEMS = 2_000  # 100 batches: far more than can finish before the cancellation


def _batches(items: list[Any]) -> list[list[str]]:
    refs = [item.reference_id for item in items]
    return [refs[i : i + BATCH] for i in range(0, len(refs), BATCH)]


async def _assert_quiet_after_cancel(
    emu: Emulator, client: nucleus_async.NucleusClient, tasks_before: set[asyncio.Task[Any]]
) -> None:
    sent_at_cancel = client._transport.requests_sent
    # Requests already on the wire may still reach the server; then nothing more arrives.
    assert await await_until(lambda: emu.stats.in_flight == 0, timeout=10)
    await asyncio.sleep(0.05)
    arrived = emu.stats.requests
    await asyncio.sleep(0.4)
    assert emu.stats.requests == arrived, "a request started after the cancellation"
    assert client._transport.requests_sent == sent_at_cancel
    assert active_connections(client) == 0
    leftover = set(asyncio.all_tasks()) - tasks_before - {asyncio.current_task()}
    assert not leftover, leftover


async def test_fail_after_stops_the_upload(emu: Emulator, served: str) -> None:
    items = remote_items(N_ITEMS, "deadline")
    async with make_client(served, max_concurrency=4) as client:
        dataset = await client.create_dataset("cancel-deadline", is_scene=False)
        emu.latency = 0.1
        tasks_before = set(asyncio.all_tasks())
        # No clock here: `landed` below shows the upload stopped part-way, and the quiet check
        # that no request leaves after the deadline.
        with pytest.raises(TimeoutError):
            with anyio.fail_after(0.5):
                await dataset.append(items, batch_size=BATCH)
        await _assert_quiet_after_cancel(emu, client, tasks_before)
        emu.latency = 0.0
    landed = assert_batches_whole(stored_refs(emu, dataset.id), _batches(items))
    assert 0 < landed < len(items) // BATCH


async def test_cancel_scope_from_another_task(emu: Emulator, served: str) -> None:
    items = remote_items(N_ITEMS, "scope")
    async with make_client(served, max_concurrency=4) as client:
        dataset = await client.create_dataset("cancel-scope", is_scene=False)
        emu.latency = 0.1
        tasks_before = set(asyncio.all_tasks())
        finished = False

        async def upload() -> None:
            nonlocal finished
            await dataset.append(items, batch_size=BATCH)
            finished = True

        async with anyio.create_task_group() as tg:
            tg.start_soon(upload)
            await anyio.sleep(0.4)
            tg.cancel_scope.cancel()
        assert not finished
        await _assert_quiet_after_cancel(emu, client, tasks_before)
        emu.latency = 0.0
    assert_batches_whole(stored_refs(emu, dataset.id), _batches(items))


async def test_cancel_during_retry_backoff(emu: Emulator, served: str) -> None:
    """A batch waiting to retry is cancelled too: the retry never happens."""
    async with nucleus_async.NucleusClient(
        API_KEY,
        endpoint=served,
        retry=nucleus_async.RetryPolicy(max_attempts=10, initial_delay=5.0, jitter=0.0),
        progress=False,
    ) as client:
        dataset = await client.create_dataset("cancel-backoff", is_scene=False)
        emu.configure_faults(rate=1.0, kinds=["503"], seed=1, path_pattern="/append$")
        before = client._transport.requests_sent
        with anyio.move_on_after(0.5):
            await dataset.append(remote_items(40, "backoff"), batch_size=BATCH)
        sent = client._transport.requests_sent
        await asyncio.sleep(0.3)
        assert client._transport.requests_sent == sent == before + 2  # one try per batch
        emu.configure_faults(rate=0.0)
        assert active_connections(client) == 0


def _loop_task_count() -> int:
    from nucleus_sync import _runtime

    async def count() -> int:
        return len(asyncio.all_tasks())

    return _runtime.call(count)


def test_keyboard_interrupt_in_sync_facade(emu: Emulator, served: str) -> None:
    import nucleus_sync

    items = remote_items(N_ITEMS, "ctrl-c")
    with nucleus_sync.NucleusClient(
        API_KEY, endpoint=served, max_concurrency=4, progress=False
    ) as client:
        dataset = client.create_dataset("cancel-ctrl-c", is_scene=False)
        tasks_before = _loop_task_count()
        emu.latency = 0.1
        timer = threading.Timer(0.5, _thread.interrupt_main)
        timer.start()
        try:
            # No clock: `landed` at the end shows the upload stopped part-way.
            with pytest.raises(KeyboardInterrupt):
                dataset.append(items, batch_size=BATCH)
        finally:
            timer.cancel()
        sent = client._core._transport.requests_sent
        assert wait_until(lambda: emu.stats.in_flight == 0, timeout=10)
        time.sleep(0.05)
        arrived = emu.stats.requests
        time.sleep(0.4)
        assert emu.stats.requests == arrived
        assert client._core._transport.requests_sent == sent
        assert active_connections(client) == 0
        assert _loop_task_count() == tasks_before
        emu.latency = 0.0
        # The client still works after the interrupt.
        assert dataset.info().length == len(stored_refs(emu, dataset.id))
        dataset_id = dataset.id
    landed = assert_batches_whole(stored_refs(emu, dataset_id), _batches(items))
    assert landed < len(items) // BATCH
