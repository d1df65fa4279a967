"""Autotags: emulator-only seeding, listing, tagged/training items, update, delete, metrics."""

from __future__ import annotations

import httpx
from curation_helpers import job_status
from emulator_helpers import append, item

from nucleus_emulator import Emulator

VECTORS = {"a": [1.0, 0.0], "b": [0.9, 0.1], "c": [0.0, 1.0], "d": [-1.0, 0.0]}


async def embedded_dataset(api: httpx.AsyncClient, emu: Emulator) -> str:
    """A dataset whose items carry vectors, indexed by an `indexingImage` job."""
    response = await api.post("dataset/create", json={"name": "tags"})
    ds: str = response.json()["dataset_id"]
    await append(
        api,
        ds,
        [
            item(ref, embedding_info={"index_id": "i", "embedding_vector": vec})
            for ref, vec in VECTORS.items()
        ],
    )
    await api.post(f"indexing/{ds}/internal/image", json={})
    assert emu.jobs.wait_idle(5)
    return ds


def seed_url(api: httpx.AsyncClient) -> str:
    """The emulator-only seeding route (outside the API prefix)."""
    return str(api.base_url.copy_with(path="/_emulator/autotags"))


async def seed(
    api: httpx.AsyncClient, ds: str, name: str = "cars", refs: list[str] | None = None
) -> httpx.Response:
    return await api.post(
        seed_url(api),
        json={"dataset_id": ds, "name": name, "positive_reference_ids": refs or ["a"]},
    )


async def test_new_dataset_has_no_autotags(api: httpx.AsyncClient, dataset: str) -> None:
    assert (await api.get(f"{dataset}/list_autotags")).json() == []


async def test_seeded_autotag_scores_by_cosine_similarity(
    api: httpx.AsyncClient, emu: Emulator
) -> None:
    ds = await embedded_dataset(api, emu)
    seeded = await seed(api, ds)
    assert seeded.status_code == 200, seeded.text
    autotag = seeded.json()["autotag"]
    assert autotag["id"].startswith("tag_")
    assert (autotag["name"], autotag["status"], autotag["autotag_level"]) == (
        "cars",
        "completed",
        "Image",
    )
    assert seeded.json()["scored_items"] == 4
    assert (await api.get(f"{ds}/list_autotags")).json() == [autotag]

    tagged = (
        await api.post(f"dataset/{ds}/autotag/cars/taggedItems", json={"score_threshold": 0.5})
    ).json()
    assert tagged["autotag"] == autotag
    assert [i["ref_id"] for i in tagged["autotagItems"]] == ["a", "b"]
    assert tagged["autotagItems"][0]["score"] == 1.0
    assert tagged["autotagItems"][0]["ground_truth_annotation_id"] is None
    everything = (
        await api.post(f"dataset/{ds}/autotag/cars/taggedItems", json={"score_threshold": -2})
    ).json()["autotagItems"]
    assert [i["ref_id"] for i in everything] == ["a", "b", "c", "d"]
    assert everything[-1]["score"] == -1.0

    training = (await api.get(f"dataset/{ds}/autotag/cars/trainingItems")).json()
    assert [i["ref_id"] for i in training["autotagPositiveTrainingItems"]] == ["a"]
    metrics = (await api.get(f"autotag/{autotag['id']}/refinementMetrics")).json()
    assert metrics["total_refinement_steps"] == 1
    assert metrics["average_positives_selected_per_refinement"] == 1


async def test_unknown_autotag_name(api: httpx.AsyncClient, dataset: str) -> None:
    response = await api.get(f"dataset/{dataset}/autotag/nope/trainingItems")
    assert response.status_code == 404
    assert f"The autotag nope was not found in dataset {dataset}" in response.text
    response = await api.post(f"dataset/{dataset}/autotag/nope/taggedItems", json={})
    assert response.status_code == 404


async def test_seeding_needs_embedded_positives(
    api: httpx.AsyncClient, emu: Emulator, dataset: str
) -> None:
    await append(api, dataset, [item("plain")])
    no_vectors = await seed(api, dataset, refs=["plain"])
    assert no_vectors.status_code == 400
    assert "embedding" in no_vectors.json()["error"]
    assert (await api.get(f"{dataset}/list_autotags")).json() == []
    assert (await seed(api, dataset, refs=["ghost"])).status_code == 400
    ds = await embedded_dataset(api, emu)
    assert (await seed(api, ds)).status_code == 200
    assert (await seed(api, ds)).status_code == 400  # name taken


async def test_update_rescores_and_build_slice_filters_by_score(
    api: httpx.AsyncClient, emu: Emulator
) -> None:
    ds = await embedded_dataset(api, emu)
    autotag = (await seed(api, ds, refs=["a", "b"])).json()["autotag"]
    job = (await api.post(f"autotag/{autotag['id']}", json={})).json()
    assert job["job_type"] == "autotagInference"
    assert emu.jobs.wait_idle(5)
    assert (await job_status(api, job["job_id"]))["status"] == "Completed"
    built = (
        await api.post(
            f"dataset/{ds}/build_slice",
            json={
                "name": "close",
                "sampleSize": 10,
                "sampleMethod": "Random",
                "filters": {"autotag": {"autotagId": autotag["id"], "range": [0.5, 1]}},
            },
        )
    ).json()
    assert emu.jobs.wait_idle(5)
    items = (await api.get(f"slice/{built['sliceId']}")).json()["items"]
    assert sorted(i["reference_id"] for i in items) == ["a", "b"]


async def test_uniqueness_sampling_uses_embeddings(api: httpx.AsyncClient, emu: Emulator) -> None:
    ds = await embedded_dataset(api, emu)
    built = (
        await api.post(
            f"dataset/{ds}/build_slice",
            json={"name": "u", "sampleSize": 2, "sampleMethod": "Uniqueness", "filters": {}},
        )
    ).json()
    assert emu.jobs.wait_idle(5)
    items = (await api.get(f"slice/{built['sliceId']}")).json()["items"]
    refs = {i["reference_id"] for i in items}
    assert "d" in refs  # the outlier is picked first
    assert not {"a", "b"} <= refs  # near-duplicates are not both picked
    message = (await job_status(api, built["job_id"]))["message"]["slice_build"]
    assert message["selectedByEmbedding"] == 2


async def test_delete_and_ownership(
    api: httpx.AsyncClient, other: httpx.AsyncClient, emu: Emulator
) -> None:
    ds = await embedded_dataset(api, emu)
    autotag = (await seed(api, ds)).json()["autotag"]
    assert (await other.get(f"{ds}/list_autotags")).status_code == 404
    assert (await other.post(f"autotag/{autotag['id']}", json={})).status_code == 404
    assert (await other.delete(f"autotag/{autotag['id']}")).status_code == 404
    assert (await other.get(f"autotag/{autotag['id']}/refinementMetrics")).status_code == 404
    foreign_seed = await other.post(
        seed_url(other),
        json={"dataset_id": ds, "name": "x", "positive_reference_ids": ["a"]},
    )
    assert foreign_seed.status_code == 404
    assert (await api.delete(f"autotag/{autotag['id']}")).json() == {}
    assert (await api.get(f"{ds}/list_autotags")).json() == []
    assert (await api.delete(f"autotag/{autotag['id']}")).status_code == 404
