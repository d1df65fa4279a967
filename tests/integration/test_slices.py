"""Slices through both faces against the in-process emulator."""

from __future__ import annotations

from typing import Any

import pytest

import nucleus_async as nucleus
from nucleus_async.resources.slice import (
    SliceBuilderFilters,
    SliceBuilderMethods,
    SliceType,
)


def items(n: int) -> list[nucleus.DatasetItem]:
    return [
        nucleus.DatasetItem(image_location=f"s3://bucket/{i}.jpg", reference_id=f"img-{i}")
        for i in range(n)
    ]


def box(ref: str, label: str = "car") -> nucleus.BoxAnnotation:
    return nucleus.BoxAnnotation(label, 1, 2, 30, 40, ref, annotation_id=f"{label}-{ref}")


@pytest.fixture
async def filled(dataset: Any) -> Any:
    await dataset.append(items(10))
    return dataset


async def refs_of(slc: Any) -> list[str]:
    return sorted(item.reference_id for item in await slc.dataset_items())


async def test_create_slice_then_read_its_items_and_info(filled: Any) -> None:
    slc = await filled.create_slice("foggy", ["img-1", "img-2", "img-3"])
    assert slc.id.startswith("slc_")
    assert (await slc.name, await slc.dataset_id) == ("foggy", filled.id)
    assert await refs_of(slc) == ["img-1", "img-2", "img-3"]
    info = await slc.info()
    assert info["name"] == "foggy" and info["dataset_id"] == filled.id
    assert info["type"] == "dataset_item"
    assert await slc.created_at is not None and await slc.pending_job_count == 0


async def test_items_generator_pages_through_the_slice(filled: Any) -> None:
    slc = await filled.create_slice("some", [f"img-{i}" for i in range(7)])
    refs = [item.reference_id async for item in slc.items_generator(page_size=2)]
    assert sorted(refs) == [f"img-{i}" for i in range(7)]


async def test_an_empty_slice_can_be_created_and_filled(filled: Any) -> None:
    slc = await filled.create_slice("empty", [])
    assert await slc.dataset_items() == []
    answer = await slc.append(["img-4", "img-5"])
    assert sorted(answer["new_items"]) == ["img-4", "img-5"]
    again = await slc.append(["img-5", "img-6"])
    assert again["new_items"] == ["img-6"]
    assert await refs_of(slc) == ["img-4", "img-5", "img-6"]


async def test_a_slice_by_id_fetches_its_attributes_when_read(client: Any, filled: Any) -> None:
    created = await filled.create_slice("by-id", ["img-0"])
    slc = await client.get_slice(created.id)
    await slc.append(["img-9"])  # looks its dataset up first
    assert await slc.dataset_id == filled.id
    assert await slc.name == "by-id"
    await client.append_to_slice(created.id, ["img-8"], filled.id)
    assert await refs_of(slc) == ["img-0", "img-8", "img-9"]


async def test_get_slices_by_name_and_type(filled: Any) -> None:
    first = await filled.create_slice("alpha", ["img-1"])
    await filled.create_slice("beta b&c", ["img-2"])
    by_name = await filled.get_slices(name="beta b&c")
    assert [await s.name for s in by_name] == ["beta b&c"]
    typed = await filled.get_slices(slice_type=SliceType.DATASET_ITEM)
    assert {await s.name for s in typed} == {"alpha", "beta b&c"}
    both = await filled.get_slices(name="alpha", slice_type="dataset_item")
    assert [s.id for s in both] == [first.id]
    assert {s.id for s in await filled.slices} == {s.id for s in typed}
    with pytest.raises(nucleus.NotFoundError):
        await filled.get_slices(name="nope")
    with pytest.raises(nucleus.NotFoundError):
        await filled.get_slices(slice_type="scene")
    with pytest.raises(nucleus.ValidationError):
        await filled.get_slices(slice_type="bogus")


async def test_delete_slice_removes_it(client: Any, filled: Any) -> None:
    slc = await filled.create_slice("doomed", ["img-1"])
    await client.delete_slice(slc.id)
    with pytest.raises(nucleus.NotFoundError):
        await slc.info()


@pytest.mark.parametrize("method", ["Random", SliceBuilderMethods.UNIQUENESS])
async def test_build_slice_samples_in_a_job(filled: Any, method: Any) -> None:
    job, slice_id = await filled.build_slice("sampled", 4, method)
    assert slice_id.startswith("slc_")
    status = await job.wait_until_complete(timeout=30)
    assert status["status"] == "Completed"
    (built,) = await filled.get_slices(name="sampled")
    assert built.id == slice_id
    assert len(await built.dataset_items()) == 4


