"""The official client (scale-nucleus 0.18.4) driving the served emulator: a contract check."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import requests
from nucleus import DatasetItem, NucleusClient
from nucleus.async_job import AsyncJob
from nucleus.upload_response import UploadResponse

pytestmark = [
    pytest.mark.e2e,
    # aiohttp 3.14 deprecates the BasicAuth call the 0.18.4 client makes; not ours to fix.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:nucleus.async_utils"),
]

API_KEY = "contract-test-key"


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid tiny RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# The smallest well-formed JPEG header is enough: the emulator stores bytes, never decodes.
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def remote_items(count: int, prefix: str = "remote") -> list[DatasetItem]:
    return [
        DatasetItem(
            image_location=f"https://example.com/{prefix}/{i}.jpg",
            reference_id=f"{prefix}-{i}",
            metadata={"index": i, "weather": "sunny"},
        )
        for i in range(count)
    ]


@pytest.fixture
def client(served_endpoint: str) -> NucleusClient:
    return NucleusClient(api_key=API_KEY, endpoint=served_endpoint)


def test_create_dataset_and_append_remote_items_returns_upload_response(
    client: NucleusClient,
) -> None:
    dataset = client.create_dataset("contract", is_scene=False)
    response = dataset.append(remote_items(25))  # two requests: batch_size is 20

    assert isinstance(response, UploadResponse)
    assert response.json() == {
        "dataset_id": dataset.id,
        "new_items": 25,
        "updated_items": 0,
        "ignored_items": 0,
        "upload_errors": 0,
    }
    assert dataset.size == 25
    assert dataset.name == "contract"
    assert [d.id for d in client.datasets] == [dataset.id]


def test_append_existing_reference_ids_ignores_or_updates(client: NucleusClient) -> None:
    dataset = client.create_dataset("dupes", is_scene=False)
    dataset.append(remote_items(3))

    ignored = dataset.append(remote_items(3))
    assert (ignored.new_items, ignored.ignored_items) == (0, 3)

    changed = remote_items(3)
    changed[0].metadata = {"weather": "rainy"}
    updated = dataset.append(changed, update=True)
    assert (updated.new_items, updated.updated_items) == (0, 3)
    assert dataset.refloc("remote-0")["item"].metadata == {"weather": "rainy"}


def test_append_local_image_files_posts_multipart(client: NucleusClient, tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        path = tmp_path / f"image_{i}.png"
        path.write_bytes(png_bytes())
        paths.append(path)
    jpeg = tmp_path / "photo.jpeg"
    jpeg.write_bytes(JPEG_BYTES)
    paths.append(jpeg)
    items = [
        DatasetItem(image_location=str(p), reference_id=f"local-{i}", metadata={"i": i})
        for i, p in enumerate(paths)
    ]
    dataset = client.create_dataset("local", is_scene=False)

    response = dataset.append(items, local_files_per_upload_request=3)

    assert response.json()["new_items"] == 4
    assert response.json()["upload_errors"] == 0
    stored = dataset.refloc("local-3")["item"]
    assert stored.image_location == str(jpeg)  # echoed as sent, not the multipart filename
    assert stored.metadata == {"i": 3}


def test_reads_through_refloc_iloc_generator_and_items(client: NucleusClient) -> None:
    dataset = client.create_dataset("reads", is_scene=False)
    items = remote_items(5)
    items.append(
        DatasetItem(image_location="s3://bucket/slash.jpg", reference_id="with/slash", metadata={})
    )
    dataset.append(items)

    by_ref = dataset.refloc("with/slash")
    assert by_ref["item"] == items[-1]
    assert by_ref["annotations"] == {}
    assert dataset.iloc(0)["item"] == items[0]
    # 0.18.4's DatasetItem drops the server id, so read it from the raw answer.
    raw = client.make_request({}, f"dataset/{dataset.id}/iloc/5", requests.get)
    assert raw["item"]["dataset_item_id"].startswith("di_")
    assert dataset.loc(raw["item"]["dataset_item_id"])["item"] == items[5]

    generated = list(dataset.items_generator(page_size=1))
    assert [i.reference_id for i in generated] == [i.reference_id for i in items]
    assert generated == items
    assert dataset.items == items


def test_asynchronous_append_returns_a_job_that_completes(client: NucleusClient) -> None:
    dataset = client.create_dataset("async", is_scene=False)

    job = dataset.append(remote_items(30, prefix="async"), asynchronous=True)

    assert isinstance(job, AsyncJob)
    assert job.job_type == "uploadDatasetItems"
    job.sleep_until_complete(verbose_std_out=False)  # sleeps 5 s once
    status = job.status()
    assert status["status"] == "Completed"
    assert status["job_progress"] == "1.00"
    assert status["completed_steps"] == status["total_steps"]
    assert job.errors() == []
    assert dataset.size == 30
    assert client.get_job(job.job_id).job_id == job.job_id
    assert [j.job_id for j in dataset.jobs(show_completed=True)] == [job.job_id]


def test_info_delete_item_and_delete_dataset(client: NucleusClient) -> None:
    dataset = client.create_dataset("lifecycle", is_scene=False)
    dataset.append(remote_items(2))

    info = dataset.info()
    assert info.dataset_id == dataset.id
    assert info.name == "lifecycle"
    assert info.length == 2
    assert info["slice_ids"] == []

    dataset.delete_item("remote-0")
    assert dataset.size == 1
    assert dataset.slices == []
    assert dataset.model_runs == []

    assert client.delete_dataset(dataset.id) == {"message": "Beginning dataset deletion..."}
    assert client.datasets == []
