"""examples/fastapi_app.py: the app, bound to the pytest plugin's emulator, through TestClient."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from example_helpers import load_example

import nucleus_async
from nucleus_emulator import Emulator

with warnings.catch_warnings():
    # Starlette's TestClient announces a future move to httpx2; nothing to act on here.
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

fastapi_app = load_example("fastapi_app")


def items(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {"reference_id": f"{prefix}-{i}", "image_url": f"https://example.com/{prefix}/{i}.jpg"}
        for i in range(count)
    ]


@pytest.fixture
def http(nucleus_emulator: Emulator, nucleus_sync_client: Any) -> Iterator[TestClient]:
    """The app with its one client bound to the test's emulator (in-process, no port), under
    the same key as ``nucleus_sync_client`` so the test can look behind the app."""

    def client_factory() -> nucleus_async.NucleusClient:
        return nucleus_async.NucleusClient(
            nucleus_sync_client.config.api_key,
            endpoint=nucleus_emulator.endpoint,
            http_transport=nucleus_async.ASGITransport(nucleus_emulator.app),
            progress=False,
        )

    with TestClient(fastapi_app.create_app(client_factory)) as client:  # runs the lifespan
        yield client


def create_dataset(http: TestClient, name: str = "cars") -> str:
    response = http.post("/datasets", json={"name": name})
    assert response.status_code == 201, response.text
    dataset_id: str = response.json()["dataset_id"]
    return dataset_id


def test_create_dataset_then_list_and_describe_it(http: TestClient) -> None:
    dataset_id = create_dataset(http, "cars")

    assert http.get("/datasets").json() == [
        {"dataset_id": dataset_id, "name": "cars", "length": None}
    ]
    assert http.get(f"/datasets/{dataset_id}").json() == {
        "dataset_id": dataset_id,
        "name": "cars",
        "length": 0,
    }


def test_upload_items_returns_the_counts_and_the_items_land(
    http: TestClient, nucleus_sync_client: Any
) -> None:
    dataset_id = create_dataset(http)

    response = http.post(f"/datasets/{dataset_id}/items", json={"items": items("img", 120)})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "dataset_id": dataset_id,
        "new_items": 120,
        "updated_items": 0,
        "ignored_items": 0,
        "upload_errors": 0,
    }
    dataset = nucleus_sync_client.get_dataset(dataset_id)
    assert dataset.info().length == 120
    assert dataset.refloc("img-7")["item"].image_location == "https://example.com/img/7.jpg"


def test_upload_again_counts_ignored_or_updated(http: TestClient) -> None:
    dataset_id = create_dataset(http)
    route = f"/datasets/{dataset_id}/items"
    http.post(route, json={"items": items("img", 10)})

    assert http.post(route, json={"items": items("img", 10)}).json()["ignored_items"] == 10
    again = http.post(route, json={"items": items("img", 10), "update": True})
    assert again.json()["updated_items"] == 10


def test_asynchronous_upload_answers_202_with_a_job_to_poll(
    http: TestClient, nucleus_emulator: Emulator
) -> None:
    dataset_id = create_dataset(http)

    response = http.post(
        f"/datasets/{dataset_id}/items", json={"items": items("job", 50), "asynchronous": True}
    )

    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status_url"] == f"/jobs/{job['job_id']}"
    assert nucleus_emulator.jobs.wait_idle(timeout=30)
    status = http.get(job["status_url"]).json()
    assert status["status"] == "Completed"
    assert http.get(f"/datasets/{dataset_id}").json()["length"] == 50


def test_upload_annotations(http: TestClient, nucleus_sync_client: Any) -> None:
    dataset_id = create_dataset(http)
    http.post(f"/datasets/{dataset_id}/items", json={"items": items("img", 3)})
    box = nucleus_async.BoxAnnotation(
        label="car", x=1, y=2, width=3, height=4, reference_id="img-1", annotation_id="car-1"
    )

    response = http.post(
        f"/datasets/{dataset_id}/annotations", json={"annotations": [box.to_payload()]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["annotations_processed"] == 1
    stored = nucleus_sync_client.get_dataset(dataset_id).refloc("img-1")["annotations"]["box"]
    assert [(b.label, b.annotation_id) for b in stored] == [("car", "car-1")]


def test_nucleus_errors_become_http_answers(http: TestClient) -> None:
    dataset_id = create_dataset(http)
    twice = items("same", 1) * 2

    missing = http.get("/datasets/ds_does_not_exist")
    duplicate = http.post(f"/datasets/{dataset_id}/items", json={"items": twice})
    bad_box = http.post(
        f"/datasets/{dataset_id}/annotations",
        json={"annotations": [{"type": "box", "label": "car"}]},
    )

    assert missing.status_code == 404
    assert "not found" in missing.json()["detail"]
    assert duplicate.status_code == 422
    assert duplicate.json()["field"] == "reference_id"
    assert bad_box.status_code == 422
    assert http.get("/jobs/job_does_not_exist").status_code == 404
    assert http.post("/datasets", json={"name": ""}).status_code == 422  # pydantic's check


def test_the_app_closes_its_client_when_it_stops(
    nucleus_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []
    real_aclose = nucleus_async.NucleusClient.aclose

    async def recording_aclose(self: nucleus_async.NucleusClient) -> None:
        closed.append(True)
        await real_aclose(self)

    monkeypatch.setattr(nucleus_async.NucleusClient, "aclose", recording_aclose)
    app = fastapi_app.create_app(
        lambda: nucleus_async.NucleusClient(
            "k",
            endpoint=nucleus_emulator.endpoint,
            http_transport=nucleus_async.ASGITransport(nucleus_emulator.app),
        )
    )
    with TestClient(app) as http:
        create_dataset(http)
        assert closed == []
    assert closed == [True]


def test_default_configuration_comes_from_the_environment(
    nucleus_env: str, nucleus_sync_client: Any
) -> None:
    # nucleus_env points NUCLEUS_API_KEY/NUCLEUS_ENDPOINT at the emulator served on loopback.
    with TestClient(fastapi_app.create_app()) as http:
        assert http.app.state.nucleus.endpoint == nucleus_env  # type: ignore[attr-defined]
        dataset_id = create_dataset(http, "from-env")
    assert nucleus_sync_client.get_dataset(dataset_id).info().name == "from-env"
