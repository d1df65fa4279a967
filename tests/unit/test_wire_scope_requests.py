"""Exact requests of the scene, slice, indexing, autotag, project and escape-hatch methods.

Each case pins what goes on the wire (verb, route with its encoding, body) and how the answer
is decoded, against a recording mock transport: the protocol reference (sections 1.7, 1.9,
2.1-2.3) is the contract, independently of the emulator.
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import httpx
import pytest

import nucleus_async as nucleus
from nucleus_async._errors import ValidationError
from nucleus_async.resources.slice import (
    SliceBuilderFilterAutotag,
    SliceBuilderFilters,
    SliceBuilderMethods,
    SliceType,
)
from support.mock_server import mock_transport

ENDPOINT = "https://nucleus.test/v1/nucleus"
SIGNED = "https://bucket.test/upload/abc?sig=1"
JOB = {
    "job_id": "job_1",
    "job_last_known_status": "Running",
    "job_type": "t",
    "job_creation_time": "2024-01-01",
}
ITEM = {"reference_id": "r1", "image_url": "s3://b/1.jpg", "metadata": {}}
SLICE_INFO = {
    "id": "slc_1",
    "slice_id": "slc_1",
    "name": "foggy",
    "dataset_id": "ds_1",
    "type": "dataset_item",
    "created_at": "2024-01-02T03:04:05.000Z",
    "pending_job_count": 0,
    "description": None,
    "tags": [],
}
ROW = {
    "item": ITEM,
    "box": [{"label": "car", "geometry": {"x": 1, "y": 2, "width": 3, "height": 4}}],
    "polygon": [],
    "line": [],
    "keypoints": [],
    "cuboid": [],
    "category": [],
    "multicategory": [],
    "segmentation": None,
}


class Wire:
    """A mock service: records every request, answers from a table (default ``{}``).

    ``override``, when set, answers every request instead.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.answers: dict[tuple[str, str], Any] = {}
        self.put_bodies: list[bytes] = []
        self.override: Callable[[httpx.Request], httpx.Response] | None = None

    def answer(self, method: str, target: str, body: Any) -> None:
        self.answers[(method, target)] = body

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.override is not None:
            return self.override(request)
        if request.url.host == "bucket.test":
            self.put_bodies.append(request.content)
            self.calls.append((request.method, "<signed url>", None))
            return httpx.Response(200)
        raw = request.url.raw_path.decode()
        target = raw.removeprefix("/v1/nucleus/")
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, target, body))
        if "/signedUrl/" in target:
            return httpx.Response(200, json={"signed_url": SIGNED})
        answer = self.answers.get((request.method, target), {})
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
async def client(wire: Wire) -> Any:
    async def no_sleep(_: float) -> None:
        return None

    async with nucleus.NucleusClient(
        "key",
        endpoint=ENDPOINT,
        http_transport=mock_transport(wire.handler),
        retry=nucleus.RetryPolicy(max_attempts=3, sleep=no_sleep),
        progress=False,
    ) as c:
        yield c


def item_dataset(client: nucleus.NucleusClient) -> nucleus.Dataset:
    return nucleus.Dataset("ds_1", client, is_scene=False, use_privacy_mode=False)


def scene_dataset(client: nucleus.NucleusClient, privacy: bool = False) -> nucleus.Dataset:
    return nucleus.Dataset("ds_1", client, is_scene=True, use_privacy_mode=privacy)


# -- one request, one answer: the table -----------------------------------------------------

Call = Callable[[nucleus.NucleusClient], Awaitable[Any]]

