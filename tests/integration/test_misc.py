"""Jobs, queries, labeling hand-offs, the escape hatch and Launch, through both faces.

The emulator has no Scale labeling projects: ``ingest_tasks`` ignores every task (with a
reason), ``create_dataset_from_project`` answers 404. (``export_scale_task_info`` exports no rows
here, so its rows are checked against recorded answers in ``unit/test_wire_scope_requests.py``.)
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import anyio.to_thread
import pytest

import nucleus_async as nucleus
from nucleus_async.resources import jobs as _jobs


def items(n: int) -> list[nucleus.DatasetItem]:
    return [
        nucleus.DatasetItem(
            image_location=f"s3://bucket/{i}.jpg",
            reference_id=f"img-{i}",
            metadata={"weather": "fog" if i % 2 else "sun", "i": i},
        )
        for i in range(n)
    ]


async def test_dataset_jobs_lists_its_jobs_and_summarises_them(dataset: Any) -> None:
    job = await dataset.append(items(3), asynchronous=True)
    await job.wait_until_complete(timeout=30)
    jobs = await dataset.jobs(show_completed=True)
    assert job.job_id in [j.job_id for j in jobs]
    stats = await dataset.jobs(show_completed=True, stats_only=True)
    assert stats["uploadDatasetItems"]["Completed"] >= 1
    only = await dataset.jobs(job_types=["uploadDatasetItems"], show_completed=True)
    assert {j.job_type for j in only} == {"uploadDatasetItems"}


class RecordingBar:
    """A progress task that records what a job wait showed on it."""

    def __init__(self, total: int | None) -> None:
        self.totals = [total]
        self.advanced = 0
        self.closed = False

    def advance(self, n: int = 1) -> None:
        self.advanced += n

    def set_total(self, total: int | None) -> None:
        self.totals.append(total)

    def __enter__(self) -> RecordingBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True


async def test_waiting_on_a_job_shows_the_steps_the_service_reports(
    dataset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bars: list[RecordingBar] = []

    class RecordingProgress:
        def task(self, description: str, total: int | None = None) -> RecordingBar:
            bars.append(RecordingBar(total))
            return bars[-1]

    monkeypatch.setattr(_jobs, "progress_for", lambda setting: RecordingProgress())
    job = await dataset.append(items(5), asynchronous=True)
    status = await job.wait_until_complete(timeout=30, progress=True)
    assert status["status"] == "Completed"
    (bar,) = bars
    assert status["total_steps"] >= 1
    assert bar.totals[-1] == status["total_steps"]
    assert bar.advanced == status["completed_steps"] == status["total_steps"]
    assert bar.closed


async def test_query_items_filters_on_metadata(dataset: Any) -> None:
    await dataset.append(items(6))
    found = [item.reference_id async for item in dataset.query_items("metadata.weather = 'fog'")]
    assert sorted(found) == ["img-1", "img-3", "img-5"]
    found = [item.reference_id async for item in dataset.query_items("metadata.i >= 4")]
    assert sorted(found) == ["img-4", "img-5"]


async def test_an_invalid_query_is_an_api_error(dataset: Any) -> None:
    await dataset.append(items(1))
    with pytest.raises(nucleus.NucleusAPIError):
        [item async for item in dataset.query_items("metadata.weather = = 'fog'")]


async def test_labeling_hand_offs_without_projects(client: Any, dataset: Any) -> None:
    await dataset.append(items(1))
    result = await dataset.ingest_tasks(["task_1", "task_2"])
    assert (result["ingested_tasks"], result["ignored_tasks"]) == (0, 2)
    with pytest.raises(nucleus.NotFoundError, match="proj_1"):
        await client.create_dataset_from_project("proj_1", last_n_tasks=10, name="imported")


async def test_make_request_reaches_any_route_with_a_name_or_a_callable(
    client: Any, dataset: Any
) -> None:
    import requests

    await dataset.append(items(2))

    info = await client.make_request(
        {}, f"dataset/{dataset.id}/info", requests_command=requests.get
    )
    assert info["dataset_id"] == dataset.id
    same = await client.make_request(None, f"dataset/{dataset.id}/info", requests_command="get")
    assert same == info
    page = await client.make_request(
        {"pageToken": None, "pageSize": 10}, f"dataset/{dataset.id}/itemsPage"
    )
    assert [item["reference_id"] for item in page["items"]] == ["img-0", "img-1"]
    assert not page["nextPageToken"]
    raw = await client.make_request(
        None, f"dataset/{dataset.id}/info", requests_command="get", return_raw_response=True
    )
    assert raw.status_code == 200 and raw.json()["dataset_id"] == dataset.id
    with pytest.raises(nucleus.NotFoundError):
        await client.make_request(None, "dataset/ds_missing/info", requests_command=requests.get)


async def test_launch_models_need_the_launch_package(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "launch", None)
    with pytest.raises(ModuleNotFoundError, match="scale-launch"):
        await client.create_launch_model("m", "ref", {"predict_fn_or_cls": len})
    with pytest.raises(ModuleNotFoundError, match="scale-launch"):
        await client.create_launch_model_from_dir("m", "ref", {"base_paths": ["."]})


async def test_an_unreachable_endpoint_is_named_in_the_connection_error(face: str) -> None:
    with socket.socket() as sock:  # a port nothing listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])

    async def no_sleep(_: float) -> None:
        return None

    options: dict[str, Any] = {
        "endpoint": f"http://127.0.0.1:{port}/v1/nucleus",
        "retry": nucleus.RetryPolicy(max_attempts=2, sleep=no_sleep),
        "progress": False,
    }

    def blocking_script() -> None:
        import nucleus_sync

        with nucleus_sync.NucleusClient("k", **options) as sync_client:
            sync_client.list_datasets()

    with pytest.raises(nucleus.NucleusConnectionError) as caught:
        if face == "async":
            async with nucleus.NucleusClient("k", **options) as client:
                await client.list_datasets()
        else:
            await anyio.to_thread.run_sync(blocking_script)
    assert str(caught.value).startswith(f"Could not reach 127.0.0.1:{port}: ConnectError after 2")
    assert caught.value.host == f"127.0.0.1:{port}"
