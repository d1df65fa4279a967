"""Ground truth on both faces (emulator): annotate, reads, exports, deletes, taxonomies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

import nucleus_async as n
from nucleus_emulator import Emulator

REFS = [f"img_{i}" for i in range(5)]


async def collect(call: Any) -> list[Any]:
    """Every element of a paged read, on either face (an AsyncPager, or a sync Pager)."""
    if hasattr(call, "__aiter__"):
        return [row async for row in call]
    pager = await call  # the sync face: a blocking call that returns a sync Pager
    target = getattr(pager, "unwrapped", pager)
    return await anyio.to_thread.run_sync(lambda: list(target))


@pytest.fixture
async def items(dataset: Any) -> Any:
    await dataset.append(
        [n.DatasetItem(image_location=f"s3://bucket/{r}.jpg", reference_id=r) for r in REFS]
    )
    return dataset


def box(ref: str, x: int = 0, **kwargs: Any) -> n.BoxAnnotation:
    return n.BoxAnnotation("car", x, 0, 10, 10, ref, **kwargs)


def local_png(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + name.encode())
    return str(path)


# -- annotate -----------------------------------------------------------------------------


async def test_annotate_reports_processed_counts(items: Any) -> None:
    result = await items.annotate([box(r) for r in REFS])
    assert result["dataset_id"] == items.id
    assert result["annotations_processed"] == 5
    assert result["annotations_ignored"] == 0


async def test_one_journal_skips_the_same_boxes_but_sends_other_boxes_on_the_same_items(
    items: Any, tmp_path: Path
) -> None:
    # Batch keys digest each unit's identity (reference id and annotation id), not only the
    # items it lands on: a journal reused for other boxes on the same items skips nothing.
    journal = tmp_path / "boxes.journal"
    first = await items.annotate([box(r, annotation_id="a") for r in REFS], journal=journal)
    again = await items.annotate([box(r, annotation_id="a") for r in REFS], journal=journal)
    other = await items.annotate([box(r, 5, annotation_id="b") for r in REFS], journal=journal)
    assert first["annotations_processed"] == again["annotations_processed"] == 5
    assert other["annotations_processed"] == 5 and other["annotations_ignored"] == 0
    stored = await items.refloc(REFS[0])
    assert sorted(a.annotation_id for a in stored["annotations"]["box"]) == ["a", "b"]


async def test_every_geometry_type_round_trips_through_refloc(items: Any) -> None:
    units = [
        box("img_0", annotation_id="b1", metadata={"color": "red"}),
        n.LineAnnotation("lane", [n.Point(0, 0), n.Point(5, 5)], "img_0", annotation_id="l1"),
        n.PolygonAnnotation(
            "road", [n.Point(0, 0), n.Point(5, 0), n.Point(5, 5)], "img_0", annotation_id="p1"
        ),
        n.KeypointsAnnotation(
            "face",
            [n.Keypoint(1, 2), n.Keypoint(3, 4)],
            ["nose", "eye"],
            "img_0",
            skeleton=[[0, 1]],
            annotation_id="k1",
        ),
        n.CategoryAnnotation("day", "img_0", taxonomy_name=None),
    ]
    result = await items.annotate(units)
    assert result["annotations_processed"] == len(units)
    row = await items.refloc("img_0")
    by_type = row["annotations"]
    assert by_type["box"] == [units[0]]
    assert by_type["line"] == [units[1]]
    assert by_type["polygon"] == [units[2]]
    assert by_type["keypoints"] == [units[3]]
    assert by_type["category"] == [units[4]]


async def test_cuboids_round_trip(items: Any) -> None:
    cuboid = n.CuboidAnnotation(
        "car", n.Point3D(1, 2, 3), n.Point3D(4, 5, 6), 0.5, "img_0", annotation_id="c1"
    )
    assert (await items.annotate([cuboid]))["annotations_processed"] == 1
    assert (await items.ground_truth_loc("img_0", "c1")) == cuboid


async def test_multicategory_annotations_need_and_use_a_taxonomy(items: Any) -> None:
    await items.add_taxonomy("weather", "multicategory", ["rain", "fog", "sun"])
    unit = n.MultiCategoryAnnotation(["rain", "fog"], "img_1", taxonomy_name="weather")
    assert (await items.annotate([unit]))["annotations_processed"] == 1
    assert (await items.refloc("img_1"))["annotations"]["multicategory"] == [unit]


async def test_remote_masks_round_trip_as_a_segmentation(items: Any) -> None:
    mask = n.SegmentationAnnotation(
        "s3://bucket/mask_2.png", [n.Segment("car", 1), n.Segment("road", 2)], "img_2"
    )
    result = await items.annotate([mask, box("img_2")])
    assert result["annotations_processed"] == 2
    annotations = (await items.refloc("img_2"))["annotations"]
    assert annotations["segmentation"] == [mask]
    assert len(annotations) == 2  # the server omits empty types


async def test_local_masks_are_uploaded_as_files(items: Any, tmp_path: Path) -> None:
    masks = [
        n.SegmentationAnnotation(local_png(tmp_path, f"{r}.png"), [n.Segment("car", 1)], r)
        for r in REFS
    ]
    result = await items.annotate(masks, local_files_per_upload_request=2)
    assert result["annotations_processed"] == 5
    assert (await items.refloc("img_4"))["annotations"]["segmentation"] == [masks[4]]


async def test_a_missing_local_mask_names_the_file_and_the_item(items: Any, tmp_path: Path) -> None:
    gone = str(tmp_path / "gone.png")
    mask = n.SegmentationAnnotation(gone, [n.Segment("car", 1)], "img_1")
    with pytest.raises(n.LocalFileNotFoundError) as caught:
        await items.annotate([mask])
    assert str(caught.value) == f"[img_1] mask_url: local file {gone!r} does not exist"
    assert isinstance(caught.value, FileNotFoundError)


async def test_reupload_is_ignored_unless_update(items: Any) -> None:
    await items.annotate([box(r, metadata={"v": 1}) for r in REFS])
    again = await items.annotate([box(r, metadata={"v": 2}) for r in REFS])
    assert (again["annotations_processed"], again["annotations_ignored"]) == (0, 5)
    assert (await items.refloc("img_0"))["annotations"]["box"][0].metadata == {"v": 1}
    updated = await items.annotate([box(r, metadata={"v": 2}) for r in REFS], update=True)
    assert updated["annotations_processed"] == 5
    assert (await items.refloc("img_0"))["annotations"]["box"][0].metadata == {"v": 2}


async def test_unknown_reference_ids_come_back_as_errors(items: Any) -> None:
    result = await items.annotate([box("img_0"), box("fake_garbage")])
    assert result["annotations_processed"] == 1
    assert len(result["errors"]) == 1
    assert "fake_garbage" in result["errors"][0]


async def test_batches_of_a_stream_are_sent_concurrently(
    items: Any, emulator: Emulator, face: str
) -> None:
    def generate() -> Iterator[n.BoxAnnotation]:
        for i in range(2000):
            yield box(REFS[i % 5], x=i)

    emulator.latency = 0.01
    emulator.stats.reset()
    result = await items.annotate(generate(), batch_size=50)
    assert result["annotations_processed"] == 2000
    assert emulator.stats.by_route.get("POST dataset/{ds}/annotate") == 40
    assert emulator.stats.peak_concurrency > 1


async def test_an_async_generator_streams_on_the_async_face(aclient: n.NucleusClient) -> None:
    dataset = await aclient.create_dataset("stream", is_scene=False)
    await dataset.append([n.DatasetItem(image_location="s3://b/a.jpg", reference_id="a")])

    async def generate() -> AsyncIterator[n.BoxAnnotation]:
        for i in range(30):
            yield box("a", x=i)

    result = await dataset.annotate(generate(), batch_size=7)
    assert isinstance(result, dict)
    assert result["annotations_processed"] == 30


async def test_duplicates_are_refused_before_anything_is_sent(
    items: Any, emulator: Emulator
) -> None:
    emulator.stats.reset()
    with pytest.raises(n.DuplicateIDError):
        await items.annotate([box("img_0"), box("img_0")])
    assert "POST dataset/{ds}/annotate" not in emulator.stats.by_route


async def test_an_invalid_annotation_names_its_field_and_reference_id(items: Any) -> None:
    bad = box("img_3")
    bad.x = float("inf")
    with pytest.raises(n.ValidationError, match=r"\[img_3\] x:"):
        await items.annotate([box("img_0"), bad])


async def test_asynchronous_annotate_returns_a_job_that_lands_the_annotations(
    items: Any,
) -> None:
    job = await items.annotate([box(r) for r in REFS], asynchronous=True)
    status = await job.wait_until_complete(timeout=30)
    assert status["status"] == "Completed"
    assert len((await items.refloc("img_3"))["annotations"]["box"]) == 1


async def test_errors_and_counts_of_every_batch_are_merged(items: Any, emulator: Emulator) -> None:
    emulator.stats.reset()
    known = [box(ref, annotation_id=f"known-{ref}") for ref in REFS]
    unknown = [box(f"missing-{i}", annotation_id=f"unknown-{i}") for i in range(3)]
    # Batches of two: each of the three unknown items lands in a batch of its own.
    mixed = [known[0], unknown[0], known[1], unknown[1], known[2], unknown[2], *known[3:]]
    result = await items.annotate(mixed, batch_size=2)
    batches = emulator.stats.by_route["POST dataset/{ds}/annotate"]
    assert batches == (len(mixed) + 1) // 2 >= 3
    assert result["annotations_processed"] == len(known)
    missing = {f"missing-{i}" for i in range(3)}
    assert len(result["errors"]) == 3  # one per unknown item, from three different batches
    assert {ref for ref in missing for error in result["errors"] if ref in error} == missing


async def test_asynchronous_annotate_reports_unknown_items_in_job_errors(items: Any) -> None:
    job = await items.annotate([box("fake_garbage")], asynchronous=True)
    await job.wait_until_complete(timeout=30)
    assert any("Item with id fake_garbage doesn" in e for e in await job.errors())


# -- reads --------------------------------------------------------------------------------


async def test_ground_truth_loc_fetches_one_annotation(items: Any) -> None:
    polygon = n.PolygonAnnotation(
        "road", [n.Point(0, 0), n.Point(1, 1), n.Point(2, 0)], "img_1", annotation_id="poly"
    )
    await items.annotate([polygon, box("img_1")])
    assert await items.ground_truth_loc("img_1", "poly") == polygon


async def test_iloc_and_loc_group_annotations_by_type(items: Any) -> None:
    await items.annotate([box("img_0"), box("img_0", x=5)])
    by_index = await items.iloc(0)
    assert by_index["item"].reference_id == "img_0"
    assert [b.x for b in by_index["annotations"]["box"]] == [0, 5]
    by_id = await items.loc(by_index["item"].dataset_item_id)
    assert by_id["annotations"] == by_index["annotations"]


async def test_items_and_annotations_export_every_row(items: Any, tmp_path: Path) -> None:
    mask = n.SegmentationAnnotation("s3://bucket/m.png", [n.Segment("car", 1)], "img_0")
    await items.annotate([box("img_0"), box("img_1"), mask])
    rows = await items.items_and_annotations()
    assert [row["item"].reference_id for row in rows] == REFS
    first = rows[0]["annotations"]
    assert first["box"] == [box("img_0")]
    assert first["segmentation"] == mask  # a single object in exports
    assert "segmentation" not in rows[1]["annotations"]


async def test_items_and_annotation_generator_pages_through_the_export(items: Any) -> None:
    await items.annotate([box(r) for r in REFS])
    rows = await collect(items.items_and_annotation_generator(page_size=2))
    assert [row["item"].reference_id for row in rows] == REFS
    assert all(row["annotations"]["box"] == [box(row["item"].reference_id)] for row in rows)


# -- deletes ------------------------------------------------------------------------------


async def test_delete_annotations_runs_a_job_that_clears_the_items(items: Any) -> None:
    await items.annotate([box(r) for r in REFS])
    job = await items.delete_annotations(["img_0", "img_1"])
    await job.wait_until_complete(timeout=30)
    assert (await items.refloc("img_0"))["annotations"] == {}
    assert len((await items.refloc("img_2"))["annotations"]["box"]) == 1


async def test_delete_tracks_unlinks_the_tracks(items: Any, client: Any) -> None:
    await items.annotate([box("img_0", track_reference_id="car_a")])
    route = f"dataset/{items.id}/tracks"
    listed = await client.make_request(None, route, "get")
    assert [t["reference_id"] for t in listed["tracks"]] == ["car_a"]
    assert await items.delete_tracks(["car_a"]) is None
    assert (await client.make_request(None, route, "get"))["tracks"] == []


# -- taxonomies ---------------------------------------------------------------------------


async def test_taxonomy_lifecycle_reports_each_status(items: Any) -> None:
    created = await items.add_taxonomy("clothing", "category", ["shirt", "dress"])
    assert created == {
        "dataset_id": items.id,
        "taxonomy_name": "clothing",
        "status": "Taxonomy created",
    }
    again = await items.add_taxonomy("clothing", "category", ["shirt"])
    assert again["status"] == "Taxonomy already exists"
    updated = await items.add_taxonomy("clothing", "category", ["hat"], update=True)
    assert updated["status"] == "Taxonomy updated"
    deleted = await items.delete_taxonomy("clothing")
    assert deleted["status"] == "Taxonomy successfully deleted"


async def test_category_annotations_use_their_taxonomy(items: Any) -> None:
    await items.add_taxonomy("clothing", "category", ["shirt", "dress"])
    category = n.CategoryAnnotation("shirt", "img_0", taxonomy_name="clothing")
    assert (await items.annotate([category]))["annotations_processed"] == 1
    assert (await items.refloc("img_0"))["annotations"]["category"] == [category]


async def test_a_bare_string_of_labels_is_refused(items: Any) -> None:
    with pytest.raises(n.ValidationError, match="labels"):
        await items.add_taxonomy("clothing", "category", "shirt")
