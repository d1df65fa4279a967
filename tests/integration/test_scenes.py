"""Lidar and video scenes through both faces against the in-process emulator."""

from __future__ import annotations

from typing import Any

import pytest

import nucleus_async as nucleus


def lidar_scene(ref: str, frames: int = 2, metadata: dict[str, Any] | None = None) -> Any:
    scene = nucleus.LidarScene(ref, metadata=metadata)
    for i in range(frames):
        scene.add_item(
            i,
            "lidar",
            nucleus.DatasetItem(
                pointcloud_location=f"s3://bucket/{ref}/{i}.json", reference_id=f"{ref}-pc-{i}"
            ),
        )
        scene.add_item(
            i,
            "front_cam",
            nucleus.DatasetItem(
                image_location=f"s3://bucket/{ref}/{i}.jpg", reference_id=f"{ref}-cam-{i}"
            ),
        )
    return scene


def video_scene(ref: str, n: int = 3) -> nucleus.VideoScene:
    items = [
        nucleus.DatasetItem(
            image_location=f"https://cdn.test/{ref}/{i}.jpg", reference_id=f"{ref}-{i}"
        )
        for i in range(n)
    ]
    return nucleus.VideoScene(ref, frame_rate=10, items=items, metadata={"kind": "frames"})


@pytest.fixture
async def scene_dataset(client: Any) -> Any:
    return await client.create_dataset("scenes", is_scene=True)


async def completed(job: Any) -> dict[str, Any]:
    status: dict[str, Any] = await job.wait_until_complete(timeout=30)
    assert status["status"] == "Completed", status
    return status


async def test_lidar_scenes_upload_asynchronously_and_read_back_equal(scene_dataset: Any) -> None:
    scenes = [lidar_scene("drive-1", metadata={"city": "sf"}), lidar_scene("drive-2", frames=3)]
    job = await scene_dataset.append(scenes)
    assert job.job_type == "uploadLidarScene"
    await completed(job)
    for scene in scenes:
        fetched = await scene_dataset.get_scene(scene.reference_id)
        assert isinstance(fetched, nucleus.LidarScene)
        assert fetched == scene


async def test_the_scene_of_an_item_is_found_by_the_item_reference_id(scene_dataset: Any) -> None:
    await completed(await scene_dataset.append([lidar_scene("drive-1"), lidar_scene("drive-2")]))
    found = await scene_dataset.get_scene_from_item_ref_id("drive-2-cam-1")
    assert found is not None and found.reference_id == "drive-2"


async def test_video_scenes_of_frames_and_of_a_video_file_read_back(scene_dataset: Any) -> None:
    frames = video_scene("clip-1")
    video = nucleus.VideoScene("clip-2", video_location="s3://bucket/clip-2.mp4")
    job = await scene_dataset.append([frames, video])
    assert job.job_type == "uploadVideoScene"
    await completed(job)
    got = await scene_dataset.get_scene("clip-1")
    assert isinstance(got, nucleus.VideoScene)
    assert got.frame_rate == 10 and got.metadata == {"kind": "frames"}
    assert [item.reference_id for item in got.items] == [f"clip-1-{i}" for i in range(3)]
    from_file = await scene_dataset.get_scene("clip-2")
    assert isinstance(from_file, nucleus.VideoScene)
    assert from_file.video_location == "s3://bucket/clip-2.mp4"


async def test_reuploading_a_scene_ignores_it_unless_update(scene_dataset: Any) -> None:
    await completed(await scene_dataset.append([lidar_scene("drive-1", metadata={"v": 1})]))
    await completed(await scene_dataset.append([lidar_scene("drive-1", metadata={"v": 2})]))
    assert (await scene_dataset.get_scene("drive-1")).metadata == {"v": 1}
    await completed(
        await scene_dataset.append([lidar_scene("drive-1", metadata={"v": 3})], update=True)
    )
    assert (await scene_dataset.get_scene("drive-1")).metadata == {"v": 3}


async def test_scene_metadata_is_merged_synchronously_and_asynchronously(
    scene_dataset: Any,
) -> None:
    await completed(await scene_dataset.append([lidar_scene("drive-1", metadata={"a": 1})]))
    await scene_dataset.update_scene_metadata({"drive-1": {"b": 2}})
    assert (await scene_dataset.get_scene("drive-1")).metadata == {"a": 1, "b": 2}
    job = await scene_dataset.update_scene_metadata({"drive-1": {"a": 9}}, asynchronous=True)
    await completed(job)
    assert (await scene_dataset.get_scene("drive-1")).metadata == {"a": 9, "b": 2}


async def test_a_deleted_scene_is_gone(scene_dataset: Any) -> None:
    await completed(await scene_dataset.append([lidar_scene("drive/1 a")]))
    assert (await scene_dataset.get_scene("drive/1 a")).reference_id == "drive/1 a"
    assert await scene_dataset.delete_scene("drive/1 a") is None
    with pytest.raises(nucleus.NotFoundError):
        await scene_dataset.get_scene("drive/1 a")


async def test_an_item_dataset_refuses_scenes_before_any_upload(client: Any, dataset: Any) -> None:
    with pytest.raises(nucleus.ValidationError, match="not a scene dataset"):
        await dataset.append([lidar_scene("drive-1")])
    fetched = await client.get_dataset(dataset.id)  # is_scene unknown: asked once
    with pytest.raises(nucleus.ValidationError, match="not a scene dataset"):
        await fetched.append([video_scene("clip-1")])


async def test_a_scene_dataset_refuses_items(client: Any, scene_dataset: Any) -> None:
    item = nucleus.DatasetItem(image_location="s3://bucket/1.jpg", reference_id="img-1")
    with pytest.raises(nucleus.ValidationError, match="scene dataset"):
        await scene_dataset.append([item])
    # Unknown dataset kind: nothing is checked client side, and the service refuses.
    fetched = await client.get_dataset(scene_dataset.id)
    with pytest.raises(nucleus.NucleusError):
        await fetched.append([item])


async def test_invalid_scenes_are_refused_client_side(scene_dataset: Any) -> None:
    local = nucleus.LidarScene("local")
    local.add_item(
        0, "lidar", nucleus.DatasetItem(pointcloud_location="/data/0.json", reference_id="p0")
    )
    with pytest.raises(nucleus.ValidationError, match="remote"):
        await scene_dataset.append([local])
    with pytest.raises(nucleus.ValidationError, match="3000"):
        await scene_dataset.append([video_scene("long", n=3001)])
    with pytest.raises(nucleus.ValidationError, match="either DatasetItems or Scenes"):
        await scene_dataset.append(
            [lidar_scene("a"), nucleus.DatasetItem(image_location="s3://b/1.jpg", reference_id="i")]
        )


async def test_scene_lookup_by_item_in_an_item_dataset_is_none(dataset: Any) -> None:
    assert await dataset.get_scene_from_item_ref_id("anything") is None