async def test_build_slice_can_sample_from_another_slice(filled: Any) -> None:
    source = await filled.create_slice("source", ["img-1", "img-2", "img-3"])
    job, _ = await filled.build_slice(
        "subset", 10, "Random", SliceBuilderFilters(slice_id=source.id)
    )
    await job.wait_until_complete(timeout=30)
    (built,) = await filled.get_slices(name="subset")
    assert await refs_of(built) == ["img-1", "img-2", "img-3"]


async def test_slice_exports_items_with_their_annotations(filled: Any) -> None:
    await filled.annotate([box("img-1"), box("img-2", "bus")])
    slc = await filled.create_slice("annotated", ["img-1", "img-2", "img-3"])
    rows = {row["item"].reference_id: row for row in await slc.items_and_annotations()}
    assert set(rows) == {"img-1", "img-2", "img-3"}
    assert rows["img-1"]["annotations"]["box"] == [box("img-1")]
    assert rows["img-3"]["annotations"] == {}


async def test_slice_annotation_generator_streams_the_same_rows(filled: Any) -> None:
    await filled.annotate([box("img-1"), box("img-2", "bus")])
    slc = await filled.create_slice("annotated", ["img-1", "img-2", "img-3"])
    streamed = {row["item"].reference_id: row async for row in slc.items_and_annotation_generator()}
    assert set(streamed) == {"img-1", "img-2", "img-3"}
    assert streamed["img-2"]["annotations"]["box"] == [box("img-2", "bus")]


async def test_slice_exports_a_models_predictions(client: Any, filled: Any) -> None:
    model = await client.create_model("detector", "det-1")
    prediction = nucleus.BoxPrediction("car", 1, 2, 30, 40, "img-1", confidence=0.9)
    await filled.upload_predictions(model, [prediction])
    slc = await filled.create_slice("predicted", ["img-1", "img-2"])
    rows = {row["item"].reference_id: row for row in await slc.export_predictions(model)}
    (got,) = rows["img-1"]["predictions"]["box"]
    assert isinstance(got, nucleus.BoxPrediction) and got.label == "car"
    streamed = [row async for row in slc.export_predictions_generator(model)]
    assert {row["item"].reference_id for row in streamed} == {"img-1", "img-2"}


async def test_slice_raw_items_name_only_the_slices_items(filled: Any) -> None:
    slc = await filled.create_slice("raw", ["img-1"])
    raw = await slc.export_raw_items()
    assert [entry["ref_id"] for entry in raw["raw_dataset_items"]] == ["img-1"]
    assert raw["raw_dataset_items"][0]["scale_url"] == "s3://bucket/1.jpg"


async def test_slice_embeddings_are_the_vectors_of_its_items_only(dataset: Any) -> None:
    vectors = {f"img-{i}": [float(i), 1.0, 0.5] for i in range(4)}
    await dataset.append(
        [
            nucleus.DatasetItem(
                image_location=f"s3://bucket/{ref}.jpg",
                reference_id=ref,
                embedding_info={"index_id": "idx", "embedding_vector": vector},
            )
            for ref, vector in vectors.items()
        ]
    )
    indexing = await dataset.create_image_index()  # indexes the vectors uploaded with the items
    assert (await indexing.wait_until_complete(timeout=30))["status"] == "Completed"
    slc = await dataset.create_slice("embedded", ["img-1", "img-3"])
    exported = {
        row["reference_id"]: row["embedding_vector"] for row in await slc.export_embeddings()
    }
    assert exported == {"img-1": vectors["img-1"], "img-3": vectors["img-3"]}


async def test_send_to_labeling_runs_a_job_over_the_slices_items(filled: Any) -> None:
    slc = await filled.create_slice("to-label", ["img-1", "img-2"])
    job = await slc.send_to_labeling("project_123")
    assert job.job_type == "sendToLabeling"
    status = await job.wait_until_complete(timeout=30)
    assert status["status"] == "Completed"
    sent = status["message"]["send_to_labeling"]
    assert (sent["sliceId"], sent["projectId"]) == (slc.id, "project_123")
    assert sent["itemsRequested"] == 2


async def test_append_to_an_unknown_slice_names_the_slice_not_a_hidden_route(client: Any) -> None:
    slc = await client.get_slice("slc_nope")
    with pytest.raises(nucleus.NotFoundError) as caught:
        await slc.append(["img-1"])
    assert str(caught.value) == "Slice slc_nope not found (while appending items)"
