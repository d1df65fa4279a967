"""Indexes, embeddings and autotags through both faces against the in-process emulator.

The emulator has no embedding model: image indexing indexes the vectors items were uploaded
with (``embedding_info``), object indexing the annotations' ``embedding_vector``, and custom
indexes read ``file://`` URLs. Autotags are seeded through an emulator-only route (the service
trains them from positives picked in the dashboard).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import nucleus_async as nucleus
from nucleus_emulator import Emulator

API_KEY = "integration-key"  # the key of the `client` fixture (conftest.py)

VECTORS = {
    "img-0": [1.0, 0.0, 0.0],
    "img-1": [0.9, 0.1, 0.0],
    "img-2": [0.0, 1.0, 0.0],
    "img-3": [0.0, 0.0, 1.0],
}


def embedded_items() -> list[nucleus.DatasetItem]:
    return [
        nucleus.DatasetItem(
            image_location=f"s3://bucket/{ref}.jpg",
            reference_id=ref,
            embedding_info={"index_id": "idx", "embedding_vector": vector},
        )
        for ref, vector in VECTORS.items()
    ]


async def completed(job: Any) -> dict[str, Any]:
    status: dict[str, Any] = await job.wait_until_complete(timeout=30)
    assert status["status"] == "Completed", status
    return status


@pytest.fixture
async def indexed(dataset: Any) -> Any:
    await dataset.append(embedded_items())
    await completed(await dataset.create_image_index())
    return dataset


async def seed_autotag(emulator: Emulator, dataset_id: str, name: str, positives: list[str]) -> Any:
    root = emulator.endpoint.split("/v1/")[0]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url=root, auth=(API_KEY, "")
    ) as http:
        response = await http.post(
            "/_emulator/autotags",
            json={"dataset_id": dataset_id, "name": name, "positive_reference_ids": positives},
        )
    response.raise_for_status()
    return response.json()["autotag"]


async def test_image_index_embeds_the_uploaded_vectors(indexed: Any) -> None:
    status = await indexed.get_image_indexing_status()
    assert status["embedding_count"] == 4 and status["image_count"] == 4
    assert status["percent_indexed"] == 100
    exported = {
        row["reference_id"]: row["embedding_vector"] for row in await indexed.export_embeddings()
    }
    assert exported == VECTORS


async def test_embeddings_export_asynchronously_to_files(indexed: Any, emulator: Emulator) -> None:
    job = await indexed.export_embeddings(asynchronous=True)
    status = await completed(job)
    (url,) = status["message"]["result"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), auth=(API_KEY, "")
    ) as http:
        response = await http.get(url)
    response.raise_for_status()
    assert {row["reference_id"]: row["embedding_vector"] for row in response.json()} == VECTORS


async def test_a_custom_index_reads_embedding_files(
    client: Any, dataset: Any, tmp_path: Path
) -> None:
    await dataset.append(embedded_items())
    path = tmp_path / "embeddings.json"
    path.write_text(json.dumps({ref: [v * 2 for v in vector] for ref, vector in VECTORS.items()}))
    job = await dataset.create_custom_index([path.as_uri()], 3)
    await completed(job)
    assert await dataset.set_primary_index(image=True, custom=True) == {"success": True}
    exported = {
        row["reference_id"]: row["embedding_vector"] for row in await dataset.export_embeddings()
    }
    assert exported == {ref: [v * 2 for v in vector] for ref, vector in VECTORS.items()}
    deleted = await dataset.delete_custom_index(image=True)
    assert deleted["dataset_id"] == dataset.id
    await completed(await client.get_job(deleted["job_id"]))
    left = {
        row["reference_id"]: row["embedding_vector"] for row in await dataset.export_embeddings()
    }
    assert left != exported


async def test_embeddings_of_the_wrong_dimension_are_reported_by_the_job(
    dataset: Any, tmp_path: Path
) -> None:
    await dataset.append(embedded_items())
    path = tmp_path / "embeddings.json"
    path.write_text(json.dumps({ref: vector for ref, vector in VECTORS.items()}))
    job = await dataset.create_custom_index([path.as_uri()], 5)
    status = await completed(job)
    assert status["message"]["custom_indexing"]["errored"] == 4
    errors = await job.errors()
    assert len(errors) == 4 and all("dimensions" in error for error in errors)


async def test_continuous_indexing_backfills_when_enabled(dataset: Any) -> None:
    await dataset.append(embedded_items())
    enabled = await dataset.set_continuous_indexing(True)
    assert enabled["dataset_id"] == dataset.id and enabled["message"]
    await completed(enabled["backfill_job"])
    disabled = await dataset.set_continuous_indexing(False)
    assert "backfill_job" not in disabled


async def test_object_index_embeds_annotation_vectors(dataset: Any) -> None:
    await dataset.append(embedded_items())
    await dataset.annotate(
        [
            nucleus.BoxAnnotation(
                "car", 1, 2, 3, 4, "img-0", annotation_id="b0", embedding_vector=[0.1, 0.2]
            ),
            nucleus.BoxAnnotation("car", 1, 2, 3, 4, "img-1", annotation_id="b1"),
        ]
    )
    await completed(await dataset.create_object_index(gt_only=True))
    status = await dataset.get_object_indexing_status()
    assert status["embedding_count"] == 1 and status["object_count"] == 2


async def test_autotag_reads_updates_and_deletion(
    client: Any, indexed: Any, emulator: Emulator
) -> None:
    seeded = await seed_autotag(emulator, indexed.id, "round things", ["img-0"])
    (listed,) = await indexed.list_autotags()
    assert listed["name"] == "round things" and listed["id"] == seeded["id"]
    tagged = await indexed.autotag_items("round things", for_scores_greater_than=0.5)
    refs = [row["ref_id"] for row in tagged["autotagItems"]]
    assert refs[:2] == ["img-0", "img-1"] and "img-3" not in refs
    assert tagged["autotag"]["name"] == "round things"
    training = await indexed.autotag_training_items("round things")
    assert [row["ref_id"] for row in training["autotagPositiveTrainingItems"]] == ["img-0"]
    await completed(await indexed.update_autotag(seeded["id"]))
    metrics = await client.get_autotag_refinement_metrics(seeded["id"])
    # The one update above is one refinement step; its positives are the one seeded.
    assert metrics["total_refinement_steps"] == 1
    assert metrics["average_positives_selected_per_refinement"] == 1
    await client.delete_autotag(seeded["id"])
    assert await indexed.list_autotags() == []


async def test_an_unknown_autotag_is_an_api_error(indexed: Any) -> None:
    with pytest.raises(nucleus.NucleusAPIError, match="was not found"):
        await indexed.autotag_training_items("no such tag")