ONE_REQUEST: list[tuple[str, Call, str, str, Any, Any]] = [
    # (name, call, verb, route, body sent, answer)
    (
        "create_custom_index",
        lambda c: item_dataset(c).create_custom_index(["s3://e/1.json"], 3),
        "POST",
        "indexing/ds_1",
        {"embeddings_urls": ["s3://e/1.json"], "embedding_dimension": 3},
        JOB,
    ),
    (
        "delete_custom_index",
        lambda c: item_dataset(c).delete_custom_index(image=False),
        "DELETE",
        "indexing/ds_1",
        {"image": False},
        {"dataset_id": "ds_1", "job_id": "job_1", "message": "ok"},
    ),
    (
        "set_primary_index",
        lambda c: item_dataset(c).set_primary_index(),
        "POST",
        "indexing/ds_1/setPrimary",
        {"image": True, "custom": False},
        {"success": True},
    ),
    (
        "create_image_index",
        lambda c: item_dataset(c).create_image_index(),
        "POST",
        "indexing/ds_1/internal/image",
        {},
        JOB,
    ),
    (
        "create_object_index with a run",
        lambda c: item_dataset(c).create_object_index(model_run_id="run_1"),
        "POST",
        "indexing/ds_1/internal/object",
        {"model_run_id": "run_1"},
        JOB,
    ),
    (
        "create_object_index of ground truth",
        lambda c: item_dataset(c).create_object_index(gt_only=True),
        "POST",
        "indexing/ds_1/internal/object",
        {"ingest_gt_only": True},
        JOB,
    ),
    (
        "get_image_indexing_status",
        lambda c: item_dataset(c).get_image_indexing_status(),
        "POST",
        "dataset/ds_1/indexingStatus",
        {"image": True},
        {"embedding_count": 1, "image_count": 2, "percent_indexed": 0.5},
    ),
    (
        "get_object_indexing_status",
        lambda c: item_dataset(c).get_object_indexing_status(),
        "POST",
        "dataset/ds_1/indexingStatus",
        {"image": False, "model_run_id": None},
        {"embedding_count": 0, "object_count": 0, "percent_indexed": 0},
    ),
    (
        "export_embeddings",
        lambda c: item_dataset(c).export_embeddings(),
        "GET",
        "dataset/ds_1/embeddings",
        None,
        [{"reference_id": "r1", "embedding_vector": [0.1, 0.2]}],
    ),
    (
        "export_embeddings asynchronously",
        lambda c: item_dataset(c).export_embeddings(asynchronous=True),
        "POST",
        "dataset/ds_1/async_export_embeddings",
        {},
        JOB,
    ),
    (
        "list_autotags (no dataset/ prefix)",
        lambda c: item_dataset(c).list_autotags(),
        "GET",
        "ds_1/list_autotags",
        None,
        {"autotags": [{"id": "tag_1", "name": "cars"}]},
    ),
    (
        "autotag_items encodes the name fully",
        lambda c: item_dataset(c).autotag_items("a/b c", for_scores_greater_than=0.5),
        "POST",
        "dataset/ds_1/autotag/a%2Fb%20c/taggedItems",
        {"score_threshold": 0.5},
        {"autotagItems": [], "autotag": {"id": "tag_1"}},
    ),
    (
        "autotag_training_items encodes the name fully",
        lambda c: item_dataset(c).autotag_training_items("a/b[1]"),
        "GET",
        "dataset/ds_1/autotag/a%2Fb%5B1%5D/trainingItems",
        None,
        {"autotagPositiveTrainingItems": [], "autotag": {}},
    ),
    (
        "update_autotag",
        lambda c: item_dataset(c).update_autotag("tag_1"),
        "POST",
        "autotag/tag_1",
        {},
        JOB,
    ),
    (
        "delete_autotag",
        lambda c: c.delete_autotag("tag_1"),
        "DELETE",
        "autotag/tag_1",
        {},
        {},
    ),
    (
        "get_autotag_refinement_metrics",
        lambda c: c.get_autotag_refinement_metrics("tag_1"),
        "GET",
        "autotag/tag_1/refinementMetrics",
        None,
        {"total_refinement_steps": 1},
    ),
    (
        "ingest_tasks",
        lambda c: item_dataset(c).ingest_tasks(["task_1", "task_2"]),
        "POST",
        "dataset/ds_1/ingest_tasks",
        {"tasks": ["task_1", "task_2"]},
        {"ingested_tasks": 2, "ignored_tasks": 0, "pending_tasks": 0},
    ),
    (
        "create_slice",
        lambda c: item_dataset(c).create_slice("foggy", ["r1", "r2"]),
        "POST",
        "dataset/ds_1/create_slice",
        {"name": "foggy", "reference_ids": ["r1", "r2"]},
        {"slice_id": "slc_1"},
    ),
    (
        "create_slice empty",
        lambda c: item_dataset(c).create_slice("empty", []),
        "POST",
        "dataset/ds_1/create_slice",
        {"name": "empty", "allow_empty": 1},
        {"slice_id": "slc_2"},
    ),
    (
        "build_slice with a string method",
        lambda c: item_dataset(c).build_slice("b", 20, "Random"),
        "POST",
        "dataset/ds_1/build_slice",
        {"name": "b", "sampleSize": 20, "sampleMethod": "Random", "filters": {}},
        {**JOB, "sliceId": "slc_9"},
    ),
    (
        "build_slice with an enum and filters",
        lambda c: item_dataset(c).build_slice(
            "b",
            5,
            SliceBuilderMethods.UNIQUENESS,
            SliceBuilderFilters(
                slice_id="slc_0", autotag=SliceBuilderFilterAutotag("tag_1", [-0.5, 0.5])
            ),
        ),
        "POST",
        "dataset/ds_1/build_slice",
        {
            "name": "b",
            "sampleSize": 5,
            "sampleMethod": "Uniqueness",
            "filters": {
                "sliceId": "slc_0",
                "autotag": {"autotagId": "tag_1", "range": [-0.5, 0.5]},
            },
        },
        {**JOB, "sliceId": "slc_9"},
    ),
    (
        "get_slices sends the enum value and encodes the name",
        lambda c: item_dataset(c).get_slices(name="a&b c", slice_type=SliceType.OBJECT),
        "GET",
        "dataset/ds_1/slices?name=a%26b%20c&type=object",
        None,
        [SLICE_INFO],
    ),
    (
        "get_slices by a type string",
        lambda c: item_dataset(c).get_slices(slice_type="scene"),
        "GET",
        "dataset/ds_1/slices?type=scene",
        None,
        [SLICE_INFO],
    ),
    (
        "slices",
        lambda c: item_dataset(c).slices(),
        "GET",
        "dataset/ds_1/slices",
        None,
        [SLICE_INFO],
    ),
    (
        "delete_slice",
        lambda c: c.delete_slice("slc_1"),
        "DELETE",
        "slice/slc_1",
        {},
        {},
    ),
    (
        "append_to_slice",
        lambda c: c.append_to_slice("slc_1", ["r1"], "ds_1"),
        "POST",
        "slice/slc_1/append",
        {"reference_ids": ["r1"], "dataset_id": "ds_1"},
        {"slice_id": "slc_1", "new_items": ["r1"]},
    ),
    (
        "create_dataset_from_project",
        lambda c: c.create_dataset_from_project("proj_1", last_n_tasks=5, name="imported"),
        "POST",
        "dataset/create_from_project",
        {"project_id": "proj_1", "last_n_tasks": "5", "name": "imported"},
        {"dataset_id": "ds_7"},
    ),
    (
        "create_dataset_from_project minimal",
        lambda c: c.create_dataset_from_project("proj_1"),
        "POST",
        "dataset/create_from_project",
        {"project_id": "proj_1"},
        {"dataset_id": "ds_7"},
    ),
    (
        "slice info",
        lambda c: nucleus.Slice("slc_1", c).info(),
        "GET",
        "slice/slc_1/info",
        None,
        SLICE_INFO,
    ),
    (
        "slice dataset_items",
        lambda c: nucleus.Slice("slc_1", c).dataset_items(),
        "GET",
        "slice/slc_1",
        None,
        {"items": [ITEM]},
    ),
    (
        "slice items_and_annotations",
        lambda c: nucleus.Slice("slc_1", c).items_and_annotations(),
        "GET",
        "slice/slc_1/exportForTraining",
        None,
        {"exportedRows": [ROW]},
    ),
    (
        "slice export_predictions takes a model id",
        lambda c: nucleus.Slice("slc_1", c).export_predictions("prj_1"),
        "GET",
        "slice/slc_1/prj_1/exportForTraining",
        None,
        {"exportedRows": [ROW]},
    ),
    (
        "slice export_raw_items",
        lambda c: nucleus.Slice("slc_1", c).export_raw_items(),
        "GET",
        "slice/slc_1/exportRawItems",
        None,
        {"raw_dataset_items": [{"ref_id": "r1", "scale_url": "https://x"}]},
    ),
    (
        "slice export_embeddings",
        lambda c: nucleus.Slice("slc_1", c).export_embeddings(),
        "GET",
        "slice/slc_1/embeddings",
        None,
        [],
    ),
    (
        "slice export_scale_task_info",
        lambda c: nucleus.Slice("slc_1", c).export_scale_task_info(),
        "GET",
        "slice/slc_1/exportScaleTaskInfo",
        None,
        {"exportedScaleTaskInfoRows": []},
    ),
    (
        "slice send_to_labeling",
        lambda c: nucleus.Slice("slc_1", c).send_to_labeling("proj_1"),
        "POST",
        "slice/slc_1/proj_1/send_to_labeling",
        {},
        JOB,
    ),
    (
        "export_scale_task_info",
        lambda c: item_dataset(c).export_scale_task_info(),
        "GET",
        "dataset/ds_1/exportScaleTaskInfo",
        None,
        {"exportedScaleTaskInfoRows": []},
    ),
    (
        "get_scene encodes the reference id fully",
        lambda c: scene_dataset(c).get_scene("s 1[a]/b"),
        "GET",
        "dataset/ds_1/scene/s%201%5Ba%5D%2Fb",
        None,
        {
            "reference_id": "s",
            "frames": [{"lidar": {"reference_id": "p", "pointcloud_url": "s3://p.json"}}],
        },
    ),
    (
        "get_scene_from_item_ref_id",
        lambda c: scene_dataset(c).get_scene_from_item_ref_id("item 1"),
        "GET",
        "dataset/ds_1/scene/item%201?from_item=1",
        None,
        {"reference_id": "v", "frame_rate": 5, "frames": []},
    ),
    (
        "delete_scene encodes the reference id fully",
        lambda c: scene_dataset(c).delete_scene("s/1"),
        "DELETE",
        "dataset/ds_1/scene/s%2F1",
        {},
        {},
    ),
    (
        "update_scene_metadata",
        lambda c: scene_dataset(c).update_scene_metadata({"s1": {"w": 1}}),
        "POST",
        "dataset/ds_1/metadata?async=0",
        {"metadata": [{"reference_id": "s1", "metadata": {"w": 1}}], "level": "scene"},
        {"dataset_id": "ds_1"},
    ),
    (
        "update_scene_metadata asynchronously",
        lambda c: scene_dataset(c).update_scene_metadata({"s1": {"w": 1}}, asynchronous=True),
        "POST",
        "dataset/ds_1/metadata?async=1",
        {"metadata": [{"reference_id": "s1", "metadata": {"w": 1}}], "level": "scene"},
        JOB,
    ),
    (
        "make_request with a string method",
        lambda c: c.make_request({"a": 1}, "any/route", requests_command="put"),
        "PUT",
        "any/route",
        {"a": 1},
        {"ok": True},
    ),
]


