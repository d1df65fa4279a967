"""Dataset tags, the query language, Scale-labeling hand-offs, class labels, model jobs."""

from __future__ import annotations

import httpx
import pytest
from curation_helpers import create_slice, job_status
from emulator_helpers import append, item

from nucleus_emulator import Emulator


async def test_tags_are_idempotent_and_show_in_info(api: httpx.AsyncClient, dataset: str) -> None:
    assert (await api.get(f"dataset/{dataset}/tags")).json() == {"tags": []}
    added = await api.post(f"dataset/{dataset}/tags", json={"tags": ["b", "a", "b"]})
    assert added.json() == {"tags": ["b", "a"]}
    again = await api.post(f"dataset/{dataset}/tags", json={"tags": ["a"]})
    assert again.json() == {"tags": ["b", "a"]}
    removed = await api.request("DELETE", f"dataset/{dataset}/tags", json={"tags": ["b", "zz"]})
    assert removed.json() == {"tags": ["a"]}
    assert (await api.get(f"dataset/{dataset}/info")).json()["tags"] == ["a"]
    bad = await api.post(f"dataset/{dataset}/tags", json={"tags": "a"})
    assert bad.status_code == 400


async def query(api: httpx.AsyncClient, ds: str, text: str, size: int = 100) -> list[str]:
    refs: list[str] = []
    token = None
    while True:
        response = await api.post(
            f"dataset/{ds}/queryItemsPage",
            json={"pageToken": token, "pageSize": size, "query": text},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        refs += [i["reference_id"] for i in body["items"]]
        token = body["nextPageToken"]
        if not token:
            return refs


@pytest.fixture
async def catalogue(api: httpx.AsyncClient, dataset: str) -> str:
    await append(
        api,
        dataset,
        [
            item("car-1", metadata={"kind": "car", "speed": 10, "meta": {"night": 1}}),
            item("car-2", metadata={"kind": "car", "speed": 30.5}),
            item("bike-1", metadata={"kind": "bike", "speed": 5}),
            item("other", metadata={"speed": "fast"}),
        ],
    )
    return dataset


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["car-1", "car-2", "bike-1", "other"]),
        ('metadata.kind = "car"', ["car-1", "car-2"]),
        ("metadata.kind = 'bike'", ["bike-1"]),
        ('metadata.kind != "car"', ["bike-1", "other"]),
        ("metadata.speed > 5", ["car-1", "car-2"]),
        ("metadata.speed >= 5 AND metadata.speed <= 10", ["car-1", "bike-1"]),
        ("metadata.speed < 6 or metadata.speed > 30", ["car-2", "bike-1"]),
        ('NOT (metadata.kind = "car")', ["bike-1", "other"]),
        ('reference_id = "other"', ["other"]),
        ('reference_id > "c"', ["car-1", "car-2", "other"]),
        ("metadata.meta.night = 1", ["car-1"]),
        ('metadata.speed = "fast"', ["other"]),
        (
            '(metadata.kind = "car" OR metadata.kind = "bike") AND metadata.speed < 20',
            [
                "car-1",
                "bike-1",
            ],
        ),
    ],
)
async def test_query_language_subset(
    api: httpx.AsyncClient, catalogue: str, text: str, expected: list[str]
) -> None:
    assert await query(api, catalogue, text, size=1) == expected


@pytest.mark.parametrize(
    "text",
    [
        "metadata.kind LIKE 'c%'",
        'label = "car"',
        "metadata.kind =",
        '(metadata.kind = "car"',
        'metadata.kind = "car" AND',
        "metadata.speed = 1 2",
        "metadata. = 1",
        "metadata.kind ~ 3",
    ],
)
async def test_unsupported_queries_are_400(
    api: httpx.AsyncClient, catalogue: str, text: str
) -> None:
    response = await api.post(f"dataset/{catalogue}/queryItemsPage", json={"query": text})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid query")


async def test_query_page_token_is_bound_to_its_query(
    api: httpx.AsyncClient, catalogue: str
) -> None:
    first = await api.post(f"dataset/{catalogue}/queryItemsPage", json={"query": "", "pageSize": 1})
    token = first.json()["nextPageToken"]
    other = await api.post(
        f"dataset/{catalogue}/queryItemsPage",
        json={"query": "metadata.speed > 1", "pageSize": 1, "pageToken": token},
    )
    assert other.status_code == 400


