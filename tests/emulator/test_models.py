"""Models: create, list, read by model or run id, delete, tags, trained slice ids."""

from __future__ import annotations

import httpx
from annotation_helpers import create_model
from emulator_helpers import append, item


async def test_create_list_get_and_delete(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "models/add",
        json={"name": "m", "reference_id": "r", "metadata": None, "tags": ["a"]},
    )
    model = response.json()["model_id"]
    assert model.startswith("prj_")
    expected = {
        "id": model,
        "name": "m",
        "ref_id": "r",
        "metadata": {},
        "tags": ["a"],
        "trained_slice_ids": [],
    }
    assert (await api.get("models/")).json() == {"models": [expected]}
    assert (await api.get(f"model/{model}")).json() == expected
    assert (await api.delete(f"model/{model}")).json() == {
        "msg": "Model deletion running in an async job"
    }
    assert (await api.get(f"model/{model}")).status_code == 404
    assert (await api.get("models/")).json() == {"models": []}
    bad = await api.post("models/add", json={"name": "m"})
    assert bad.status_code == 400


async def test_a_run_id_resolves_to_its_model_and_deleting_the_model_drops_runs(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a")])
    model = await create_model(api)
    uploaded = await api.post(
        f"dataset/{dataset}/model/{model}/uploadPredictions", json={"annotations": []}
    )
    run = uploaded.json()["model_run_id"]
    assert (await api.get(f"model/{run}")).json()["id"] == model
    await api.delete(f"model/{model}")
    assert (await api.get(f"modelRun/{run}/info")).status_code == 404
    assert (await api.get(f"dataset/{dataset}/info")).json()["model_run_ids"] == []


async def test_tags_and_trained_slice_ids(api: httpx.AsyncClient) -> None:
    model = await create_model(api)
    added = await api.post(f"model/{model}/tag", json={"tags": ["x", "y", "x"]})
    assert added.json() == {"model_id": model, "tags": ["x", "y"]}
    removed = await api.request("DELETE", f"model/{model}/tag", json={"tags": ["x"]})
    assert removed.status_code == 200
    assert removed.json()["tags"] == ["y"]
    missing = await api.request("DELETE", f"model/{model}/tag", json={"tags": ["zzz"]})
    assert missing.status_code == 400
    assert missing.text == (
        '{"error":"Deleted 0 tags from model. The specified tag(s) were not found."}'
    )
    assert (await api.get(f"model/{model}")).json()["tags"] == ["y"]

    slices = await api.post(f"model/{model}/trainedSliceId", json={"trained_slice_ids": ["s1"]})
    assert slices.json()["trained_slice_ids"] == ["s1"]
    dropped = await api.request(
        "DELETE", f"model/{model}/trainedSliceId", json={"trained_slice_ids": ["s1"]}
    )
    assert dropped.json()["trained_slice_ids"] == []
    bad = await api.post(f"model/{model}/tag", json={"tags": "x"})
    assert bad.status_code == 400


async def test_models_are_private_to_their_key(
    api: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    model = await create_model(api)
    assert (await other.get("models/")).json() == {"models": []}
    for call in (
        other.get(f"model/{model}"),
        other.delete(f"model/{model}"),
        other.post(f"model/{model}/tag", json={"tags": ["t"]}),
        other.request("DELETE", f"model/{model}/tag", json={"tags": ["t"]}),
        other.post(f"model/{model}/trainedSliceId", json={"trained_slice_ids": ["s"]}),
        other.request("DELETE", f"model/{model}/trainedSliceId", json={"trained_slice_ids": []}),
    ):
        assert (await call).status_code == 404
    assert (await api.get(f"model/{model}")).status_code == 200
