"""Item routes: append (JSON and multipart), reads, paging, delete, metadata."""

from __future__ import annotations

import json
from typing import Any

import httpx
from emulator_helpers import append, create_dataset, item

from nucleus_emulator import Emulator


async def test_append_counts_new_items(api: httpx.AsyncClient, dataset: str) -> None:
    body = await append(api, dataset, [item("a"), item("b")])
    assert body == {
        "dataset_id": dataset,
        "new_items": 2,
        "updated_items": 0,
        "ignored_items": 0,
        "upload_errors": 0,
    }


async def test_existing_reference_ids_are_ignored_without_update(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a", metadata={"v": 1})])
    body = await append(api, dataset, [item("a", metadata={"v": 2}), item("b")])
    assert (body["new_items"], body["ignored_items"], body["updated_items"]) == (1, 1, 0)
    stored = (await api.get(f"dataset/{dataset}/refloc/a")).json()["item"]
    assert stored["metadata"] == {"v": 1}


async def test_existing_reference_ids_are_updated_with_update(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a", metadata={"v": 1})])
    body = await append(api, dataset, [item("a", metadata={"v": 2})], update=True)
    assert (body["new_items"], body["updated_items"]) == (0, 1)
    stored = (await api.get(f"dataset/{dataset}/refloc/a")).json()["item"]
    assert stored["metadata"] == {"v": 2}


async def test_invalid_items_are_reported_in_error_payload(
    api: httpx.AsyncClient, dataset: str
) -> None:
    bad = {"reference_id": "no-location", "metadata": {}}
    body = await append(api, dataset, [item("a"), bad])
    assert body["new_items"] == 1
    assert body["upload_errors"] == 1
    assert body["error_payload"] == [bad]


async def test_items_cannot_be_appended_to_a_scene_dataset(api: httpx.AsyncClient) -> None:
    ds = await create_dataset(api, "scenes", is_scene=True)
    response = await api.post(f"dataset/{ds}/append", json={"items": [item("a")]})
    assert response.status_code == 400
    assert "scene dataset" in response.json()["error"]


async def test_item_json_echoes_locations_and_ids(api: httpx.AsyncClient, dataset: str) -> None:
    pointcloud = {"reference_id": "pc", "pointcloud_url": "s3://b/pc.json", "metadata": {}}
    await append(api, dataset, [item("img", width=10, height=20, metadata={"k": "v"}), pointcloud])
    img = (await api.get(f"dataset/{dataset}/iloc/0")).json()
    assert img["annotations"] == {}
    assert img["item"]["image_url"] == "s3://bucket/img.jpg"
    assert img["item"]["metadata"] == {"k": "v"}
    assert (img["item"]["width"], img["item"]["height"]) == (10, 20)
    assert img["item"]["dataset_item_id"] == img["item"]["id"]
    assert img["item"]["id"].startswith("di_")
    pc = (await api.get(f"dataset/{dataset}/iloc/1")).json()["item"]
    assert pc["pointcloud_url"] == "s3://b/pc.json"
    assert "image_url" not in pc


async def test_refloc_iloc_and_loc_find_the_same_item(api: httpx.AsyncClient, dataset: str) -> None:
    await append(api, dataset, [item("first"), item("second")])
    by_index = (await api.get(f"dataset/{dataset}/iloc/1")).json()
    by_ref = (await api.get(f"dataset/{dataset}/refloc/second")).json()
    by_id = (await api.get(f"dataset/{dataset}/loc/{by_ref['item']['id']}")).json()
    assert by_index == by_ref == by_id
    assert (await api.get(f"dataset/{dataset}/iloc/2")).status_code == 404
    assert (await api.get(f"dataset/{dataset}/iloc/-1")).status_code == 404
    assert (await api.get(f"dataset/{dataset}/refloc/missing")).status_code == 404
    assert (await api.get(f"dataset/{dataset}/loc/di_missing")).status_code == 404


async def test_iloc_follows_insertion_order_after_deletes(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a"), item("b"), item("c")])
    deleted = await api.request("DELETE", f"dataset/{dataset}/refloc/b", json={})
    assert deleted.status_code == 200
    assert (await api.get(f"dataset/{dataset}/iloc/1")).json()["item"]["reference_id"] == "c"
    assert (await api.get(f"dataset/{dataset}/size")).json() == {"count": 2}
    again = await api.request("DELETE", f"dataset/{dataset}/refloc/b", json={})
    assert again.status_code == 404


async def test_delete_item_with_encoded_slash(api: httpx.AsyncClient, dataset: str) -> None:
    await append(api, dataset, [item("dir/file.jpg")])
    response = await api.request("DELETE", f"dataset/{dataset}/refloc/dir%2Ffile.jpg", json={})
    assert response.status_code == 200
    assert (await api.get(f"dataset/{dataset}/size")).json() == {"count": 0}


async def page(api: httpx.AsyncClient, ds: str, token: str | None, size: int) -> dict[str, Any]:
    response = await api.post(
        f"dataset/{ds}/itemsPage", json={"pageToken": token, "pageSize": size}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_items_page_with_page_size_one(api: httpx.AsyncClient, dataset: str) -> None:
    refs = [f"r{i}" for i in range(4)]
    await append(api, dataset, [item(r) for r in refs])
    seen: list[str] = []
    tokens: list[str] = []
    token: str | None = None
    while True:
        body = await page(api, dataset, token, 1)
        assert len(body["items"]) <= 1
        seen += [i["reference_id"] for i in body["items"]]
        token = body["nextPageToken"]
        if not token:
            break
        tokens.append(token)
    assert seen == refs
    assert len(set(tokens)) == len(tokens) == 3
    assert token is None


async def test_items_page_with_a_big_page_has_no_next_token(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a"), item("b")])
    body = await page(api, dataset, None, 100000)
    assert [i["reference_id"] for i in body["items"]] == ["a", "b"]
    assert body["nextPageToken"] is None
    empty = await api.post(f"dataset/{await create_dataset(api)}/itemsPage", json={})
    assert empty.json() == {"items": [], "nextPageToken": None}


async def test_items_page_rejects_foreign_and_garbled_tokens(
    api: httpx.AsyncClient, dataset: str
) -> None:
    other_ds = await create_dataset(api, "other")
    await append(api, other_ds, [item("a"), item("b")])
    token = (await page(api, other_ds, None, 1))["nextPageToken"]
    for bad in (token, "garbage", "e30"):
        response = await api.post(
            f"dataset/{dataset}/itemsPage", json={"pageToken": bad, "pageSize": 1}
        )
        assert response.status_code == 400
        assert response.json() == {"error": "Invalid pageToken"}


def multipart(entries: list[dict[str, Any]], files: list[bytes]) -> dict[str, Any]:
    """The form the official client posts: an `items` JSON part then `image` parts in order."""
    parts: list[tuple[str, tuple[str | None, Any, str]]] = [
        ("items", (None, json.dumps(entries), "application/json"))
    ]
    for entry, data in zip(entries, files, strict=True):
        filename = entry["image_url"].replace("/", "%2F")  # aiohttp percent-encodes filenames
        parts.append(("image", (filename, data, "image/png")))
    return {"files": parts}


async def test_multipart_append_pairs_files_by_position(
    emu: Emulator, api: httpx.AsyncClient, dataset: str
) -> None:
    entries = [
        {
            "reference_id": f"local-{i}",
            "image_url": f"/tmp/pics/{i}.png",
            "metadata": {"i": i},
            "update": False,
        }
        for i in range(3)
    ]
    files = [f"image-{i}".encode() for i in range(3)]
    response = await api.post(f"dataset/{dataset}/append", **multipart(entries, files))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "dataset_id": dataset,
        "new_items": 3,
        "updated_items": 0,
        "ignored_items": 0,
        "upload_errors": 0,
    }
    for i in range(3):
        stored_item = emu.state.store.items.by_ref(dataset, f"local-{i}")
        assert stored_item is not None and stored_item.blob is not None
        assert emu.state.blobs.get(stored_item.blob) == f"image-{i}".encode()
        answered = (await api.get(f"dataset/{dataset}/refloc/local-{i}")).json()["item"]
        assert answered["image_url"] == f"/tmp/pics/{i}.png"
        assert answered["metadata"] == {"i": i}


async def test_multipart_append_with_update_flag_in_items(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("x", metadata={"v": 1})])
    entries = [{"reference_id": "x", "image_url": "x.png", "metadata": {"v": 2}, "update": True}]
    response = await api.post(f"dataset/{dataset}/append", **multipart(entries, [b"x"]))
    assert response.json()["updated_items"] == 1
    stored = (await api.get(f"dataset/{dataset}/refloc/x")).json()["item"]
    assert stored["metadata"] == {"v": 2}


async def test_multipart_with_unpaired_files_is_a_400(api: httpx.AsyncClient, dataset: str) -> None:
    entries = [{"reference_id": "a", "image_url": "a.png", "metadata": {}, "update": False}]
    form = multipart(entries, [b"a"])
    form["files"].append(("image", ("b.png", b"b", "image/png")))
    response = await api.post(f"dataset/{dataset}/append", **form)
    assert response.status_code == 400
    assert "pair by position" in response.json()["error"]


async def test_multipart_async_append_answers_a_job(
    emu: Emulator, api: httpx.AsyncClient, dataset: str
) -> None:
    entries = [
        {"reference_id": f"l{i}", "image_url": f"{i}.jpg", "metadata": {}, "update": False}
        for i in range(2)
    ]
    response = await api.post(
        f"dataset/{dataset}/append?async=1", **multipart(entries, [b"0", b"1"])
    )
    assert response.status_code == 200, response.text
    job = response.json()
    assert set(job) == {"job_id", "job_last_known_status", "job_type", "job_creation_time"}
    assert emu.jobs.wait_idle(5)
    status = (await api.get(f"job/{job['job_id']}")).json()
    assert status["status"] == "Completed"
    assert (await api.get(f"dataset/{dataset}/size")).json() == {"count": 2}
    stored_item = emu.state.store.items.by_ref(dataset, "l1")
    assert stored_item is not None and stored_item.blob is not None
    assert emu.state.blobs.get(stored_item.blob) == b"1"


async def test_metadata_update_merges_keys(api: httpx.AsyncClient, dataset: str) -> None:
    await append(api, dataset, [item("a", metadata={"keep": 1, "change": 1}), item("b")])
    response = await api.post(
        f"dataset/{dataset}/metadata?async=0",
        json={
            "metadata": [
                {"reference_id": "a", "metadata": {"change": 2, "new": 3}},
                {"reference_id": "ghost", "metadata": {"x": 1}},
            ],
            "level": "item",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["dataset_id"] == dataset
    assert body["updated_count"] == 1
    assert len(body["errors"]) == 1 and "Item with id ghost doesn't exist." in body["errors"][0]
    stored = (await api.get(f"dataset/{dataset}/refloc/a")).json()["item"]
    assert stored["metadata"] == {"keep": 1, "change": 2, "new": 3}


async def test_async_metadata_update_runs_as_a_job(
    emu: Emulator, api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a", metadata={"old": True})])
    response = await api.post(
        f"dataset/{dataset}/metadata?async=1",
        json={
            "metadata": [
                {"reference_id": "a", "metadata": {"new": True}},
                {"reference_id": "fake_garbage", "metadata": {}},
            ],
            "level": "item",
        },
    )
    job = response.json()
    assert job["job_type"] == "metadataUpdate"
    assert emu.jobs.wait_idle(5)
    status = (await api.get(f"job/{job['job_id']}")).json()
    assert status["status"] == "Completed"
    errors = (await api.get(f"job/{job['job_id']}/errors")).json()
    assert len(errors) == 1 and "Item with id fake_garbage doesn" in errors[0]
    stored = (await api.get(f"dataset/{dataset}/refloc/a")).json()["item"]
    assert stored["metadata"] == {"old": True, "new": True}
