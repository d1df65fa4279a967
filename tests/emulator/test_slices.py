"""Slices: create/build, lists with filters, reads, append, paging, exports, ownership."""

from __future__ import annotations

from typing import Any

import httpx
from curation_helpers import create_scene_dataset, create_slice, job_status, lidar_scene
from emulator_helpers import append, item

from nucleus_emulator import Emulator


async def seeded(api: httpx.AsyncClient, ds: str, count: int = 5) -> None:
    await append(api, ds, [item(f"r{i}", metadata={"i": i, "group": i % 2}) for i in range(count)])


async def test_create_slice_and_read_it_back(api: httpx.AsyncClient, dataset: str) -> None:
    await seeded(api, dataset)
    slc = await create_slice(api, dataset, "pair", ["r3", "r1", "r3"])
    assert slc.startswith("slc_")
    info = (await api.get(f"slice/{slc}/info")).json()
    assert set(info) == {
        "name",
        "dataset_id",
        "created_at",
        "pending_job_count",
        "type",
        "description",
        "slice_id",
        "tags",
    }
    assert (info["name"], info["dataset_id"], info["type"]) == ("pair", dataset, "dataset_item")
    assert info["pending_job_count"] == 0 and info["tags"] == []
    full = (await api.get(f"slice/{slc}")).json()
    assert [i["reference_id"] for i in full["items"]] == ["r3", "r1"]
    assert all(i["id"].startswith("di_") for i in full["items"])
    ds_info = (await api.get(f"dataset/{dataset}/info")).json()
    assert ds_info["slice_ids"] == [slc]


async def test_create_slice_errors(api: httpx.AsyncClient, dataset: str) -> None:
    await seeded(api, dataset, 2)
    missing = await api.post(
        f"dataset/{dataset}/create_slice", json={"name": "x", "reference_ids": ["r0", "zz"]}
    )
    assert missing.status_code == 400
    assert "zz" in missing.json()["error"]
    no_refs = await api.post(f"dataset/{dataset}/create_slice", json={"name": "x"})
    assert no_refs.status_code == 400
    empty = await api.post(f"dataset/{dataset}/create_slice", json={"name": "e", "allow_empty": 1})
    assert empty.status_code == 200
    too_many = await api.post(
        f"dataset/{dataset}/create_slice",
        json={"name": "x", "reference_ids": [f"r{i}" for i in range(10001)]},
    )
    assert too_many.status_code == 400


async def test_create_slice_by_item_ids(api: httpx.AsyncClient, dataset: str) -> None:
    await seeded(api, dataset, 2)
    item_id = (await api.get(f"dataset/{dataset}/refloc/r1")).json()["item"]["id"]
    response = await api.post(
        f"dataset/{dataset}/create_slice", json={"name": "ids", "dataset_item_ids": [item_id]}
    )
    slc = response.json()["slice_id"]
    assert [i["id"] for i in (await api.get(f"slice/{slc}")).json()["items"]] == [item_id]


