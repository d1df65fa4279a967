"""Scene uploads (signed-URL async and legacy sync), reads, deletes, lists, scene metadata."""

from __future__ import annotations

import httpx
from curation_helpers import (
    create_scene_dataset,
    job_status,
    lidar_scene,
    ndjson,
    scene_item,
    upload,
    video_scene,
)
from emulator_helpers import item

from nucleus_emulator import Emulator


async def upload_scenes(
    api: httpx.AsyncClient, ds: str, scenes: list[dict], route: str = "upload_scenes"
) -> dict:
    request_id, _ = await upload(api, ds, ndjson(scenes))
    response = await api.post(f"{ds}/{route}?async=1", json={"requestId": request_id})
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


async def test_async_lidar_upload_stores_scenes_frames_and_items(
    api: httpx.AsyncClient, emu: Emulator
) -> None:
    ds = await create_scene_dataset(api)
    camera = {"position": {"x": 0, "y": 0, "z": 0}, "heading": {"x": 0, "y": 0, "z": 0, "w": 1}}
    scene = lidar_scene("s1", metadata={"city": "Oslo"})
    scene["frames"][0]["cam"]["camera_params"] = {**camera, "fx": 1, "fy": 1, "cx": 0, "cy": 0}
    job = await upload_scenes(api, ds, [scene, lidar_scene("s2", frames=1)])
    assert job["job_type"] == "uploadLidarScene"
    assert job["job_last_known_status"] == "Running"
    assert emu.jobs.wait_idle(5)
    status = await job_status(api, job["job_id"])
    assert status["status"] == "Completed"
    assert status["message"]["scene_upload"]["new"] == 2

    got = (await api.get(f"dataset/{ds}/scene/s1")).json()
    assert set(got) == {"reference_id", "frames", "metadata"}  # no frame_rate / video_url
    assert got["metadata"] == {"city": "Oslo"}
    assert len(got["frames"]) == 2
    first = got["frames"][0]
    assert first["lidar"]["pointcloud_url"] == "s3://bucket/s1-lidar-0.json"
    assert first["cam"]["image_url"] == "s3://bucket/s1-cam-0.jpg"
    assert first["cam"]["metadata"]["camera_params"]["fx"] == 1
    assert first["cam"]["id"].startswith("di_")

    # Scene items are dataset items too.
    assert (await api.get(f"dataset/{ds}/size")).json() == {"count": 6}
    ref = (await api.get(f"dataset/{ds}/refloc/s2-cam-0")).json()
    assert ref["item"]["image_url"] == "s3://bucket/s2-cam-0.jpg"

    by_item = (await api.get(f"dataset/{ds}/scene/s1-lidar-1?from_item=1")).json()
    assert by_item["reference_id"] == "s1"
    listed = (await api.get(f"dataset/{ds}/scenes_list")).json()["scenes"]
    assert [(s["reference_id"], s["type"]) for s in listed] == [
        ("s1", "LidarScene"),
        ("s2", "LidarScene"),
    ]
    assert all(s["id"].startswith("scn_") for s in listed)


async def test_video_scene_reads_back_with_frame_rate(
    api: httpx.AsyncClient, emu: Emulator
) -> None:
    ds = await create_scene_dataset(api)
    await upload_scenes(
        api,
        ds,
        [video_scene("v1", frames=3), {"reference_id": "v2", "video_url": "s3://b/v.mp4"}],
        route="upload_video_scenes",
    )
    assert emu.jobs.wait_idle(5)
    v1 = (await api.get(f"dataset/{ds}/scene/v1")).json()
    assert v1["frame_rate"] == 10
    assert "video_url" not in v1
    assert [f["reference_id"] for f in v1["frames"]] == ["v1-0", "v1-1", "v1-2"]
    v2 = (await api.get(f"dataset/{ds}/scene/v2")).json()
    assert v2 == {"reference_id": "v2", "video_url": "s3://b/v.mp4", "frames": [], "metadata": {}}


async def test_sync_upload_counts_new_ignored_and_updated_scenes(api: httpx.AsyncClient) -> None:
    ds = await create_scene_dataset(api)
    first = await api.post(f"{ds}/upload_scenes", json={"scenes": [lidar_scene("a")]})
    assert first.json() == {
        "dataset_id": ds,
        "new_items": 1,
        "updated_items": 0,
        "ignored_items": 0,
        "upload_errors": 0,
    }
    again = await api.post(f"{ds}/upload_scenes", json={"scenes": [lidar_scene("a")]})
    assert again.json()["ignored_items"] == 1
    smaller = lidar_scene("a", frames=1, metadata={"v": 2})
    updated = await api.post(f"{ds}/upload_scenes", json={"scenes": [smaller], "update": True})
    assert updated.json()["updated_items"] == 1
    got = (await api.get(f"dataset/{ds}/scene/a")).json()
    assert len(got["frames"]) == 1 and got["metadata"] == {"v": 2}
    # Items of the dropped frame went with it.
    assert (await api.get(f"dataset/{ds}/size")).json() == {"count": 2}


