"""Waiting on jobs: errors raise JobError, a stuck job hits the caller's timeout on time, and
a poll that meets a transient failure (after the transport's retries) keeps polling."""

from __future__ import annotations

import time

import anyio
import pytest
from reliability_helpers import make_client, remote_items

from nucleus_async import AsyncJob, JobError, JobTimeoutError, NucleusAPIError
from nucleus_emulator import Emulator


async def _start_job(emu: Emulator, client: object) -> tuple[object, AsyncJob]:
    dataset = await client.create_dataset("jobs", is_scene=False)  # type: ignore[attr-defined]
    emu.jobs.pause()  # the job stays Running until resumed
    job = await dataset.append(remote_items(30, "job"), asynchronous=True)
    assert isinstance(job, AsyncJob)
    return dataset, job


async def test_errored_job_raises_job_error_with_its_errors(emu: Emulator) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset, job = await _start_job(emu, client)
        emu.state.store.jobs.add_errors(job.job_id, ['{"item":"x","error":"first bad thing"}'])
        emu.state.store.datasets.delete(dataset.id)  # type: ignore[attr-defined]
        emu.jobs.resume()
        with pytest.raises(JobError) as caught:
            await job.wait_until_complete(timeout=10, poll_interval=0.02)
    error = caught.value
    assert error.job_id == job.job_id
    assert error.status.startswith("Errored")
    assert any("first bad thing" in e for e in error.errors)
    assert "not found" in str(error)  # the job's message is in the error


async def test_stuck_job_hits_the_callers_timeout(emu: Emulator) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        _, job = await _start_job(emu, client)
        started = time.monotonic()
        with pytest.raises(JobTimeoutError) as caught:
            await job.wait_until_complete(timeout=0.5, poll_interval=0.05)
        elapsed = time.monotonic() - started
        emu.jobs.resume()
    # Never early; and it does end, which a job stuck Running never would. The upper bound is
    # generous (ten times the budget) so a loaded 2-core machine cannot break it.
    assert 0.5 <= elapsed < 5.0
    assert caught.value.last_status == "Running" and caught.value.job_id == job.job_id


async def test_timeout_holds_even_when_polls_hang(emu: Emulator) -> None:
    """Each poll is slower than the caller's whole budget: the timeout still wins."""
    async with make_client(emu.endpoint, emulator=emu, read_timeout=4.0, max_attempts=3) as client:
        _, job = await _start_job(emu, client)
        emu.configure_faults(rate=1.0, kinds=["slow"], seed=3, slow_seconds=5, path_pattern="/job/")
        started = time.monotonic()
        with pytest.raises(JobTimeoutError):
            await job.wait_until_complete(timeout=0.5, poll_interval=0.05)
        elapsed = time.monotonic() - started
        emu.configure_faults(rate=0.0)
        emu.jobs.resume()
    # One hanging poll alone would last its read timeout (4 s) and a poll's retries 12 s: ending
    # sooner means the caller's deadline cut the poll. The margin over the 0.5 s budget is
    # for a loaded machine.
    assert elapsed < 4.0, elapsed


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "504", "drop_before", "slow"])
async def test_transient_poll_failures_keep_polling(emu: Emulator, kind: str) -> None:
    # One attempt per poll, so the failure reaches the waiting loop itself.
    async with make_client(emu.endpoint, emulator=emu, max_attempts=1, read_timeout=0.2) as client:
        _, job = await _start_job(emu, client)
        emu.configure_faults(rate=1.0, kinds=[kind], seed=5, slow_seconds=1, path_pattern="/job/")

        async def recover() -> None:
            await anyio.sleep(0.4)
            emu.configure_faults(rate=0.0)
            emu.jobs.resume()

        async with anyio.create_task_group() as tg:
            tg.start_soon(recover)
            status = await job.wait_until_complete(timeout=10, poll_interval=0.05)
    assert status["status"] == "Completed"
    assert emu.faults.snapshot()["injected"].get(kind, 0) >= 1


async def test_not_found_is_not_transient(emu: Emulator) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        job = AsyncJob("job_does_not_exist", "Running", "uploadDatasetItems", "", client)
        with pytest.raises(NucleusAPIError) as caught:
            await job.wait_until_complete(timeout=5)
    assert caught.value.status_code == 404
