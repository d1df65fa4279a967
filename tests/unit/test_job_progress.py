"""Waiting on a job drives a progress task with the job's step counts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

import nucleus_async
from nucleus_async.resources import jobs as _jobs

ENDPOINT = "https://nucleus.test/v1"


class RecordingTask:
    def __init__(self, description: str, total: int | None) -> None:
        self.description = description
        self.totals: list[int | None] = [total]
        self.advanced = 0
        self.closed = False

    def advance(self, n: int = 1) -> None:
        self.advanced += n

    def set_total(self, total: int | None) -> None:
        self.totals.append(total)

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> RecordingTask:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RecordingProgress:
    def __init__(self) -> None:
        self.tasks: list[RecordingTask] = []

    def task(self, description: str, total: int | None = None) -> RecordingTask:
        self.tasks.append(RecordingTask(description, total))
        return self.tasks[-1]


@respx.mock
async def test_wait_until_complete_shows_the_jobs_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = RecordingProgress()
    settings: list[Any] = []

    def fake_progress_for(setting: bool | None) -> RecordingProgress:
        settings.append(setting)
        return recorder

    monkeypatch.setattr(_jobs, "progress_for", fake_progress_for)
    answers = iter(
        [
            {"status": "Running", "completed_steps": 1, "total_steps": 4},
            {"status": "Running", "completed_steps": 3, "total_steps": 4},
            {"status": "Completed", "completed_steps": 4, "total_steps": 4},
        ]
    )
    respx.get(f"{ENDPOINT}/job/job_1").mock(
        side_effect=lambda request: httpx.Response(200, json=next(answers))
    )
    async with nucleus_async.NucleusClient("key", endpoint=ENDPOINT, progress=True) as client:
        job = nucleus_async.AsyncJob("job_1", "Running", "uploadDatasetItems", "now", client)
        status = await job.wait_until_complete(poll_interval=0.001)
    assert status["status"] == "Completed"
    assert settings == [True]
    (task,) = recorder.tasks
    assert task.description == "Waiting for job job_1"
    assert task.totals[-1] == 4 and task.advanced == 4 and task.closed


@respx.mock
async def test_per_call_progress_overrides_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    settings: list[Any] = []
    monkeypatch.setattr(
        _jobs, "progress_for", lambda setting: settings.append(setting) or RecordingProgress()
    )
    respx.get(f"{ENDPOINT}/job/job_2").mock(
        return_value=httpx.Response(200, json={"status": "Completed"})
    )
    async with nucleus_async.NucleusClient("key", endpoint=ENDPOINT, progress=True) as client:
        job = nucleus_async.AsyncJob("job_2", "Running", "uploadDatasetItems", "now", client)
        await job.wait_until_complete(progress=False)
    assert settings == [False]