@pytest.mark.parametrize(
    ("call", "verb", "route", "body", "answer"),
    [case[1:] for case in ONE_REQUEST],
    ids=[case[0] for case in ONE_REQUEST],
)
async def test_method_sends_exactly_one_request(
    wire: Wire,
    client: nucleus.NucleusClient,
    call: Call,
    verb: str,
    route: str,
    body: Any,
    answer: Any,
) -> None:
    wire.answer(verb, route, answer)
    await call(client)
    assert wire.calls == [(verb, route, body)]


# -- answers are decoded ----------------------------------------------------------------------


async def test_jobs_come_back_as_async_jobs(wire: Wire, client: nucleus.NucleusClient) -> None:
    wire.answer("POST", "indexing/ds_1/internal/image", JOB)
    job = await item_dataset(client).create_image_index()
    assert isinstance(job, nucleus.AsyncJob) and job.job_id == "job_1"


async def test_build_slice_returns_the_job_and_the_new_slice_id(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    wire.answer("POST", "dataset/ds_1/build_slice", {**JOB, "sliceId": "slc_9"})
    job, slice_id = await item_dataset(client).build_slice("b", 2, "Uniqueness")
    assert (job.job_id, slice_id) == ("job_1", "slc_9")


@pytest.mark.parametrize("method", ["random", "Sample", 3, None])
async def test_build_slice_refuses_unknown_sampling_methods(
    wire: Wire, client: nucleus.NucleusClient, method: Any
) -> None:
    with pytest.raises(ValidationError):
        await item_dataset(client).build_slice("b", 2, method)
    assert wire.calls == []


@pytest.mark.parametrize("score_range", [[-2, 0.5], [0.1], [0, 0.5, 1]])
def test_autotag_filter_checks_its_score_range(score_range: list[float]) -> None:
    with pytest.raises(ValidationError):
        SliceBuilderFilterAutotag("tag_1", score_range)


async def test_get_slices_refuses_an_unknown_type_before_sending(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    with pytest.raises(ValidationError):
        await item_dataset(client).get_slices(slice_type="objects")
    assert wire.calls == []


async def test_get_slices_raises_not_found_when_nothing_matches(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    wire.answer("GET", "dataset/ds_1/slices?name=nope", [])
    with pytest.raises(nucleus.NotFoundError):
        await item_dataset(client).get_slices(name="nope")


async def test_listed_slices_cache_their_summary(wire: Wire, client: nucleus.NucleusClient) -> None:
    wire.answer("GET", "dataset/ds_1/slices", [SLICE_INFO])
    (slc,) = await item_dataset(client).slices()
    assert (slc.id, slc.name, slc.dataset_id, slc.type) == (
        "slc_1",
        "foggy",
        "ds_1",
        "dataset_item",
    )
    assert slc.created_at is not None and slc.created_at.year == 2024


async def test_slice_append_fetches_info_once_for_its_dataset(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    wire.answer("GET", "slice/slc_1/info", SLICE_INFO)
    slc = await client.get_slice("slc_1")
    assert slc.dataset_id is None
    await slc.append(["r1"])
    await slc.append(["r2"])
    assert [call[:2] for call in wire.calls] == [
        ("GET", "slice/slc_1/info"),
        ("POST", "slice/slc_1/append"),
        ("POST", "slice/slc_1/append"),
    ]
    assert wire.calls[2][2] == {"reference_ids": ["r2"], "dataset_id": "ds_1"}


async def test_slice_export_rows_become_items_and_typed_objects(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    wire.answer("GET", "slice/slc_1/exportForTraining", {"exportedRows": [ROW]})
    wire.answer("GET", "slice/slc_1/prj_1/exportForTraining", {"exportedRows": [ROW]})
    slc = await client.get_slice("slc_1")
    (row,) = await slc.items_and_annotations()
    assert row["item"].reference_id == "r1"
    (box,) = row["annotations"]["box"]
    assert isinstance(box, nucleus.BoxAnnotation) and box.reference_id == "r1"
    assert set(row["annotations"]) == {"box"}
    (prow,) = await slc.export_predictions("prj_1")
    assert isinstance(prow["predictions"]["box"][0], nucleus.BoxPrediction)


async def test_slice_generators_page_with_their_body_keys(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    wire.answer("POST", "slice/slc_1/itemsPage", {"items": [ITEM], "nextPageToken": None})
    wire.answer("POST", "slice/slc_1/exportForTrainingPage", {"data": [ROW], "nextPageToken": ""})
    wire.answer(
        "POST", "slice/slc_1/prj_1/exportForTrainingPage", {"data": [ROW], "nextPageToken": None}
    )
    slc = await client.get_slice("slc_1")
    items = [item async for item in slc.items_generator(page_size=7)]
    rows = [row async for row in slc.items_and_annotation_generator(use_mirrored_images=True)]
    preds = [row async for row in slc.export_predictions_generator("prj_1")]
    assert [i.reference_id for i in items] == ["r1"]
    assert rows[0]["annotations"]["box"][0].label == "car"
    assert "predictions" in preds[0]
    assert [call[2] for call in wire.calls] == [
        {"pageToken": None, "pageSize": 7},
        {"pageToken": None, "pageSize": 10000, "chip": True},
        {"pageToken": None, "pageSize": 100000},
    ]


async def test_query_items_pages_with_the_query(wire: Wire, client: nucleus.NucleusClient) -> None:
    pages = iter(
        [
            {"items": [ITEM], "nextPageToken": "t1"},
            {"items": [{**ITEM, "reference_id": "r2"}], "nextPageToken": None},
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        wire.calls.append(("POST", request.url.path, json.loads(request.content)))
        return httpx.Response(200, json=next(pages))

    wire.override = handler
    refs = [i.reference_id async for i in item_dataset(client).query_items("metadata.a = 1")]
    assert refs == ["r1", "r2"]
    assert [call[2] for call in wire.calls] == [
        {"pageToken": None, "pageSize": 10000, "query": "metadata.a = 1"},
        {"pageToken": "t1", "pageSize": 10000, "query": "metadata.a = 1"},
    ]


async def test_continuous_indexing_returns_the_backfill_job_only_when_enabling(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    answer = {**JOB, "dataset_id": "ds_1", "message": "enabled"}
    wire.answer("POST", "indexing/ds_1/setContinuous", answer)
    result = await item_dataset(client).set_continuous_indexing()
    assert result["dataset_id"] == "ds_1" and result["message"] == "enabled"
    assert result["backfill_job"].job_id == "job_1"
    result = await item_dataset(client).set_continuous_indexing(False)
    assert "backfill_job" not in result
    assert [c[2] for c in wire.calls] == [{"enable": True}, {"enable": False}]


async def test_list_autotags_accepts_a_bare_list(wire: Wire, client: nucleus.NucleusClient) -> None:
    wire.answer("GET", "ds_1/list_autotags", [{"id": "tag_1"}])
    assert await item_dataset(client).list_autotags() == [{"id": "tag_1"}]


async def test_scale_task_info_rows_convert_items_and_keep_scenes(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    rows = [
        {"item": ITEM, "scale_task_info": [{"task_id": "t1"}]},
        {"scene": {"reference_id": "s1"}, "scale_task_info": []},
    ]
    wire.answer("GET", "dataset/ds_1/exportScaleTaskInfo", {"exportedScaleTaskInfoRows": rows})
    result = await item_dataset(client).export_scale_task_info()
    assert isinstance(result[0]["item"], nucleus.DatasetItem)
    assert result[0]["scale_task_info"] == [{"task_id": "t1"}]
    assert result[1] == rows[1]


async def test_create_dataset_from_project_returns_the_dataset(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    wire.answer("POST", "dataset/create_from_project", {"dataset_id": "ds_7"})
    dataset = await client.create_dataset_from_project("proj_1")
    assert isinstance(dataset, nucleus.Dataset) and dataset.id == "ds_7"


# -- scenes -------------------------------------------------------------------------------


def lidar_scene(ref: str = "scene-1", frames: int = 2) -> nucleus.LidarScene:
    scene = nucleus.LidarScene(ref)
    for i in range(frames):
        scene.add_item(
            i,
            "lidar",
            nucleus.DatasetItem(
                pointcloud_location=f"s3://b/{ref}/{i}.json", reference_id=f"{ref}-pc{i}"
            ),
        )
        scene.add_item(
            i,
            "cam",
            nucleus.DatasetItem(
                image_location=f"s3://b/{ref}/{i}.jpg", reference_id=f"{ref}-im{i}"
            ),
        )
    return scene


def video_scene(ref: str = "video-1", n: int = 3) -> nucleus.VideoScene:
    items = [
        nucleus.DatasetItem(image_location=f"s3://b/{ref}/{i}.jpg", reference_id=f"{ref}-{i}")
        for i in range(n)
    ]
    return nucleus.VideoScene(ref, frame_rate=5, items=items)


@pytest.mark.parametrize(
    ("scenes", "route"),
    [
        ([lidar_scene("a"), lidar_scene("b")], "ds_1/upload_scenes?async=1"),
        ([video_scene("a"), video_scene("b")], "ds_1/upload_video_scenes?async=1"),
    ],
    ids=["lidar", "video"],
)
async def test_append_scenes_uploads_ndjson_then_starts_the_job(
    wire: Wire, client: nucleus.NucleusClient, scenes: list[Any], route: str
) -> None:
    wire.answer("POST", route, JOB)
    job = await scene_dataset(client).append(scenes, update=True)
    assert isinstance(job, nucleus.AsyncJob)
    (signed, put, start) = wire.calls
    assert signed[0] == "GET" and signed[1].startswith("dataset/ds_1/signedUrl/")
    request_id = signed[1].rsplit("/", 1)[1]
    assert len(request_id) == 32
    assert put[:2] == ("PUT", "<signed url>")
    assert start == ("POST", route, {"requestId": request_id, "update": True})
    lines = wire.put_bodies[0].decode().splitlines()
    assert [json.loads(line) for line in lines] == [scene.to_payload() for scene in scenes]


async def test_video_scene_payload_follows_the_dataset_privacy_mode(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    scene = nucleus.VideoScene("v", video_location="s3://b/v.mp4")
    wire.answer("POST", "ds_1/upload_video_scenes?async=1", JOB)
    await scene_dataset(client, privacy=True).append([scene])
    assert json.loads(wire.put_bodies[0])["upload_to_scale"] is False


async def test_append_scenes_asks_whether_the_dataset_holds_scenes(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    wire.answer("GET", "dataset/ds_1/is_scene", {"is_scene": False})
    dataset = await client.get_dataset("ds_1")
    with pytest.raises(ValidationError, match="not a scene dataset"):
        await dataset.append([lidar_scene()])
    assert wire.calls == [("GET", "dataset/ds_1/is_scene", None)]


async def test_items_are_refused_by_a_known_scene_dataset(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    item = nucleus.DatasetItem(image_location="s3://b/1.jpg", reference_id="r1")
    with pytest.raises(ValidationError, match="scene dataset"):
        await scene_dataset(client).append([item])
    assert wire.calls == []


async def test_items_and_scenes_cannot_be_mixed(wire: Wire, client: nucleus.NucleusClient) -> None:
    item = nucleus.DatasetItem(image_location="s3://b/1.jpg", reference_id="r1")
    for units in ([item, lidar_scene()], [lidar_scene(), item], (u for u in [lidar_scene(), item])):
        with pytest.raises(ValidationError, match="either DatasetItems or Scenes"):
            await scene_dataset(client).append(units)
    with pytest.raises(ValidationError, match="separate calls"):
        await scene_dataset(client).append([lidar_scene(), video_scene()])
    assert wire.calls == []


async def test_scenes_stream_from_an_async_generator(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    async def scenes() -> Any:
        yield lidar_scene("a")
        yield lidar_scene("b")

    wire.answer("POST", "ds_1/upload_scenes?async=1", JOB)
    await scene_dataset(client).append(scenes())
    assert len(wire.put_bodies[0].decode().splitlines()) == 2


def _bad_lidar_two_pointclouds() -> nucleus.LidarScene:
    scene = lidar_scene("x", frames=1)
    scene.add_item(
        0, "lidar2", nucleus.DatasetItem(pointcloud_location="s3://b/2.json", reference_id="p2")
    )
    return scene


def _local_lidar() -> nucleus.LidarScene:
    scene = nucleus.LidarScene("local")
    scene.add_item(
        0, "lidar", nucleus.DatasetItem(pointcloud_location="/tmp/p.json", reference_id="p")
    )
    return scene


def _too_long_video() -> nucleus.VideoScene:
    return video_scene("long", n=3001)


def _video_with_items_and_location() -> nucleus.VideoScene:
    scene = video_scene("both")
    scene.video_location = "s3://b/v.mp4"
    return scene


def _local_video() -> nucleus.VideoScene:
    return nucleus.VideoScene("local", video_location="./video.mp4")


def _video_without_rate() -> nucleus.VideoScene:
    scene = video_scene("norate")
    scene.frame_rate = None
    return scene


@pytest.mark.parametrize(
    "make",
    [
        _bad_lidar_two_pointclouds,
        _local_lidar,
        lambda: nucleus.LidarScene("empty"),
        _too_long_video,
        _video_with_items_and_location,
        _local_video,
        _video_without_rate,
        lambda: nucleus.VideoScene("nothing"),
    ],
    ids=[
        "two pointclouds in a frame",
        "local pointcloud",
        "no frames",
        "over 3000 video items",
        "items and video location outside privacy mode",
        "local video",
        "items without frame rate",
        "neither items nor video",
    ],
)
async def test_invalid_scenes_are_refused_before_any_request(
    wire: Wire, client: nucleus.NucleusClient, make: Callable[[], Any]
) -> None:
    with pytest.raises(ValidationError):
        await scene_dataset(client).append([make()])
    assert wire.calls == []


async def test_duplicate_scene_reference_ids_are_refused(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    with pytest.raises(ValidationError, match="Duplicate"):
        await scene_dataset(client).append([lidar_scene("a"), lidar_scene("a")])
    assert wire.calls == []


async def test_get_scene_tells_video_from_lidar_by_keys(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    frame = {
        "lidar": {"reference_id": "l-pc0", "pointcloud_url": "s3://b/l/0.json"},
        "cam": {"reference_id": "l-im0", "image_url": "s3://b/l/0.jpg"},
    }
    wire.answer("GET", "dataset/ds_1/scene/l", {"reference_id": "l", "frames": [frame]})
    wire.answer(
        "GET", "dataset/ds_1/scene/v", {"reference_id": "v", "video_url": None, "frames": [ITEM]}
    )
    got = await scene_dataset(client).get_scene("l")
    assert isinstance(got, nucleus.LidarScene) and got.length == 1
    video = await scene_dataset(client).get_scene("v")
    assert isinstance(video, nucleus.VideoScene)
    assert [i.reference_id for i in video.items] == ["r1"]


async def test_scene_from_item_in_an_item_dataset_is_none_without_a_request(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    assert await item_dataset(client).get_scene_from_item_ref_id("r1") is None
    assert wire.calls == []


# -- the escape hatch -----------------------------------------------------------------------


async def test_make_request_takes_a_callable_named_after_the_verb(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    requests = pytest.importorskip("requests")
    wire.answer("GET", "dataset/ds_1/info", {"name": "x"})
    wire.answer("DELETE", "slice/slc_1", {"ok": 1})
    assert await client.make_request({}, "dataset/ds_1/info", requests_command=requests.get) == {
        "name": "x"
    }
    assert await client.make_request(None, "slice/slc_1", requests_command=requests.delete) == {
        "ok": 1
    }
    assert await client.make_request(None, "x/y") == {}
    assert wire.calls == [
        ("GET", "dataset/ds_1/info", None),
        ("DELETE", "slice/slc_1", {}),
        ("POST", "x/y", {}),
    ]


async def test_make_request_retries_and_maps_errors(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    answers = iter(
        [httpx.Response(503, json={"error": "busy"}), httpx.Response(200, json={"a": 1})]
    )
    wire.answer("GET", "flaky", None)

    def flaky(request: httpx.Request) -> httpx.Response:
        wire.calls.append((request.method, request.url.path, None))
        if request.url.path.endswith("/missing"):
            return httpx.Response(404, json={"error": "no such thing"})
        return next(answers)

    wire.override = flaky
    assert await client.make_request(None, "flaky", requests_command="get") == {"a": 1}
    assert len(wire.calls) == 2
    with pytest.raises(nucleus.NotFoundError, match="no such thing"):
        await client.make_request(None, "missing", requests_command="get")


async def test_make_request_can_return_the_raw_response(
    wire: Wire, client: nucleus.NucleusClient
) -> None:
    wire.answer("GET", "raw", {"a": 1})
    response = await client.make_request(
        None, "raw", requests_command="GET", return_raw_response=True
    )
    assert response.status_code == 200 and response.json() == {"a": 1}


async def test_make_request_refuses_a_command_that_is_no_verb(
    client: nucleus.NucleusClient,
) -> None:
    with pytest.raises(ValueError, match="HTTP method"):
        await client.make_request(None, "x", requests_command=print)


# -- Scale Launch -----------------------------------------------------------------------------


class FakeBundle:
    def __init__(self, name: str) -> None:
        self.name = name


class FakeLaunchClient:
    """The part of ``launch.LaunchClient`` the SDK uses (Launch ≥ 1.0 names)."""

    existing: ClassVar[list[str]] = []
    created: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key

    def list_model_bundles(self) -> list[FakeBundle]:
        return [FakeBundle(name) for name in self.existing]

    def create_model_bundle_from_callable_v2(self, **kwargs: Any) -> FakeBundle:
        self.created.append({"how": "callable", **kwargs})
        return FakeBundle(kwargs["model_bundle_name"])

    def create_model_bundle_from_dirs_v2(self, **kwargs: Any) -> FakeBundle:
        self.created.append({"how": "dirs", **kwargs})
        return FakeBundle(kwargs["model_bundle_name"])


@pytest.fixture
def fake_launch(monkeypatch: pytest.MonkeyPatch) -> type[FakeLaunchClient]:
    module = types.ModuleType("launch")
    module.LaunchClient = FakeLaunchClient  # type: ignore[attr-defined]
    FakeLaunchClient.existing = []
    FakeLaunchClient.created = []
    monkeypatch.setitem(sys.modules, "launch", module)
    return FakeLaunchClient


async def test_create_launch_model_creates_the_bundle_then_the_model(
    wire: Wire, client: nucleus.NucleusClient, fake_launch: type[FakeLaunchClient]
) -> None:
    wire.answer("GET", "models/", {"models": [{"id": "prj_0", "name": "other", "ref_id": "o"}]})
    wire.answer("POST", "models/add", {"model_id": "prj_1"})
    model = await client.create_launch_model(
        "detector", "det-1", {"predict_fn_or_cls": len, "requirements": []}
    )
    assert model.id == "prj_1"
    assert fake_launch.created == [
        {
            "how": "callable",
            "model_bundle_name": "detector-nucleus-autogen",
            "predict_fn_or_cls": len,
            "requirements": [],
        }
    ]
    add = next(call for call in wire.calls if call[1] == "models/add")
    assert add[2]["bundle_name"] == "detector-nucleus-autogen"
    assert add[2]["name"] == "detector" and add[2]["reference_id"] == "det-1"


async def test_create_launch_model_from_dir_uses_the_directory_bundle(
    wire: Wire, client: nucleus.NucleusClient, fake_launch: type[FakeLaunchClient]
) -> None:
    wire.answer("GET", "models/", {"models": []})
    wire.answer("POST", "models/add", {"model_id": "prj_2"})
    await client.create_launch_model_from_dir("seg", "seg-1", {"base_paths": ["pkg"]})
    assert fake_launch.created[0]["how"] == "dirs"
    assert fake_launch.created[0]["base_paths"] == ["pkg"]


@pytest.mark.parametrize("clash", ["model", "bundle"])
async def test_create_launch_model_refuses_a_name_clash(
    wire: Wire, client: nucleus.NucleusClient, fake_launch: type[FakeLaunchClient], clash: str
) -> None:
    from nucleus_async import ModelCreationError

    models = [{"id": "prj_0", "name": "detector", "ref_id": "d"}] if clash == "model" else []
    wire.answer("GET", "models/", {"models": models})
    if clash == "bundle":
        fake_launch.existing = ["detector-nucleus-autogen"]
    with pytest.raises(ModelCreationError):
        await client.create_launch_model("detector", "det-1", {})
    assert fake_launch.created == []
    assert not [call for call in wire.calls if call[1] == "models/add"]


async def test_create_launch_model_without_launch_installed_says_so(
    wire: Wire, client: nucleus.NucleusClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "launch", None)  # makes `import launch` fail
    with pytest.raises(ModuleNotFoundError, match="scale-launch"):
        await client.create_launch_model("detector", "det-1", {})
    with pytest.raises(ModuleNotFoundError, match="scale-launch"):
        await client.create_launch_model_from_dir("detector", "det-1", {})
    assert wire.calls == []
