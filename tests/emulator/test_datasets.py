"""Dataset routes: create, properties, lists, delete, ownership."""

from __future__ import annotations

import httpx
from emulator_helpers import append, create_dataset, item


async def test_create_answers_the_new_dataset_id(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "dataset/create",
        json={
            "name": "cars",
            "is_scene": False,
            "use_privacy_mode": False,
            "annotation_metadata_schema": None,
            "item_metadata_schema": None,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["dataset_id"].startswith("ds_")
    assert body["name"] == "cars"


async def test_properties(api: httpx.AsyncClient) -> None:
    ds = await create_dataset(api, "scenes", is_scene=True, use_privacy_mode=True)
    assert (await api.get(f"dataset/{ds}/name")).json() == {"name": "scenes"}
    assert (await api.get(f"dataset/{ds}/is_scene")).json() == {"is_scene": True}
    assert (await api.get(f"dataset/{ds}/use_privacy_mode")).json() == {"use_privacy_mode": True}
    assert (await api.get(f"dataset/{ds}/model_runs")).json() == []
    assert (await api.get(f"dataset/{ds}/slices")).json() == []
    assert (await api.get(f"dataset/{ds}/slices?name=x&")).json() == []


async def test_info_size_and_items(api: httpx.AsyncClient) -> None:
    schema = {"weather": {"type": "category"}}
    ds = await create_dataset(api, "info", item_metadata_schema=schema)
    await append(api, ds, [item("a", width=640, height=480), item("b")])

    info = (await api.get(f"dataset/{ds}/info")).json()
    assert info == {
        "dataset_id": ds,
        "name": "info",
        "length": 2,
        "model_run_ids": [],
        "slice_ids": [],
        "annotation_metadata_schema": None,
        "item_metadata_schema": schema,
        "tags": [],
    }
    assert (await api.get(f"dataset/{ds}/size")).json() == {"count": 2}
    items = (await api.get(f"dataset/{ds}/datasetItems")).json()["dataset_items"]
    assert [i["reference_id"] for i in items] == ["a", "b"]
    assert items[0]["width"] == 640 and items[0]["height"] == 480
    assert "width" not in items[1]


async def test_details_and_list(api: httpx.AsyncClient) -> None:
    first = await create_dataset(api, "one")
    second = await create_dataset(api, "two")
    assert (await api.get("dataset/details")).json() == [
        {"id": first, "name": "one", "is_public": False},
        {"id": second, "name": "two", "is_public": False},
    ]
    assert (await api.get("dataset/")).json() == {
        "dataset_ids": [first, second],
        "dataset_names": ["one", "two"],
    }


async def test_delete_removes_the_dataset(api: httpx.AsyncClient, dataset: str) -> None:
    await append(api, dataset, [item("a")])
    response = await api.request("DELETE", f"dataset/{dataset}", json={})
    assert response.json() == {"message": "Beginning dataset deletion..."}
    assert (await api.get(f"dataset/{dataset}/info")).status_code == 404
    assert (await api.get("dataset/details")).json() == []


async def test_unknown_dataset_is_a_404(api: httpx.AsyncClient) -> None:
    response = await api.get("dataset/ds_missing/info")
    assert response.status_code == 404
    assert response.text == '{"error":"Dataset ds_missing not found"}'


async def test_another_key_gets_404_and_an_empty_list(
    api: httpx.AsyncClient, other: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a")])
    for path in ("info", "name", "size", "datasetItems", "refloc/a", "iloc/0"):
        assert (await other.get(f"dataset/{dataset}/{path}")).status_code == 404, path
    assert (await other.post(f"dataset/{dataset}/append", json={"items": []})).status_code == 404
    assert (await other.request("DELETE", f"dataset/{dataset}")).status_code == 404
    assert (await other.get("dataset/details")).json() == []
    assert (await api.get(f"dataset/{dataset}/size")).json() == {"count": 1}
