"""AsyncJobGroup: the jobs of a split asynchronous upload, waited on as one job."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

import nucleus_async
from nucleus_async.resources.job_group import AsyncJobGroup, job_handle

ENDPOINT = "https://nucleus.test/v1"


def _job_json(job_id: str, status: str = "Running") -> dict[str, Any]:
    return {
        "job_id": job_id,
        "job_last_known_status": status,
        "job_type": "uploadDatasetItems",
        "job_creation_time": "now",
    }


def _status(job_id: str, status: str, done: int, total: int, message: str = "") -> Any:
    body = {
        "job_id": job_id,
        "status": status,
        "message": message,
        "completed_steps": done,
        "total_steps": total,
    }
    return respx.get(f"{ENDPOINT}/job/{job_id}").mock(return_value=httpx.Response(200, json=body))


async def test_one_part_is_a_plain_job() -> None:
    async with nucleus_async.NucleusClient("key", endpoint=ENDPOINT, progress=False) as client:
        job = job_handle([_job_json("job_1")], client)
    assert type(job) is nucleus_async.AsyncJob and job.job_id == "job_1"


@respx.mock
async def test_status_folds_every_jobs_answer() -> None:
    _status("job_1", "Completed", 4, 4)
    _status("job_2", "Running", 1, 6, "ingesting")
    async with nucleus_async.NucleusClient("key", endpoint=ENDPOINT, progress=False) as client:
        group = job_handle([_job_json("job_1"), _job_json("job_2")], client)
        assert isinstance(group, AsyncJobGroup) and isinstance(group, nucleus_async.AsyncJob)
        status = await group.status()
    assert status["status"] == "Running" and group.job_last_known_status == "Running"
    assert (status["completed_steps"], status["total_steps"]) == (5, 10)
    assert status["message"] == "ingesting"
    assert [answer["job_id"] for answer in status["jobs"]] == ["job_1", "job_2"]
    assert group.job_id == "job_1"


@respx.mock
async def test_waiting_raises_the_errored_jobs_error_once_all_have_ended() -> None:
    _status("job_1", "Errored_User", 1, 2, "bad lines")
    polls = _status("job_2", "Completed", 3, 3)
    respx.get(f"{ENDPOINT}/job/job_1/errors").mock(
        return_value=httpx.Response(200, json=["line 7: not JSON"])
    )
    respx.get(f"{ENDPOINT}/job/job_2/errors").mock(return_value=httpx.Response(200, json=[]))
    async with nucleus_async.NucleusClient("key", endpoint=ENDPOINT, progress=False) as client:
        group = job_handle([_job_json("job_1"), _job_json("job_2")], client)
        with pytest.raises(nucleus_async.JobError) as caught:
            await group.wait_until_complete(poll_interval=0.001)
        assert caught.value.job_id == "job_1" and caught.value.errors == ["line 7: not JSON"]
        assert polls.called  # the other job was waited on to its end
        assert await group.errors() == ["line 7: not JSON"]
        status = await group.wait_until_complete(raise_on_error=False)
    assert status["status"] == "Errored_User"


def test_a_group_needs_a_job() -> None:
    with pytest.raises(ValueError, match="at least one job"):
        AsyncJobGroup([], None)  # type: ignore[arg-type]
