"""Probes of batches in doubt, against the in-process emulator: stored, partly, not at all."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import nucleus_async
from nucleus_async import (
    BoxAnnotation,
    BoxPrediction,
    CategoryAnnotation,
    DatasetItem,
    LineAnnotation,
    Point,
    Segment,
    SegmentationAnnotation,
)
from nucleus_async._upload.probe import AnnotationProbe, ItemProbe
from nucleus_emulator import Emulator

KEY = "probe-key"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[nucleus_async.NucleusClient]:
    async with nucleus_async.NucleusClient(
        KEY,
        endpoint=emu.endpoint,
        http_transport=nucleus_async.ASGITransport(emu.app),
        retry=nucleus_async.RetryPolicy(max_attempts=2, sleep=no_sleep),
        progress=False,
    ) as client:
        yield client


@pytest.fixture
async def dataset(client: nucleus_async.NucleusClient) -> nucleus_async.Dataset:
    """A dataset holding items ``r0``..``r3`` and ``r 4/x`` (a reference id with a slash)."""
    ds = await client.create_dataset("probe", is_scene=False)
    refs = [f"r{i}" for i in range(4)] + ["r 4/x"]
    await ds.append([DatasetItem(f"s3://b/{ref}.jpg", ref) for ref in refs])
    return ds


def item_probe(ds: nucleus_async.Dataset, *, update: bool = False) -> ItemProbe:
    return ItemProbe(ds._transport, ds.id, update=update, concurrency=2)


def annotation_probe(
    ds: nucleus_async.Dataset, route: str = "annotate", *, predictions: bool = False
) -> AnnotationProbe:
    return AnnotationProbe(
        ds._transport, ds.id, f"dataset/{ds.id}/{route}", predictions=predictions,
        update=False, concurrency=2,
    )  # fmt: skip


def items(*refs: str) -> list[DatasetItem]:
    return [DatasetItem(f"s3://b/{ref}.jpg", ref) for ref in refs]


def box(ref: str, annotation_id: str) -> BoxAnnotation:
    return BoxAnnotation("car", 1, 2, 3, 4, ref, annotation_id)


def mask(ref: str) -> SegmentationAnnotation:
    return SegmentationAnnotation("s3://b/m.png", [Segment("road", 1)], ref, f"mask-{ref}")


async def test_items_all_stored_are_stored(dataset: nucleus_async.Dataset) -> None:
    assert await item_probe(dataset).stored(items("r0", "r1", "r 4/x"))


async def test_items_some_missing_are_not_stored(dataset: nucleus_async.Dataset) -> None:
    assert not await item_probe(dataset).stored(items("r0", "nope", "r1"))


async def test_items_none_stored_are_not_stored(dataset: nucleus_async.Dataset) -> None:
    assert not await item_probe(dataset).stored(items("a", "b"))


async def test_a_probe_the_service_fails_fails_instead_of_guessing(
    emu: Emulator, dataset: nucleus_async.Dataset
) -> None:
    emu.configure_faults(rate=1.0, kinds="500", path_pattern="/refloc/")
    with pytest.raises(nucleus_async.ServerError):
        await item_probe(dataset).stored(items("r0"))


def test_stored_items_count_as_a_resend_would_ignored_or_updated() -> None:
    units = items("a", "b", "c")
    ignored = ItemProbe(None, "ds_1", update=False, concurrency=1).answer(units)  # type: ignore[arg-type]
    updated = ItemProbe(None, "ds_1", update=True, concurrency=1).answer(units)  # type: ignore[arg-type]
    assert ignored == {
        "dataset_id": "ds_1", "new_items": 0, "updated_items": 0, "ignored_items": 3,
        "upload_errors": 0,
    }  # fmt: skip
    assert (updated["updated_items"], updated["ignored_items"]) == (3, 0)


async def test_annotations_all_stored_by_their_identities_are_stored(
    dataset: nucleus_async.Dataset,
) -> None:
    units: list[Any] = [
        box("r0", "b0"), box("r0", "b1"), box("r1", "b2"), mask("r1"),
        CategoryAnnotation("cat", "r2", taxonomy_name="weather"),
    ]  # fmt: skip
    await dataset.annotate(units)
    # A mask is one per item whatever its id; a category is its item and taxonomy.
    again = [*units[:3], SegmentationAnnotation("s3://b/other.png", [], "r1", "other-id")]
    assert await annotation_probe(dataset).stored(again)
    assert await annotation_probe(dataset).stored(units)


async def test_annotations_some_missing_are_not_stored(dataset: nucleus_async.Dataset) -> None:
    await dataset.annotate([box("r0", "b0"), CategoryAnnotation("cat", "r2", taxonomy_name="w")])
    probe = annotation_probe(dataset)
    assert not await probe.stored([box("r0", "b0"), box("r0", "b-missing")])
    assert not await probe.stored([box("r0", "b0"), mask("r0")])
    assert not await probe.stored([CategoryAnnotation("cat", "r2", taxonomy_name="other")])


async def test_annotations_none_stored_are_not_stored(dataset: nucleus_async.Dataset) -> None:
    assert not await annotation_probe(dataset).stored([box("r3", "b9"), box("unknown", "b8")])


async def test_an_annotation_without_an_id_is_never_provably_stored(
    dataset: nucleus_async.Dataset,
) -> None:
    line = LineAnnotation("lane", [Point(0, 0), Point(1, 1)], "r0")
    await dataset.annotate([line])
    assert not await annotation_probe(dataset).stored([line])


async def test_predictions_are_stored_only_for_their_model(
    client: nucleus_async.NucleusClient, dataset: nucleus_async.Dataset
) -> None:
    model = await client.create_model("m", "m-ref")
    other = await client.create_model("other", "other-ref")
    predictions = [BoxPrediction("car", 1, 2, 3, 4, "r0", annotation_id="p0", confidence=0.5)]
    await dataset.upload_predictions(model, predictions)

    def probe(of: nucleus_async.Model) -> AnnotationProbe:
        return annotation_probe(dataset, f"model/{of.id}/uploadPredictions", predictions=True)

    assert await probe(model).stored(predictions)
    assert not await probe(other).stored(predictions)
    missing = BoxPrediction("car", 1, 2, 3, 4, "r1", annotation_id="p1", confidence=0.5)
    assert not await probe(model).stored([*predictions, missing])
    assert probe(model).answer(predictions) == {
        "dataset_id": dataset.id, "predictions_processed": 0, "predictions_ignored": 1,
    }  # fmt: skip
