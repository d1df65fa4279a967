"""The official client's ``NucleusClient`` wrappers on both faces (emulator).

Code written for the official client reaches datasets, model runs and slices through the
client by id (``client.dataitem_ref_id(dataset_id, ref)``); each wrapper answers as the method
of the resource it names.
"""

from __future__ import annotations

from typing import Any

import nucleus_async as n


def _items(count: int) -> list[n.DatasetItem]:
    return [
        n.DatasetItem(image_location=f"https://example.com/{i}.jpg", reference_id=f"r{i}")
        for i in range(count)
    ]


def _box(ref: str, annotation_id: str) -> n.BoxPrediction:
    return n.BoxPrediction(
        label="car", x=0, y=0, width=2, height=2, reference_id=ref, annotation_id=annotation_id
    )


async def test_dataset_wrappers_read_and_change_a_dataset_by_id(client: Any, dataset: Any) -> None:
    await client.populate_dataset(dataset.id, _items(3))
    assert (await client.dataset_info(dataset.id)).length == 3
    assert sorted(i.reference_id for i in await client.get_dataset_items(dataset.id)) == [
        "r0",
        "r1",
        "r2",
    ]
    by_ref = await client.dataitem_ref_id(dataset.id, "r1")
    assert by_ref["item"].reference_id == "r1"
    assert (await client.dataitem_iloc(dataset.id, 0))["item"].reference_id in {"r0", "r1", "r2"}
    await client.delete_dataset_item(dataset.id, "r2")
    assert (await client.dataset_info(dataset.id)).length == 2


async def test_client_properties_list_what_the_key_owns(client: Any, dataset: Any) -> None:
    await dataset.append(_items(2))
    slc = await dataset.create_slice("two", ["r0", "r1"])
    job = await dataset.append(_items(1), update=True, asynchronous=True)
    assert dataset.id in {d.id for d in await client.datasets}
    assert slc.id in {s.id for s in await client.slices}
    await job.wait_until_complete()
    # ``jobs`` is ``list_jobs()`` with its defaults, which leave finished jobs out.
    assert [j.job_id for j in await client.jobs] == [j.job_id for j in await client.list_jobs()]
    finished = await client.list_jobs(show_completed=True)
    assert job.job_id in {j.job_id for j in finished}
    assert (await client.slice_info(slc.id))["name"] == "two"


async def test_model_run_wrappers_reach_a_run_by_id(client: Any, dataset: Any) -> None:
    await dataset.append(_items(2))
    model = await client.add_model("m", "m-ref")
    run = await client.create_model_run(
        dataset.id, {"name": "run", "reference_id": model.reference_id}
    )
    same = await client.get_model_run(run.model_run_id, dataset.id)
    await same.predict([_box("r0", "p0")])
    assert (await client.model_run_info(run.model_run_id))["name"] == "run"
    by_ref = await client.predictions_ref_id(run.model_run_id, "r0")
    assert [p.annotation_id for p in by_ref["box"]] == ["p0"]
    committed = await client.commit_model_run(run.model_run_id)
    assert committed["model_run_id"] == run.model_run_id
    await client.delete_model_run(run.model_run_id)
    assert run.model_run_id not in await dataset.model_runs


async def test_raw_verbs_send_to_any_route(client: Any, dataset: Any) -> None:
    await client.post({"tags": ["raw"]}, f"dataset/{dataset.id}/tags")
    assert "raw" in (await client.get(f"dataset/{dataset.id}/tags"))["tags"]
    assert (await client.get(f"dataset/{dataset.id}/name"))["name"] == "integration"
