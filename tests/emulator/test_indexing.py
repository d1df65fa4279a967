"""Embeddings and indexing: custom indexes from files, internal indexes, settings, status,
embedding reads and exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from curation_helpers import create_slice, job_status, upload
from emulator_helpers import append, item

from nucleus_emulator import Emulator


async def custom_index(
    api: httpx.AsyncClient, emu: Emulator, ds: str, urls: list[str], dim: int = 2
) -> dict[str, Any]:
    response = await api.post(
        f"indexing/{ds}", json={"embeddings_urls": urls, "embedding_dimension": dim}
    )
    assert response.status_code == 200, response.text
    assert response.json()["job_type"] == "customIndexing"
    assert emu.jobs.wait_idle(5)
    return await job_status(api, response.json()["job_id"])


async def test_custom_index_from_a_local_file(
    api: httpx.AsyncClient, emu: Emulator, dataset: str, tmp_path: Path
) -> None:
    await append(api, dataset, [item("a"), item("b"), item("c")])
    path = tmp_path / "emb.json"
    path.write_text(
        json.dumps(
            [
                {"reference_id": "a", "embedding_vector": [1, 0]},
                {"reference_id": "b", "embedding_vector": [0, 1]},
                {"reference_id": "ghost", "embedding_vector": [1, 1]},
                {"reference_id": "c", "embedding_vector": [1, 2, 3]},
            ]
        )
    )
    status = await custom_index(api, emu, dataset, [path.as_uri()])
    assert status["status"] == "Completed"
    assert status["message"]["custom_indexing"] == {
        "datasetId": dataset,
        "total": 4,
        "indexed": 2,
        "errored": 2,
    }
    errors = (await api.get(f"job/{status['job_id']}/errors")).json()
    assert any("Item with id ghost doesn't exist." in e for e in errors)
    assert any("expected 2" in e for e in errors)
    embeddings = (await api.get(f"dataset/{dataset}/embeddings")).json()
    assert embeddings == [
        {"reference_id": "a", "embedding_vector": [1.0, 0.0]},
        {"reference_id": "b", "embedding_vector": [0.0, 1.0]},
    ]
    indexes = (await api.get(f"dataset/{dataset}/embeddingIndexes")).json()["embedding_indexes"]
    assert [(i["index_type"], i["index_level"], i["status"]) for i in indexes] == [
        ("Custom", "Image", "Completed")
    ]
    assert indexes[0]["embedding_dimension"] == 2
    progress = (await api.post(f"dataset/{dataset}/indexingStatus", json={"image": True})).json()
    assert progress["embedding_count"] == 2 and progress["image_count"] == 3
    assert progress["percent_indexed"] == 66.67


async def test_custom_index_from_an_uploaded_file_mapping_and_ndjson(
    api: httpx.AsyncClient, emu: Emulator, dataset: str
) -> None:
    await append(api, dataset, [item("a"), item("b")])
    _, mapping_url = await upload(api, dataset, json.dumps({"a": [1, 1]}).encode())
    lines = json.dumps({"reference_id": "b", "embedding_vector": [2, 2]}) + "\n"
    _, lines_url = await upload(api, dataset, lines.encode())
    status = await custom_index(api, emu, dataset, [mapping_url, lines_url])
    assert status["message"]["custom_indexing"]["indexed"] == 2


async def test_unfetchable_urls_fail_the_job_as_a_user_error(
    api: httpx.AsyncClient, emu: Emulator, dataset: str
) -> None:
    status = await custom_index(api, emu, dataset, ["s3://bucket/emb.json"])
    assert status["status"] == "Errored_User"
    assert "no network access" in status["message"]
    missing = await custom_index(api, emu, dataset, ["file:///nonexistent/emb.json"])
    assert missing["status"] == "Errored_User"


async def test_custom_index_request_validation(api: httpx.AsyncClient, dataset: str) -> None:
    bad = await api.post(
        f"indexing/{dataset}", json={"embeddings_urls": [], "embedding_dimension": 2}
    )
    assert bad.status_code == 400
    bad = await api.post(f"indexing/{dataset}", json={"embeddings_urls": ["x"]})
    assert bad.status_code == 400


async def test_delete_custom_index(
    api: httpx.AsyncClient, emu: Emulator, dataset: str, tmp_path: Path
) -> None:
    await append(api, dataset, [item("a")])
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"a": [1, 0]}))
    await custom_index(api, emu, dataset, [path.as_uri()])
    response = (await api.request("DELETE", f"indexing/{dataset}", json={"image": True})).json()
    assert set(response) == {"dataset_id", "job_id", "message"}
    assert emu.jobs.wait_idle(5)
    assert (await job_status(api, response["job_id"]))["job_type"] == "embeddingDelete"
    assert (await api.get(f"dataset/{dataset}/embeddings")).json() == []
    again = await api.request("DELETE", f"indexing/{dataset}", json={"image": True})
    assert again.status_code == 404


async def test_internal_image_index_uses_uploaded_embedding_info(
    api: httpx.AsyncClient, emu: Emulator, dataset: str
) -> None:
    await append(
        api,
        dataset,
        [
            item("a", embedding_info={"index_id": "x", "embedding_vector": [0.5, 0.5, 0]}),
            item("b"),
        ],
    )
    before = (await api.post(f"dataset/{dataset}/indexingStatus", json={"image": True})).json()
    assert before["embedding_count"] == 0 and before["percent_indexed"] == 0.0
    job = (await api.post(f"indexing/{dataset}/internal/image", json={})).json()
    assert job["job_type"] == "indexingImage"
    assert emu.jobs.wait_idle(5)
    message = (await job_status(api, job["job_id"]))["message"]["image_indexing"]
    assert (message["indexed"], message["skipped"]) == (1, 1)
    assert "no image embedding model" in message["note"]
    after = (await api.post(f"dataset/{dataset}/indexingStatus", json={"image": True})).json()
    assert after["embedding_count"] == 1 and after["percent_indexed"] == 50.0


async def test_primary_and_continuous_settings(
    api: httpx.AsyncClient, emu: Emulator, dataset: str
) -> None:
    assert (await api.post(f"indexing/{dataset}/setPrimary", json={"image": True})).json() == {
        "success": True
    }
    no_custom = await api.post(
        f"indexing/{dataset}/setPrimary", json={"image": True, "custom": True}
    )
    assert no_custom.status_code == 400
    enabled = (await api.post(f"indexing/{dataset}/setContinuous", json={"enable": True})).json()
    assert enabled["dataset_id"] == dataset and enabled["message"]
    assert enabled["job_type"] == "indexingImage" and enabled["job_id"].startswith("job_")
    disabled = (await api.post(f"indexing/{dataset}/setContinuous", json={"enable": False})).json()
    assert set(disabled) == {"dataset_id", "message"}
    assert emu.jobs.wait_idle(5)


async def test_object_index_and_status(api: httpx.AsyncClient, emu: Emulator, dataset: str) -> None:
    await append(api, dataset, [item("a")])
    boxes = [
        {
            "label": "car",
            "type": "box",
            "geometry": {"x": 0, "y": 0, "width": 1, "height": 1},
            "reference_id": "a",
            "annotation_id": f"b{i}",
            "metadata": {},
            "embedding_vector": [1, 2] if i == 0 else None,
        }
        for i in range(2)
    ]
    annotated = await api.post(f"dataset/{dataset}/annotate", json={"annotations": boxes})
    assert annotated.status_code == 200, annotated.text
    status = {"image": False, "model_run_id": None}
    before = (await api.post(f"dataset/{dataset}/indexingStatus", json=status)).json()
    assert before["object_count"] == 2 and before["embedding_count"] == 0
    job = (await api.post(f"indexing/{dataset}/internal/object", json={})).json()
    assert job["job_type"] == "indexingObject"
    assert emu.jobs.wait_idle(5)
    after = (await api.post(f"dataset/{dataset}/indexingStatus", json=status)).json()
    assert after["embedding_count"] == 1 and after["percent_indexed"] == 50.0
    unknown_run = await api.post(f"indexing/{dataset}/internal/object", json={"model_run_id": "x"})
    assert unknown_run.status_code == 404


async def test_async_export_writes_an_emulator_hosted_file(
    api: httpx.AsyncClient, emu: Emulator, dataset: str, tmp_path: Path
) -> None:
    await append(api, dataset, [item("a"), item("b")])
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"a": [1, 0], "b": [0, 1]}))
    await custom_index(api, emu, dataset, [path.as_uri()])
    job = (await api.post(f"dataset/{dataset}/async_export_embeddings", json={})).json()
    assert job["job_type"] == "exportEmbeddings"
    assert emu.jobs.wait_idle(5)
    (url,) = (await job_status(api, job["job_id"]))["message"]["result"]
    assert url.startswith("http://nucleus-emulator.local/_exports/")
    exported = (await api.get(url)).json()  # the owner's key: exported files are not public
    assert [e["reference_id"] for e in exported] == ["a", "b"]
    async with httpx.AsyncClient(transport=api._transport) as anonymous:
        assert (await anonymous.get(url)).status_code == 401

    # `Slice.export_embeddings()` posts the slice id to the dataset route: it works too.
    slc = await create_slice(api, dataset, "s", ["b"])
    job = (await api.post(f"dataset/{slc}/async_export_embeddings", json={})).json()
    assert emu.jobs.wait_idle(5)
    (url,) = (await job_status(api, job["job_id"]))["message"]["result"]
    assert [e["reference_id"] for e in (await api.get(url)).json()] == ["b"]
    assert (await api.get(f"slice/{slc}/embeddings")).json() == [
        {"reference_id": "b", "embedding_vector": [0.0, 1.0]}
    ]


async def test_indexing_routes_of_another_key_are_not_found(
    api: httpx.AsyncClient, other: httpx.AsyncClient, dataset: str
) -> None:
    for response in (
        await other.post(
            f"indexing/{dataset}", json={"embeddings_urls": ["x"], "embedding_dimension": 1}
        ),
        await other.request("DELETE", f"indexing/{dataset}", json={"image": True}),
        await other.post(f"indexing/{dataset}/setPrimary", json={}),
        await other.post(f"indexing/{dataset}/setContinuous", json={"enable": True}),
        await other.post(f"indexing/{dataset}/internal/image", json={}),
        await other.post(f"dataset/{dataset}/indexingStatus", json={"image": True}),
        await other.get(f"dataset/{dataset}/embeddings"),
        await other.get(f"dataset/{dataset}/embeddingIndexes"),
        await other.post(f"dataset/{dataset}/async_export_embeddings", json={}),
    ):
        assert response.status_code == 404
