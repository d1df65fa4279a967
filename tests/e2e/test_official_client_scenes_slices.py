"""The official client (scale-nucleus 0.18.4) against the served emulator: scenes, slices,
queries, indexing and autotags."""

from __future__ import annotations

import nucleus
import pytest
from nucleus import (
    DatasetItem,
    Frame,
    LidarScene,
    NucleusClient,
    VideoScene,
)
from nucleus.async_job import AsyncJob
from nucleus.errors import NotFoundError
from nucleus.slice import Slice, SliceType

from nucleus_emulator import Emulator

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

API_KEY = "contract-test-key"


@pytest.fixture
def client(served_endpoint: str) -> NucleusClient:
    return NucleusClient(api_key=API_KEY, endpoint=served_endpoint)


def wait(emulator: Emulator, job: AsyncJob) -> dict:
    """Wait for the emulator's job runner (faster than `sleep_until_complete`'s 5 s polls)."""
    assert emulator.jobs.wait_idle(10)
    status: dict = job.status()
    return status


def lidar_scene(ref: str, frames: int = 2) -> LidarScene:
    built = []
    for index in range(frames):
        cloud = DatasetItem(
            pointcloud_location=f"s3://bucket/{ref}/{index}.json",
            reference_id=f"{ref}-lidar-{index}",
            metadata={"frame": index},
        )
        camera = DatasetItem(
            image_location=f"s3://bucket/{ref}/{index}.jpg",
            reference_id=f"{ref}-cam-{index}",
            metadata={"frame": index},
        )
        built.append(Frame(lidar=cloud, cam=camera))
    return LidarScene(reference_id=ref, frames=built, metadata={"city": "Paris"})


def remote_items(count: int) -> list[DatasetItem]:
    return [
        DatasetItem(
            image_location=f"https://example.com/{i}.jpg",
            reference_id=f"item-{i}",
            metadata={"index": i, "weather": "sunny" if i % 2 else "rainy"},
        )
        for i in range(count)
    ]


def test_lidar_scenes_append_async_and_get_scene(client: NucleusClient, emulator: Emulator) -> None:
    dataset = client.create_dataset("scenes", is_scene=True)
    scenes = [lidar_scene("scene-a"), lidar_scene("scene-b", frames=3)]
    job = dataset.append(scenes, asynchronous=True)
    assert isinstance(job, AsyncJob)
    status = wait(emulator, job)
    assert status["status"] == "Completed"
    assert status["job_type"] == "uploadLidarScene"
    assert status["message"]["scene_upload"]["new"] == 2

    fetched = dataset.get_scene("scene-a")
    assert isinstance(fetched, LidarScene)
    assert fetched == scenes[0]
    assert fetched.metadata == {"city": "Paris"}
    from_item = dataset.get_scene_from_item_ref_id("scene-b-cam-2")
    assert isinstance(from_item, LidarScene)
    assert from_item.reference_id == "scene-b"
    assert [s.reference_id for s in dataset.scenes] == ["scene-a", "scene-b"]
    assert dataset.size == 10  # scene items are dataset items too

    dataset.update_scene_metadata({"scene-a": {"weather": "fog"}})
    assert dataset.get_scene("scene-a").metadata == {"city": "Paris", "weather": "fog"}

    dataset.delete_scene("scene-a")
    assert [s.reference_id for s in dataset.scenes] == ["scene-b"]
    assert dataset.size == 6


def test_video_scene_round_trip(client: NucleusClient, emulator: Emulator) -> None:
    dataset = client.create_dataset("video", is_scene=True)
    scene = VideoScene(reference_id="video-1", frame_rate=5, metadata={"k": "v"})
    for index in range(3):
        scene.add_item(
            DatasetItem(image_location=f"s3://bucket/v/{index}.jpg", reference_id=f"v-{index}")
        )
    job = dataset.append([scene], asynchronous=True)
    assert wait(emulator, job)["job_type"] == "uploadVideoScene"
    fetched = dataset.get_scene("video-1")
    assert isinstance(fetched, VideoScene)
    assert fetched.frame_rate == 5
    assert [item.reference_id for item in fetched.items] == ["v-0", "v-1", "v-2"]


def test_item_dataset_refuses_scenes_and_scene_dataset_refuses_items(
    client: NucleusClient,
) -> None:
    scene_ds = client.create_dataset("scenes", is_scene=True)
    with pytest.raises(ValueError):  # the client checks sync item appends itself
        scene_ds.append(remote_items(1))
    with pytest.raises(nucleus.errors.NucleusAPIError) as error:
        scene_ds.append(remote_items(1), asynchronous=True)
    assert error.value.status_code == 400


def test_slices_create_info_append_and_page(client: NucleusClient) -> None:
    dataset = client.create_dataset("slices", is_scene=False)
    dataset.append(remote_items(6))
    slc = dataset.create_slice("odd", reference_ids=["item-1", "item-3"])
    assert isinstance(slc, Slice)
    info = slc.info()
    assert info["name"] == "odd"
    assert info["dataset_id"] == dataset.id
    assert info["type"] == "dataset_item"
    assert info["pending_job_count"] == 0
    assert info["description"] is None
    assert info["slice_id"] == slc.id

    appended = slc.append(["item-5", "item-1"])
    assert appended["new_items"] == ["item-5"]
    refs = [item.reference_id for item in slc.items_generator(page_size=1)]
    assert refs == ["item-1", "item-3", "item-5"]
    assert [i.reference_id for i in slc.dataset_items()] == refs

    empty = dataset.create_slice("empty")
    assert [s.id for s in dataset.slices] == [slc.id, empty.id]
    assert dataset.slices[0].created_at is not None
    assert [s.id for s in dataset.get_slices(name="odd")] == [slc.id]
    assert len(dataset.get_slices(slice_type=SliceType.DATASET_ITEM)) == 2
    with pytest.raises(NotFoundError):
        dataset.get_slices(slice_type="scene")
    assert set(dataset.info().slice_ids) == {slc.id, empty.id}
    assert {s.id for s in client.slices} == {slc.id, empty.id}

    client.delete_slice(empty.id)
    assert [s.id for s in dataset.slices] == [slc.id]


def test_query_items(client: NucleusClient) -> None:
    dataset = client.create_dataset("query", is_scene=False)
    dataset.append(remote_items(8))
    found = [i.reference_id for i in dataset.query_items('metadata.weather = "sunny"')]
    assert found == ["item-1", "item-3", "item-5", "item-7"]
    found = [
        i.reference_id
        for i in dataset.query_items("metadata.index >= 2 AND NOT (metadata.index > 4)")
    ]
    assert found == ["item-2", "item-3", "item-4"]
    with pytest.raises(nucleus.errors.NucleusAPIError) as error:
        list(dataset.query_items("metadata.index LIKE 3"))
    assert error.value.status_code == 400


def test_indexing_and_autotags_on_a_new_dataset(client: NucleusClient) -> None:
    dataset = client.create_dataset("index", is_scene=False)
    assert dataset.list_autotags() == []
    assert dataset.set_primary_index() == {"success": True}
    status = dataset.get_image_indexing_status()
    assert status["embedding_count"] == 0
    assert dataset.embedding_indexes == []