async def test_append_deduplicates_and_reports_new_refs(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await seeded(api, dataset)
    slc = await create_slice(api, dataset, "s", ["r0"])
    response = await api.post(
        f"slice/{slc}/append", json={"reference_ids": ["r0", "r2", "r2"], "dataset_id": dataset}
    )
    assert response.json() == {"slice_id": slc, "new_items": ["r2"]}
    wrong = await api.post(
        f"slice/{slc}/append", json={"reference_ids": ["r1"], "dataset_id": "ds_other"}
    )
    assert wrong.status_code == 400


async def test_items_page_paginates_in_slice_order(api: httpx.AsyncClient, dataset: str) -> None:
    await seeded(api, dataset)
    slc = await create_slice(api, dataset, "s", ["r4", "r0", "r2"])
    seen: list[str] = []
    token = None
    while True:
        page = (
            await api.post(f"slice/{slc}/itemsPage", json={"pageToken": token, "pageSize": 2})
        ).json()
        seen += [i["reference_id"] for i in page["items"]]
        token = page["nextPageToken"]
        if not token:
            break
    assert seen == ["r4", "r0", "r2"]
    bad = await api.post(f"slice/{slc}/itemsPage", json={"pageToken": "garbage"})
    assert bad.status_code == 400


async def test_dataset_slices_filters_by_name_and_type(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await seeded(api, dataset)
    a = await create_slice(api, dataset, "a b", ["r0"])
    b = await create_slice(api, dataset, "b", ["r1"])
    everything = (await api.get(f"dataset/{dataset}/slices")).json()
    assert [s["id"] for s in everything] == [a, b]
    assert {"id", "name", "dataset_id", "type", "created_at"} <= set(everything[0])
    named = (await api.get(f"dataset/{dataset}/slices?name=a%20b&")).json()
    assert [s["id"] for s in named] == [a]
    typed = (await api.get(f"dataset/{dataset}/slices?type=SliceType.DATASET_ITEM")).json()
    assert len(typed) == 2
    assert (await api.get(f"dataset/{dataset}/slices?")).json() == everything
    assert (await api.get(f"dataset/{dataset}/slices?type=object")).json() == []
    assert (await api.get(f"dataset/{dataset}/slices?type=bogus")).status_code == 400
    assert [s["id"] for s in (await api.get("slice/")).json()] == [a, b]


async def test_scene_slices(api: httpx.AsyncClient) -> None:
    ds = await create_scene_dataset(api)
    await api.post(f"{ds}/upload_scenes", json={"scenes": [lidar_scene("s1"), lidar_scene("s2")]})
    slc = await create_slice(api, ds, "scenes", ["s2"])
    info = (await api.get(f"slice/{slc}/info")).json()
    assert info["type"] == "scene"
    members = (await api.get(f"slice/{slc}")).json()["items"]
    assert [(m["reference_id"], m["id"][:4]) for m in members] == [("s2", "scn_")]
    raw = (await api.get(f"slice/{slc}/exportRawItems")).json()["raw_dataset_items"]
    assert len(raw) == 4  # the scene's items
    typed = (await api.get(f"dataset/{ds}/slices?type=scene")).json()
    assert [s["id"] for s in typed] == [slc]


async def test_exports_and_raw_items(api: httpx.AsyncClient, dataset: str) -> None:
    await seeded(api, dataset, 3)
    slc = await create_slice(api, dataset, "s", ["r0", "r2"])
    rows = (await api.get(f"slice/{slc}/exportForTraining")).json()["exportedRows"]
    assert [r["item"]["reference_id"] for r in rows] == ["r0", "r2"]
    for key in ("box", "polygon", "line", "keypoints", "cuboid", "category", "multicategory"):
        assert rows[0][key] == []
    page = (await api.post(f"slice/{slc}/exportForTrainingPage", json={"pageSize": 1})).json()
    assert len(page["data"]) == 1 and page["nextPageToken"]
    rest = (
        await api.post(
            f"slice/{slc}/exportForTrainingPage",
            json={"pageSize": 1, "pageToken": page["nextPageToken"]},
        )
    ).json()
    assert rest["data"][0]["item"]["reference_id"] == "r2" and rest["nextPageToken"] is None
    raw = (await api.get(f"slice/{slc}/exportRawItems")).json()
    assert raw["raw_dataset_items"][0] == {
        "id": rows[0]["item"]["id"],
        "ref_id": "r0",
        "metadata": {"i": 0, "group": 0},
        "original_url": "s3://bucket/r0.jpg",
        "scale_url": "s3://bucket/r0.jpg",
    }
    tasks = (await api.get(f"slice/{slc}/exportScaleTaskInfo")).json()
    assert tasks == {"exportedScaleTaskInfoRows": []}


async def test_prediction_export_of_a_model_without_predictions(
    api: httpx.AsyncClient, other: httpx.AsyncClient, dataset: str
) -> None:
    await seeded(api, dataset, 2)
    slc = await create_slice(api, dataset, "s", ["r1"])
    model = (await api.post("models/add", json={"name": "m", "reference_id": "m"})).json()
    rows = (await api.get(f"slice/{slc}/{model['model_id']}/exportForTraining")).json()
    assert rows["exportedRows"][0]["item"]["reference_id"] == "r1"
    assert rows["exportedRows"][0]["box"] == []
    page = await api.post(f"slice/{slc}/{model['model_id']}/exportForTrainingPage", json={})
    assert page.json()["nextPageToken"] is None
    foreign = (await other.post("models/add", json={"name": "x", "reference_id": "x"})).json()
    assert (
        await api.get(f"slice/{slc}/{foreign['model_id']}/exportForTraining")
    ).status_code == 404


async def test_build_slice_random_is_seeded_and_filters_by_slice(
    api: httpx.AsyncClient, emu: Emulator, dataset: str
) -> None:
    await seeded(api, dataset, 20)
    source = await create_slice(api, dataset, "src", [f"r{i}" for i in range(10)])
    body: dict[str, Any] = {
        "name": "sample",
        "sampleSize": 4,
        "sampleMethod": "Random",
        "filters": {"sliceId": source},
    }
    emu.jobs.pause()
    built = (await api.post(f"dataset/{dataset}/build_slice", json=body)).json()
    assert built["job_type"] == "sliceQuery" and built["sliceId"].startswith("slc_")
    info = (await api.get(f"slice/{built['sliceId']}/info")).json()
    assert info["pending_job_count"] == 1
    emu.jobs.resume()
    assert emu.jobs.wait_idle(5)
    status = await job_status(api, built["job_id"])
    assert status["message"]["slice_build"]["selected"] == 4
    refs = [i["reference_id"] for i in (await api.get(f"slice/{built['sliceId']}")).json()["items"]]
    assert len(set(refs)) == 4 and all(int(r[1:]) < 10 for r in refs)

    # Same dataset + name + pool: same sample.
    await api.delete(f"slice/{built['sliceId']}")
    again = (await api.post(f"dataset/{dataset}/build_slice", json=body)).json()
    assert emu.jobs.wait_idle(5)
    again_refs = [
        i["reference_id"] for i in (await api.get(f"slice/{again['sliceId']}")).json()["items"]
    ]
    assert again_refs == refs


async def test_build_slice_uniqueness_without_embeddings_spreads_over_metadata(
    api: httpx.AsyncClient, emu: Emulator, dataset: str
) -> None:
    await append(api, dataset, [item(f"a{i}", metadata={"k": "a"}) for i in range(5)])
    await append(api, dataset, [item(f"b{i}", metadata={"k": "b"}) for i in range(5)])
    built = (
        await api.post(
            f"dataset/{dataset}/build_slice",
            json={"name": "u", "sampleSize": 2, "sampleMethod": "Uniqueness", "filters": {}},
        )
    ).json()
    assert emu.jobs.wait_idle(5)
    items = (await api.get(f"slice/{built['sliceId']}")).json()["items"]
    assert sorted(i["metadata"]["k"] for i in items) == ["a", "b"]


async def test_build_slice_validation(api: httpx.AsyncClient, dataset: str) -> None:
    route = f"dataset/{dataset}/build_slice"
    base = {"name": "x", "sampleSize": 2, "sampleMethod": "Random", "filters": {}}
    assert (await api.post(route, json={**base, "sampleMethod": "Best"})).status_code == 400
    assert (await api.post(route, json={**base, "sampleSize": 0})).status_code == 400
    bad_tag = {"autotag": {"autotagId": "tag_x", "range": [-2, 1]}}
    assert (await api.post(route, json={**base, "filters": bad_tag})).status_code == 400
    unknown = {"autotag": {"autotagId": "tag_x", "range": [0, 1]}}
    assert (await api.post(route, json={**base, "filters": unknown})).status_code == 404


async def test_tag_delete_and_send_to_labeling(
    api: httpx.AsyncClient, emu: Emulator, dataset: str
) -> None:
    await seeded(api, dataset, 2)
    slc = await create_slice(api, dataset, "s", ["r0", "r1"])
    tagged = (await api.post(f"slice/{slc}/tag", json={"slice_tags": ["x", "y", "x"]})).json()
    assert tagged["tags"] == ["x", "y"]
    assert (await api.get(f"slice/{slc}/info")).json()["tags"] == ["x", "y"]
    job = (await api.post(f"slice/{slc}/proj_123/send_to_labeling", json={})).json()
    assert job["job_type"] == "sendToLabeling"
    assert emu.jobs.wait_idle(5)
    message = (await job_status(api, job["job_id"]))["message"]["send_to_labeling"]
    assert message["itemsRequested"] == 2 and message["tasksCreated"] == 0
    assert "no Scale labeling projects" in message["note"]
    assert (await api.delete(f"slice/{slc}")).json() == {}
    assert (await api.get(f"slice/{slc}/info")).status_code == 404
    assert (await api.get(f"dataset/{dataset}/info")).json()["slice_ids"] == []


async def test_slices_of_another_key_are_not_found(
    api: httpx.AsyncClient, other: httpx.AsyncClient, dataset: str
) -> None:
    await seeded(api, dataset, 1)
    slc = await create_slice(api, dataset, "s", ["r0"])
    for response in (
        await other.get(f"slice/{slc}"),
        await other.get(f"slice/{slc}/info"),
        await other.post(f"slice/{slc}/append", json={"reference_ids": ["r0"]}),
        await other.post(f"slice/{slc}/itemsPage", json={}),
        await other.get(f"slice/{slc}/exportForTraining"),
        await other.delete(f"slice/{slc}"),
        await other.get(f"dataset/{dataset}/slices"),
        await other.post(f"dataset/{dataset}/create_slice", json={"name": "x", "allow_empty": 1}),
    ):
        assert response.status_code == 404
    assert (await other.get("slice/")).json() == []


async def test_deleting_an_item_removes_it_from_slices(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await seeded(api, dataset, 2)
    slc = await create_slice(api, dataset, "s", ["r0", "r1"])
    await api.delete(f"dataset/{dataset}/refloc/r0")
    items = (await api.get(f"slice/{slc}")).json()["items"]
    assert [i["reference_id"] for i in items] == ["r1"]
