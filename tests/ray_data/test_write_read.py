"""NucleusDatasink and read_nucleus on a local Ray against the served emulator (small sizes)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import ray

import nucleus_async
from nucleus_ray import SCHEMA, NucleusDatasink, NucleusSettings, read_nucleus

pytestmark = pytest.mark.usefixtures("local_ray")


def item_rows(n: int) -> list[dict[str, Any]]:
    return [
        {"reference_id": f"r{i:05d}", "image_location": f"s3://b/{i}.jpg", "metadata": {"i": i}}
        for i in range(n)
    ]


def box_rows(n: int, prefix: str = "box") -> list[dict[str, Any]]:
    return [
        {"reference_id": f"r{i:05d}", "annotation_id": f"{prefix}-{i}", "label": "car",
         "x": i, "y": 1, "width": 2, "height": 3}
        for i in range(n)
    ]  # fmt: skip


def write(rows: list[dict[str, Any]], sink: NucleusDatasink, **kwargs: Any) -> None:
    ray.data.from_items(rows).write_datasink(sink, **kwargs)


def test_items_written_by_several_tasks_are_counted_exactly_and_read_back_equal(
    dataset_id: str, settings: NucleusSettings
) -> None:
    sink = NucleusDatasink(dataset_id, settings=settings, rows_per_write=100)

    write(item_rows(300), sink)

    assert sink.summary is not None
    assert (sink.summary.rows, sink.summary.new, sink.summary.updated) == (300, 300, 0)
    assert sink.summary.tasks >= 2
    rows = read_nucleus(dataset_id, settings=settings, page_size=70).take_all()
    assert sorted((r["reference_id"], r["image_location"], r["metadata"]) for r in rows) == [
        (f"r{i:05d}", f"s3://b/{i}.jpg", json.dumps({"i": i})) for i in range(300)
    ]


def test_a_second_write_of_the_same_items_updates_or_ignores_them(
    dataset_id: str, settings: NucleusSettings
) -> None:
    write(item_rows(50), NucleusDatasink(dataset_id, settings=settings))
    upsert = NucleusDatasink(dataset_id, settings=settings)
    keep = NucleusDatasink(dataset_id, settings=settings, update=False)

    write(item_rows(60), upsert)
    write(item_rows(70), keep)

    assert upsert.summary is not None and keep.summary is not None
    assert (upsert.summary.new, upsert.summary.updated, upsert.summary.ignored) == (10, 50, 0)
    assert (keep.summary.new, keep.summary.updated, keep.summary.ignored) == (10, 0, 60)


def test_boxes_and_predictions_read_back_as_written(
    dataset_id: str, settings: NucleusSettings, run_core: Any
) -> None:
    async def create_model(client: nucleus_async.NucleusClient) -> str:
        return (await client.create_model("ray model", "ray-model")).id

    model_id = run_core(create_model)
    write(item_rows(40), NucleusDatasink(dataset_id, settings=settings))
    boxes = NucleusDatasink(dataset_id, "annotations", settings=settings)
    predictions = NucleusDatasink(dataset_id, "predictions", model=model_id, settings=settings)
    write(box_rows(40), boxes)
    write([{**r, "confidence": 0.25} for r in box_rows(40, "pred")], predictions)

    rows = read_nucleus(dataset_id, model=model_id, settings=settings).take_all()

    assert boxes.summary is not None and predictions.summary is not None
    assert (boxes.summary.stored, predictions.summary.stored) == (40, 40)
    by_ref = {r["reference_id"]: r for r in rows}
    for i in range(40):
        (box,) = by_ref[f"r{i:05d}"]["annotations"]
        (prediction,) = by_ref[f"r{i:05d}"]["predictions"]
        assert (box["annotation_id"], box["x"], box["height"]) == (f"box-{i}", i, 3)
        assert (prediction["annotation_id"], prediction["confidence"]) == (f"pred-{i}", 0.25)


def test_read_blocks_have_the_fixed_schema_even_for_an_empty_page(
    dataset_id: str, settings: NucleusSettings
) -> None:
    write(item_rows(5), NucleusDatasink(dataset_id, settings=settings))

    dataset = read_nucleus(dataset_id, settings=settings, page_size=2)
    tables = [ray.get(ref) for ref in dataset.to_arrow_refs()]

    assert all(table.schema == SCHEMA for table in tables)
    assert sum(table.num_rows for table in tables) == 5


def test_read_payloads_write_back_through_the_payload_column(
    dataset_id: str, settings: NucleusSettings, run_core: Any
) -> None:
    write(item_rows(10), NucleusDatasink(dataset_id, settings=settings))
    write(box_rows(10), NucleusDatasink(dataset_id, "annotations", settings=settings))

    async def copy_dataset(client: nucleus_async.NucleusClient) -> str:
        return (await client.create_dataset("copy", is_scene=False)).id

    copy_id = run_core(copy_dataset)
    read = read_nucleus(dataset_id, settings=settings)
    items = read.map(
        lambda r: {"reference_id": r["reference_id"], "image_location": r["image_location"]}
    )
    items.write_datasink(NucleusDatasink(copy_id, settings=settings))
    read.flat_map(lambda r: [{"payload": a["payload"]} for a in r["annotations"]]).write_datasink(
        NucleusDatasink(copy_id, "annotations", settings=settings)
    )

    def boxes(dataset: str) -> list[tuple[str, str | None]]:
        rows = read_nucleus(dataset, settings=settings).take_all()
        return sorted((r["reference_id"], a["payload"]) for r in rows for a in r["annotations"])

    assert boxes(copy_id) == boxes(dataset_id)


def test_slices_are_read_one_task_each(
    dataset_id: str, settings: NucleusSettings, run_core: Any
) -> None:
    write(item_rows(20), NucleusDatasink(dataset_id, settings=settings))

    async def slices(client: nucleus_async.NucleusClient) -> list[str]:
        dataset = await client.get_dataset(dataset_id)
        first = await dataset.create_slice("a", [f"r{i:05d}" for i in range(0, 5)])
        second = await dataset.create_slice("b", [f"r{i:05d}" for i in range(5, 12)])
        return [first.id, second.id]

    slice_ids = run_core(slices)

    rows = read_nucleus(dataset_id, slice_ids=slice_ids, settings=settings).take_all()

    assert sorted(r["reference_id"] for r in rows) == [f"r{i:05d}" for i in range(12)]


def test_an_invalid_row_fails_the_write_naming_it(
    dataset_id: str, settings: NucleusSettings
) -> None:
    rows = item_rows(10)
    rows[7]["width"] = -3

    with pytest.raises(Exception, match=r"row \d+ of the block: \[r00007\] width"):
        write(rows, NucleusDatasink(dataset_id, settings=settings))


def test_boxes_on_unknown_items_are_reported_as_failed_by_reference_id(
    dataset_id: str, settings: NucleusSettings
) -> None:
    write(item_rows(5), NucleusDatasink(dataset_id, settings=settings))
    sink = NucleusDatasink(dataset_id, "annotations", settings=settings, update=False)

    write(box_rows(8), sink)

    assert sink.summary is not None
    assert (sink.summary.stored, sink.summary.failed) == (5, 3)
    assert sorted(sink.summary.failed_reference_ids) == ["r00005", "r00006", "r00007"]