async def test_invalid_scenes_are_reported_not_stored(
    api: httpx.AsyncClient, emu: Emulator
) -> None:
    ds = await create_scene_dataset(api)
    two_clouds = {
        "reference_id": "bad",
        "frames": [{"a": scene_item("x", "pointcloud"), "b": scene_item("y", "pointcloud")}],
    }
    response = await api.post(
        f"{ds}/upload_scenes", json={"scenes": [two_clouds, {"reference_id": "empty"}]}
    )
    body = response.json()
    assert body["upload_errors"] == 2 and body["new_items"] == 0
    assert "exactly one pointcloud" in body["error_payload"][0]["error"]

    job = await upload_scenes(api, ds, [two_clouds, lidar_scene("ok")])
    assert emu.jobs.wait_idle(5)
    assert (await job_status(api, job["job_id"]))["message"]["scene_upload"]["errored"] == 1
    errors = (await api.get(f"job/{job['job_id']}/errors")).json()
    assert "bad" in errors[0]


async def test_item_reference_ids_cannot_be_shared_between_scenes(
    api: httpx.AsyncClient,
) -> None:
    ds = await create_scene_dataset(api)
    await api.post(f"{ds}/upload_scenes", json={"scenes": [lidar_scene("a")]})
    clash = lidar_scene("b")
    clash["frames"][0]["cam"]["reference_id"] = "a-cam-0"
    body = (await api.post(f"{ds}/upload_scenes", json={"scenes": [clash]})).json()
    assert body["upload_errors"] == 1
    assert "already used by scene a" in body["error_payload"][0]["error"]


async def test_scene_and_item_datasets_refuse_each_other(api: httpx.AsyncClient) -> None:
    scenes = await create_scene_dataset(api)
    items = (await api.post("dataset/create", json={"name": "items"})).json()["dataset_id"]
    refused = await api.post(f"{items}/upload_scenes", json={"scenes": [lidar_scene("a")]})
    assert refused.status_code == 400
    assert "not a scene dataset" in refused.json()["error"]
    refused = await api.post(f"dataset/{scenes}/append", json={"items": [item("x")]})
    assert refused.status_code == 400


async def test_async_upload_needs_an_uploaded_request(api: httpx.AsyncClient) -> None:
    ds = await create_scene_dataset(api)
    response = await api.post(f"{ds}/upload_scenes?async=1", json={"requestId": "nope"})
    assert response.status_code == 400


async def test_delete_scene_removes_its_items(api: httpx.AsyncClient) -> None:
    ds = await create_scene_dataset(api)
    await api.post(f"{ds}/upload_scenes", json={"scenes": [lidar_scene("a/b")]})
    assert (await api.delete(f"dataset/{ds}/scene/a%2Fb")).json() == {}
    assert (await api.get(f"dataset/{ds}/scene/a%2Fb")).status_code == 404
    assert (await api.get(f"dataset/{ds}/size")).json() == {"count": 0}
    assert (await api.delete(f"dataset/{ds}/scene/a%2Fb")).status_code == 404


async def test_scene_metadata_updates_sync_and_async(api: httpx.AsyncClient, emu: Emulator) -> None:
    ds = await create_scene_dataset(api)
    await api.post(f"{ds}/upload_scenes", json={"scenes": [lidar_scene("a", metadata={"x": 1})]})
    entries = [
        {"reference_id": "a", "metadata": {"y": 2}},
        {"reference_id": "ghost", "metadata": {}},
    ]
    sync = await api.post(
        f"dataset/{ds}/metadata?async=0", json={"metadata": entries, "level": "scene"}
    )
    assert sync.json()["updated_count"] == 1
    assert "Scene with id ghost doesn't exist." in sync.json()["errors"][0]
    job = await api.post(
        f"dataset/{ds}/metadata?async=1",
        json={"metadata": [{"reference_id": "a", "metadata": {"z": 3}}], "level": "scene"},
    )
    assert emu.jobs.wait_idle(5)
    assert (await job_status(api, job.json()["job_id"]))["status"] == "Completed"
    got = (await api.get(f"dataset/{ds}/scene/a")).json()
    assert got["metadata"] == {"x": 1, "y": 2, "z": 3}


async def test_scenes_of_another_key_are_not_found(
    api: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    ds = await create_scene_dataset(api)
    await api.post(f"{ds}/upload_scenes", json={"scenes": [lidar_scene("a")]})
    assert (await other.get(f"dataset/{ds}/scene/a")).status_code == 404
    assert (await other.delete(f"dataset/{ds}/scene/a")).status_code == 404
    assert (await other.get(f"dataset/{ds}/scenes_list")).status_code == 404
    posted = await other.post(f"{ds}/upload_scenes", json={"scenes": [lidar_scene("b")]})
    assert posted.status_code == 404
    assert (await api.get(f"dataset/{ds}/scene/a")).status_code == 200


async def test_deleting_the_dataset_removes_its_scenes(api: httpx.AsyncClient) -> None:
    ds = await create_scene_dataset(api)
    await api.post(f"{ds}/upload_scenes", json={"scenes": [lidar_scene("a")]})
    await api.delete(f"dataset/{ds}")
    assert (await api.get(f"dataset/{ds}/scene/a")).status_code == 404