async def test_scale_labeling_routes_explain_there_is_no_labeling(
    api: httpx.AsyncClient, dataset: str
) -> None:
    ingested = await api.post(f"dataset/{dataset}/ingest_tasks", json={"tasks": ["t1", "t2"]})
    body = ingested.json()
    assert (body["ingested_tasks"], body["ignored_tasks"], body["pending_tasks"]) == (0, 2, 0)
    assert "no Scale labeling" in body["errors"][0]
    project = await api.post("dataset/create_from_project", json={"project_id": "p1"})
    assert project.status_code == 404
    assert "no Scale labeling" in project.json()["error"]
    assert (await api.post("dataset/create_from_project", json={})).status_code == 400
    tasks = (await api.get(f"dataset/{dataset}/exportScaleTaskInfo")).json()
    assert tasks == {"exportedScaleTaskInfoRows": []}


async def test_class_labels_come_from_annotations(api: httpx.AsyncClient, dataset: str) -> None:
    await append(api, dataset, [item("a"), item("b")])
    boxes = [
        {
            "label": label,
            "type": "box",
            "geometry": {"x": 0, "y": 0, "width": 1, "height": 1},
            "reference_id": ref,
            "annotation_id": f"{ref}-{label}",
            "metadata": {},
        }
        for ref, label in (("a", "car"), ("b", "bus"), ("b", "car"))
    ]
    await api.post(f"dataset/{dataset}/annotate", json={"annotations": boxes})
    assert (await api.get(f"dataset/{dataset}/class_labels")).json() == {"data": ["bus", "car"]}
    slc = await create_slice(api, dataset, "s", ["a"])
    assert (await api.get(f"slice/{slc}/class_labels")).json() == {"data": ["car"]}


async def test_model_run_and_evaluate_jobs_end_with_a_clear_user_error(
    api: httpx.AsyncClient, emu: Emulator, dataset: str
) -> None:
    model = (await api.post("models/add", json={"name": "m", "reference_id": "m"})).json()
    run = await api.post(
        f"model/run/{model['model_id']}/",
        json={"dataset_id": dataset, "slice_id": None, "model_run_name": "r"},
    )
    assert run.json()["job_type"] == "modelInferenceRun"
    evaluate = await api.post(f"validate/{model['model_id']}/evaluate", json={"test_names": ["t"]})
    assert evaluate.json()["job_type"] == "triggerEvaluate"
    assert emu.jobs.wait_idle(5)
    ran = await job_status(api, run.json()["job_id"])
    assert ran["status"] == "Errored_User"
    assert "Model inference is not available" in ran["message"]
    evaluated = await job_status(api, evaluate.json()["job_id"])
    assert evaluated["status"] == "Errored_User"
    assert "evaluation is not available" in evaluated["message"]


async def test_misc_routes_of_another_key_are_not_found(
    api: httpx.AsyncClient, other: httpx.AsyncClient, dataset: str
) -> None:
    model = (await api.post("models/add", json={"name": "m", "reference_id": "m"})).json()
    for response in (
        await other.get(f"dataset/{dataset}/tags"),
        await other.post(f"dataset/{dataset}/tags", json={"tags": ["x"]}),
        await other.post(f"dataset/{dataset}/queryItemsPage", json={"query": ""}),
        await other.post(f"dataset/{dataset}/ingest_tasks", json={"tasks": []}),
        await other.get(f"dataset/{dataset}/exportScaleTaskInfo"),
        await other.get(f"dataset/{dataset}/class_labels"),
        await other.post(f"model/run/{model['model_id']}/", json={"dataset_id": dataset}),
        await other.post(f"validate/{model['model_id']}/evaluate", json={"test_names": []}),
    ):
        assert response.status_code == 404
    mine = (await other.post("dataset/create", json={"name": "o"})).json()["dataset_id"]
    foreign_run = await other.post(f"model/run/{model['model_id']}/", json={"dataset_id": mine})
    assert foreign_run.status_code == 404
