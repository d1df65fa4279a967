"""Signed-URL uploads, the asynchronous append job lifecycle, and the job routes."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from emulator_helpers import append, create_dataset, item

from nucleus_emulator import Emulator


def ndjson(payloads: list[Any]) -> bytes:
    return "".join(json.dumps(p) + "\n" for p in payloads).encode()


async def upload(api: httpx.AsyncClient, ds: str, payloads: list[Any]) -> str:
    """Steps 1 and 2 of the signed-URL flow; returns the request id."""
    request_id = uuid.uuid4().hex
    signed = await api.get(f"dataset/{ds}/signedUrl/{request_id}")
    assert signed.status_code == 200, signed.text
    # The PUT carries no auth, like a presigned storage URL.
    async with httpx.AsyncClient(transport=api._transport) as anonymous:
        put = await anonymous.put(signed.json()["signed_url"], content=ndjson(payloads))
    assert put.status_code == 200
    assert put.headers["content-type"] == "application/json"
    return request_id


async def start_async_append(
    api: httpx.AsyncClient, ds: str, payloads: list[Any], update: bool = False
) -> dict[str, Any]:
    request_id = await upload(api, ds, payloads)
    response = await api.post(
        f"dataset/{ds}/append?async=1", json={"requestId": request_id, "update": update}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_signed_url_points_back_at_the_requesting_host(
    api: httpx.AsyncClient, dataset: str
) -> None:
    response = await api.get(f"dataset/{dataset}/signedUrl/{'a' * 32}?s3Endpoint=%2Fx")
    assert response.json() == {"signed_url": f"http://nucleus-emulator.local/_upload/{'a' * 32}"}


async def test_put_to_an_unissued_signed_url_is_a_404(api: httpx.AsyncClient) -> None:
    response = await api.put("http://nucleus-emulator.local/_upload/never-issued", content=b"x")
    assert response.status_code == 404


async def test_async_append_without_an_upload_is_a_400(
    api: httpx.AsyncClient, dataset: str
) -> None:
    response = await api.post(
        f"dataset/{dataset}/append?async=1", json={"requestId": "nope", "update": False}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "No upload found for requestId nope"}


async def test_async_append_job_lifecycle(
    emu: Emulator, api: httpx.AsyncClient, dataset: str
) -> None:
    emu.jobs.pause()
    job = await start_async_append(api, dataset, [item(f"r{i}") for i in range(3)])
    assert job["job_last_known_status"] == "Running"
    assert job["job_type"] == "uploadDatasetItems"
    assert job["job_id"].startswith("job_")
    running = (await api.get(f"job/{job['job_id']}")).json()
    assert running["status"] == "Running"
    assert running["job_progress"] == "0.00"

    emu.jobs.resume()
    assert emu.jobs.wait_idle(5)
    status = (await api.get(f"job/{job['job_id']}")).json()
    assert status["status"] == "Completed"
    assert status["job_progress"] == "1.00"
    assert status["completed_steps"] == status["total_steps"] == 3
    assert status["message"]["dataset_item_upload"]["new"] == 3
    assert (await api.get(f"job/{job['job_id']}/errors")).json() == []
    info = (await api.get(f"job/{job['job_id']}/info")).json()
    assert info == {
        "job_id": job["job_id"],
        "job_last_known_status": "Completed",
        "job_type": "uploadDatasetItems",
        "job_creation_time": job["job_creation_time"],
    }
    refs = [
        i["reference_id"]
        for i in (await api.get(f"dataset/{dataset}/datasetItems")).json()["dataset_items"]
    ]
    assert refs == ["r0", "r1", "r2"]


async def test_async_append_reports_bad_lines_as_job_errors(
    emu: Emulator, api: httpx.AsyncClient, dataset: str
) -> None:
    job = await start_async_append(api, dataset, [item("ok"), {"reference_id": "no-url"}])
    assert emu.jobs.wait_idle(5)
    status = (await api.get(f"job/{job['job_id']}")).json()
    assert status["status"] == "Completed"
    errors = (await api.get(f"job/{job['job_id']}/errors")).json()
    assert len(errors) == 1
    assert json.loads(errors[0])["item"] == {"reference_id": "no-url"}


async def test_async_append_honours_update(
    emu: Emulator, api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a", metadata={"v": 1})])
    await start_async_append(api, dataset, [item("a", metadata={"v": 2})], update=True)
    assert emu.jobs.wait_idle(5)
    stored = (await api.get(f"dataset/{dataset}/refloc/a")).json()["item"]
    assert stored["metadata"] == {"v": 2}


async def test_list_jobs_filters(emu: Emulator, api: httpx.AsyncClient) -> None:
    first = await create_dataset(api, "first")
    second = await create_dataset(api, "second")
    job_one = await start_async_append(api, first, [item("a")])
    job_two = await start_async_append(api, second, [item("b")])
    assert emu.jobs.wait_idle(5)

    assert (await api.post("jobs/", json={})).json() == []  # completed jobs are hidden
    everything = (await api.post("jobs/", json={"show_completed": True})).json()
    assert [j["job_id"] for j in everything] == [job_two["job_id"], job_one["job_id"]]

    def ids(body: list[dict[str, Any]]) -> list[str]:
        return [j["job_id"] for j in body]

    filters: dict[str, Any] = {
        "dataset_id": first,
        "job_types": ["uploadDatasetItems"],
        "from_date": "2000-01-01 00:00:00",
        "to_date": None,
        "limit": 50000,
        "show_completed": True,
    }
    assert ids((await api.post("jobs/", json=filters)).json()) == [job_one["job_id"]]
    assert (await api.post("jobs/", json={**filters, "job_types": ["other"]})).json() == []
    assert (await api.post("jobs/", json={**filters, "to_date": "2000-01-02"})).json() == []
    limited = await api.post("jobs/", json={"show_completed": True, "limit": 1})
    assert ids(limited.json()) == [job_two["job_id"]]
    too_many = await api.post("jobs/", json={"limit": 50001})
    assert too_many.status_code == 400


async def test_jobs_belong_to_their_key(
    emu: Emulator, api: httpx.AsyncClient, other: httpx.AsyncClient, dataset: str
) -> None:
    job = await start_async_append(api, dataset, [item("a")])
    assert emu.jobs.wait_idle(5)
    for path in ("", "/info", "/errors"):
        response = await other.get(f"job/{job['job_id']}{path}")
        assert response.status_code == 404, path
    assert (await other.post("jobs/", json={"show_completed": True})).json() == []
    assert (await api.get("job/job_unknown")).status_code == 404


async def test_signed_urls_of_another_key_cannot_be_used(
    api: httpx.AsyncClient, other: httpx.AsyncClient, dataset: str
) -> None:
    request_id = await upload(api, dataset, [item("a")])
    other_ds = await create_dataset(other, "theirs")
    response = await other.post(
        f"dataset/{other_ds}/append?async=1", json={"requestId": request_id, "update": False}
    )
    assert response.status_code == 400
    assert (await other.get(f"dataset/{dataset}/signedUrl/{request_id}")).status_code == 404
