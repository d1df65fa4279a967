"""Annotation and prediction uploads on the wire (respx): batch kinds, payloads, merge, refusals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import nucleus_async
from nucleus_async import (
    BoxAnnotation,
    BoxPrediction,
    CategoryAnnotation,
    DuplicateIDError,
    Segment,
    SegmentationAnnotation,
    UploadError,
    ValidationError,
)
from nucleus_async._annotation_groups import predictions_by_type
from nucleus_async._upload.annotations import merge_upload_answers
from support.mock_server import mock_transport

ENDPOINT = "https://nucleus.test/v1/nucleus"
DS = "ds_1"
ANNOTATE = f"/dataset/{DS}/annotate"
JOB = {
    "job_id": "job_1",
    "job_last_known_status": "Running",
    "job_type": "uploadAnnotations",
    "job_creation_time": "2024-01-01T00:00:00",
}


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    yield respx.MockRouter(base_url=ENDPOINT, assert_all_called=False)


@pytest.fixture
async def client(router: respx.MockRouter) -> AsyncIterator[nucleus_async.NucleusClient]:
    async def no_sleep(_: float) -> None:
        return None

    async with nucleus_async.NucleusClient(
        "key",
        endpoint=ENDPOINT,
        http_transport=mock_transport(router.async_handler),
        retry=nucleus_async.RetryPolicy(max_attempts=2, sleep=no_sleep),
        max_concurrency=4,
        progress=False,
    ) as c:
        yield c


def boxes(n: int, prefix: str = "img") -> list[BoxAnnotation]:
    return [BoxAnnotation("car", i, 0, 10, 10, f"{prefix}_{i}") for i in range(n)]


def counting_answer(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    n = len(body.get("annotations", [])) + len(body.get("segmentations", []))
    return httpx.Response(
        200,
        json={"dataset_id": DS, "annotations_processed": n, "annotations_ignored": 0},
    )


def png(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + name.encode())
    return str(path)


# -- JSON batches -------------------------------------------------------------------------


async def test_geometry_goes_in_json_batches_of_batch_size_under_annotations(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post(ANNOTATE).mock(side_effect=counting_answer)
    result = await (await client.get_dataset(DS)).annotate(boxes(25), batch_size=10)
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert sorted(len(b["annotations"]) for b in bodies) == [5, 10, 10]
    assert all(set(b) == {"update", "annotations"} and b["update"] is False for b in bodies)
    assert result == {"dataset_id": DS, "annotations_processed": 25, "annotations_ignored": 0}


async def test_update_flag_is_sent_in_every_batch(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post(ANNOTATE).mock(side_effect=counting_answer)
    await (await client.get_dataset(DS)).annotate(boxes(4), update=True, batch_size=2)
    assert [json.loads(c.request.content)["update"] for c in route.calls] == [True, True]


async def test_every_type_but_segmentation_shares_the_annotations_batches(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post(ANNOTATE).mock(side_effect=counting_answer)
    units = [
        BoxAnnotation("car", 0, 0, 1, 1, "a"),
        nucleus_async.LineAnnotation("l", [nucleus_async.Point(0, 0)], "a", annotation_id="l"),
        nucleus_async.PolygonAnnotation("p", [nucleus_async.Point(0, 0)], "a", annotation_id="p"),
        nucleus_async.KeypointsAnnotation(
            "k", [nucleus_async.Keypoint(1, 2)], ["nose"], "a", skeleton=[]
        ),
        nucleus_async.CuboidAnnotation(
            "c", nucleus_async.Point3D(0, 0, 0), nucleus_async.Point3D(1, 1, 1), 0, "b"
        ),
        CategoryAnnotation("cat", "a", taxonomy_name="t"),
        nucleus_async.MultiCategoryAnnotation(["x", "y"], "a", taxonomy_name="m"),
        nucleus_async.SceneCategoryAnnotation("day", "scene_1"),
    ]
    await (await client.get_dataset(DS)).annotate(units)
    (call,) = route.calls
    sent = json.loads(call.request.content)["annotations"]
    assert [p["type"] for p in sent] == [
        "box",
        "line",
        "polygon",
        "keypoints",
        "cuboid",
        "category",
        "multicategory",
        "category",
    ]
    assert sent == [u.to_payload() for u in units]


async def test_remote_masks_go_in_batches_of_remote_files_per_upload_request(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post(ANNOTATE).mock(side_effect=counting_answer)
    masks = [
        SegmentationAnnotation(f"s3://bucket/{i}.png", [Segment("car", 1)], f"img_{i}")
        for i in range(5)
    ]
    result = await (await client.get_dataset(DS)).annotate(
        [*masks, *boxes(3)], remote_files_per_upload_request=2
    )
    bodies = [json.loads(c.request.content) for c in route.calls]
    seg_batches = [b["segmentations"] for b in bodies if "segmentations" in b]
    assert sorted(len(b) for b in seg_batches) == [1, 2, 2]
    assert all("annotations" not in b for b in bodies if "segmentations" in b)
    assert {p["type"] for batch in seg_batches for p in batch} == {"mask"}
    assert result["annotations_processed"] == 8


async def test_empty_input_returns_an_empty_dict_without_a_request(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post(ANNOTATE).mock(side_effect=counting_answer)
    assert await (await client.get_dataset(DS)).annotate([]) == {}
    assert not route.called


# -- merging answers ----------------------------------------------------------------------


def test_merge_sums_counters_concatenates_errors_and_overwrites_identities() -> None:
    total: dict[str, Any] = {}
    first = {"dataset_id": "ds", "model_run_id": "r1", "predictions_processed": 2, "errors": ["a"]}
    merge_upload_answers(total, first)
    assert total == first  # the first answer is taken as it is
    merge_upload_answers(
        total,
        {"dataset_id": "ds", "model_run_id": "r2", "predictions_processed": 3, "errors": ["b"]},
    )
    merge_upload_answers(total, {"predictions_ignored": 1})
    assert total == {
        "dataset_id": "ds",
        "model_run_id": "r2",
        "predictions_processed": 5,
        "predictions_ignored": 1,
        "errors": ["a", "b"],
    }


def test_merge_does_not_mutate_the_first_answer_list() -> None:
    first = {"errors": ["a"]}
    total: dict[str, Any] = {}
    merge_upload_answers(total, first)
    merge_upload_answers(total, {"errors": ["b"]})
    assert first == {"errors": ["a"]}


async def test_errors_from_every_batch_are_kept(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        refs = [a["reference_id"] for a in json.loads(request.content)["annotations"]]
        return httpx.Response(
            200,
            json={
                "dataset_id": DS,
                "annotations_processed": 0,
                "annotations_ignored": 0,
                "errors": [f"Item with id {r} doesn't exist." for r in refs],
            },
        )

    router.post(ANNOTATE).mock(side_effect=answer)
    result = await (await client.get_dataset(DS)).annotate(boxes(6), batch_size=2)
    assert len(result["errors"]) == 6
    assert {e.split()[3] for e in result["errors"]} == {f"img_{i}" for i in range(6)}


# -- failures -----------------------------------------------------------------------------


async def test_a_failed_upload_folds_the_answers_of_the_batches_that_landed_in_partial(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        refs = [a["reference_id"] for a in json.loads(request.content)["annotations"]]
        if "img_0" in refs:
            return httpx.Response(400, json={"error": "bad batch"})
        return counting_answer(request)

    router.post(ANNOTATE).mock(side_effect=answer)
    with pytest.raises(UploadError) as caught:
        await (await client.get_dataset(DS)).annotate(boxes(4), batch_size=2)
    error = caught.value
    assert [refs for refs, _ in error.failed_batches] == [["img_0", "img_1"]]
    assert error.partial["annotations_processed"] == 2


# -- validation ---------------------------------------------------------------------------


async def test_duplicate_ids_in_a_list_raise_before_any_request(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post(ANNOTATE).mock(side_effect=counting_answer)
    units = [*boxes(3), BoxAnnotation("car", 0, 0, 10, 10, "img_0")]
    with pytest.raises(DuplicateIDError, match="img_0"):
        await (await client.get_dataset(DS)).annotate(units)
    assert not route.called


async def test_duplicate_ids_in_a_stream_raise_when_met(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    router.post(ANNOTATE).mock(side_effect=counting_answer)
    units = [*boxes(3), BoxAnnotation("car", 0, 0, 10, 10, "img_0")]
    with pytest.raises(DuplicateIDError, match="img_0"):
        await (await client.get_dataset(DS)).annotate(iter(units))


async def test_same_prediction_id_on_two_items_is_not_a_duplicate(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    router.post(f"/dataset/{DS}/model/prj_1/uploadPredictions").respond(json={})
    model = nucleus_async.Model("prj_1", "m", "ref", None, client)
    predictions = [
        BoxPrediction("car", 0, 0, 1, 1, "a", annotation_id="x"),
        BoxPrediction("car", 0, 0, 1, 1, "b", annotation_id="x"),
    ]
    await (await client.get_dataset(DS)).upload_predictions(model, predictions)
    with pytest.raises(DuplicateIDError):
        await (await client.get_dataset(DS)).upload_predictions(model, [predictions[0]] * 2)


async def test_an_invalid_unit_in_a_list_names_field_and_reference_id_before_any_request(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post(ANNOTATE).mock(side_effect=counting_answer)
    units = boxes(5)
    units[3].width = float("nan")
    with pytest.raises(ValidationError) as caught:
        await (await client.get_dataset(DS)).annotate(units, batch_size=1)
    assert caught.value.field == "width"
    assert caught.value.obj == "img_3"
    assert not route.called


async def test_an_object_that_is_not_an_annotation_is_refused(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    router.post(ANNOTATE).mock(side_effect=counting_answer)
    with pytest.raises(ValidationError, match="dict"):
        await (await client.get_dataset(DS)).annotate([{"label": "car"}])  # type: ignore[list-item]


async def test_more_than_ten_local_files_per_request_is_refused(
    client: nucleus_async.NucleusClient,
) -> None:
    with pytest.raises(ValidationError, match="local_files_per_upload_request"):
        await (await client.get_dataset(DS)).annotate(boxes(1), local_files_per_upload_request=11)


# -- local masks --------------------------------------------------------------------------


async def test_local_masks_go_as_multipart_with_a_serialized_request_and_one_part_per_mask(
    router: respx.MockRouter, client: nucleus_async.NucleusClient, tmp_path: Path
) -> None:
    route = router.post(ANNOTATE).respond(
        json={"dataset_id": DS, "annotations_processed": 1, "annotations_ignored": 0}
    )
    paths = [png(tmp_path, f"mask_{i}.png") for i in range(3)]
    masks = [
        SegmentationAnnotation(p, [Segment("car", 1)], f"img_{i}") for i, p in enumerate(paths)
    ]
    result = await (await client.get_dataset(DS)).annotate(masks, local_files_per_upload_request=2)
    assert result["annotations_processed"] == 2  # one answer per request
    requests = [call.request for call in route.calls]
    assert all(r.headers["content-type"].startswith("multipart/form-data") for r in requests)
    sizes = []
    for request in requests:
        body = request.content.decode("latin-1")
        assert 'name="serialized_request"' in body
        sizes.append(body.count('name="mask"'))
        assert body.count("Content-Type: image/png") == sizes[-1]
    assert sorted(sizes) == [1, 2]
    everything = b"".join(r.content for r in requests).decode("latin-1")
    for path in paths:
        assert f'filename="{path}"' in everything
    assert '"update":false' in everything
    assert '"segmentations":[' in everything


async def test_a_local_mask_that_is_not_png_is_refused_before_any_request(
    router: respx.MockRouter, client: nucleus_async.NucleusClient, tmp_path: Path
) -> None:
    route = router.post(ANNOTATE).respond(json={})
    path = tmp_path / "mask.jpg"
    path.write_bytes(b"jpg")
    mask = SegmentationAnnotation(str(path), [Segment("car", 1)], "img_1")
    with pytest.raises(ValidationError, match="png") as caught:
        await (await client.get_dataset(DS)).annotate([mask, *boxes(2)])
    assert caught.value.obj == "img_1"
    assert not route.called


async def test_a_missing_local_mask_is_a_file_not_found_error_naming_the_annotation(
    router: respx.MockRouter, client: nucleus_async.NucleusClient, tmp_path: Path
) -> None:
    route = router.post(ANNOTATE).respond(json={})
    gone = str(tmp_path / "gone.png")
    mask = SegmentationAnnotation(gone, [Segment("car", 1)], "img_1")
    with pytest.raises(FileNotFoundError) as caught:
        await (await client.get_dataset(DS)).annotate([mask])
    assert isinstance(caught.value, nucleus_async.LocalFileNotFoundError)
    assert isinstance(caught.value, ValidationError)
    assert str(caught.value) == f"[img_1] mask_url: local file {gone!r} does not exist"
    assert caught.value.filename == gone
    assert not route.called


async def test_a_missing_local_mask_in_a_stream_is_reported_too(
    router: respx.MockRouter, client: nucleus_async.NucleusClient, tmp_path: Path
) -> None:
    router.post(ANNOTATE).respond(json={})
    mask = SegmentationAnnotation(str(tmp_path / "gone.png"), [Segment("car", 1)], "img_1")
    with pytest.raises(FileNotFoundError):
        await (await client.get_dataset(DS)).annotate(iter([mask]))


# -- asynchronous uploads -----------------------------------------------------------------


def mock_signed_upload(router: respx.MockRouter) -> tuple[respx.Route, list[bytes]]:
    uploaded: list[bytes] = []
    router.get(url__regex=rf"{ENDPOINT}/dataset/{DS}/signedUrl/[0-9a-f]{{32}}$").respond(
        json={"signed_url": "https://bucket.test/upload?sig=1"}
    )

    def put(request: httpx.Request) -> httpx.Response:
        uploaded.append(request.content)
        return httpx.Response(200)

    respx_route = router.put("https://bucket.test/upload?sig=1").mock(side_effect=put)
    return respx_route, uploaded


async def test_asynchronous_annotate_uploads_ndjson_and_starts_a_job(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    _, uploaded = mock_signed_upload(router)
    start = router.post(f"{ANNOTATE}?async=1").respond(json=JOB)
    units = boxes(3)
    job = await (await client.get_dataset(DS)).annotate(units, update=True, asynchronous=True)
    assert isinstance(job, nucleus_async.AsyncJob)
    assert job.job_id == "job_1"
    (ndjson,) = uploaded
    assert [json.loads(line) for line in ndjson.decode().splitlines()] == [
        u.to_payload() for u in units
    ]
    body = json.loads(start.calls.last.request.content)
    assert set(body) == {"requestId", "update"}
    assert body["update"] is True
    assert len(body["requestId"]) == 32


async def test_asynchronous_upload_refuses_local_masks(
    router: respx.MockRouter, client: nucleus_async.NucleusClient, tmp_path: Path
) -> None:
    signed = router.get(url__regex=r".*/signedUrl/.*").respond(json={"signed_url": "x"})
    mask = SegmentationAnnotation(png(tmp_path, "m.png"), [Segment("car", 1)], "img_1")
    with pytest.raises(ValidationError, match="remote mask"):
        await (await client.get_dataset(DS)).annotate([mask], asynchronous=True)
    with pytest.raises(ValidationError, match="remote mask"):
        await (await client.get_dataset(DS)).annotate(iter([mask]), asynchronous=True)
    assert not signed.called


# -- predictions --------------------------------------------------------------------------


async def test_predictions_go_to_the_model_route_with_trained_slice_id(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        n = len(json.loads(request.content)["annotations"])
        return httpx.Response(
            200,
            json={
                "dataset_id": DS,
                "model_run_id": "run_1",
                "predictions_processed": n,
                "predictions_ignored": 0,
            },
        )

    route = router.post(f"/dataset/{DS}/model/prj_1/uploadPredictions").mock(side_effect=answer)
    model = nucleus_async.Model("prj_1", "m", "ref", None, client)
    predictions = [BoxPrediction("car", i, 0, 1, 1, f"img_{i}", confidence=0.5) for i in range(5)]
    result = await (await client.get_dataset(DS)).upload_predictions(
        model, predictions, batch_size=2, trained_slice_id="slc_1"
    )
    assert result == {
        "dataset_id": DS,
        "model_run_id": "run_1",
        "predictions_processed": 5,
        "predictions_ignored": 0,
    }
    bodies = [json.loads(c.request.content) for c in route.calls]
    assert all(list(b) == ["update", "annotations", "trained_slice_id"] for b in bodies)
    assert all(b["trained_slice_id"] == "slc_1" for b in bodies)
    assert bodies[0]["annotations"][0]["confidence"] == 0.5


async def test_asynchronous_predictions_send_trained_slice_id_even_when_none(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    mock_signed_upload(router)
    start = router.post(f"/dataset/{DS}/model/prj_1/uploadPredictions?async=1").respond(json=JOB)
    model = nucleus_async.Model("prj_1", "m", "ref", None, client)
    await (await client.get_dataset(DS)).upload_predictions(
        model, [BoxPrediction("car", 0, 0, 1, 1, "a")], asynchronous=True
    )
    body = json.loads(start.calls.last.request.content)
    assert body["trained_slice_id"] is None
    assert body["update"] is False


# -- reads --------------------------------------------------------------------------------


def test_predictions_by_type_builds_prediction_classes_per_key() -> None:
    box = BoxPrediction("car", 0, 0, 1, 1, "a", confidence=0.9)
    mask = nucleus_async.SegmentationPrediction("s3://m.png", [Segment("car", 1)], "a")
    converted = predictions_by_type(
        {"annotations": {"box": [box.to_payload()], "segmentation": [mask.to_payload()]}}
    )
    assert converted == {"box": [box], "segmentation": [mask]}
    assert isinstance(converted["box"][0], BoxPrediction)
    assert converted["box"][0].confidence == 0.9


def test_predictions_by_type_of_an_empty_answer_is_empty() -> None:
    assert predictions_by_type({"annotations": {}}) == {}
    assert predictions_by_type({}) == {}


async def test_export_predictions_wraps_the_by_type_answer(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    box = BoxPrediction("car", 0, 0, 1, 1, "a")
    router.get(f"/dataset/{DS}/model/prj_1/export").respond(json={"box": [box.to_payload()]})
    model = nucleus_async.Model("prj_1", "m", "ref", None, client)
    assert await (await client.get_dataset(DS)).export_predictions(model) == {"box": [box]}


async def test_ground_truth_loc_encodes_the_ids_in_the_path(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    box = BoxAnnotation("car", 0, 0, 1, 1, "a b", annotation_id="id[1]")
    route = router.get(url__regex=r".*/groundTruth/loc/.*").respond(json=box.to_payload())
    assert await (await client.get_dataset(DS)).ground_truth_loc("a b", "id[1]") == box
    assert route.calls.last.request.url.raw_path.endswith(b"/groundTruth/loc/a%20b/id%5B1%5D")


# -- models -------------------------------------------------------------------------------


async def test_create_model_sends_optional_keys_only_when_given(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post("/models/add").respond(json={"model_id": "prj_1"})
    model = await client.create_model("m", "ref")
    assert json.loads(route.calls.last.request.content) == {
        "name": "m",
        "reference_id": "ref",
        "metadata": {},
    }
    assert (model.id, model.name, model.reference_id, model.metadata) == ("prj_1", "m", "ref", None)
    await client.create_model("m", "ref", {"k": 1}, "bundle", ["t"], trained_slice_ids=["slc_1"])
    assert json.loads(route.calls.last.request.content) == {
        "name": "m",
        "reference_id": "ref",
        "metadata": {"k": 1},
        "trained_slice_ids": ["slc_1"],
        "bundle_name": "bundle",
        "tags": ["t"],
    }


async def test_create_model_without_an_id_in_the_answer_raises(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    from nucleus_async import ModelCreationError

    router.post("/models/add").respond(json={"error": "name taken"})
    with pytest.raises(ModelCreationError, match="name taken"):
        await client.create_model("m", "ref")


@pytest.mark.parametrize("ids", [{}, {"model_id": "prj_1", "model_run_id": "run_1"}])
async def test_get_model_needs_exactly_one_id(
    client: nucleus_async.NucleusClient, ids: dict[str, str]
) -> None:
    with pytest.raises(ValidationError):
        await client.get_model(**ids)


async def test_model_run_posts_to_the_trailing_slash_route(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post("/model/run/prj_1/").respond(json="job_1")
    model = nucleus_async.Model("prj_1", "m", "ref", None, client)
    assert await model.run("ds_1", None) == "job_1"
    assert json.loads(route.calls.last.request.content) == {
        "dataset_id": "ds_1",
        "slice_id": None,
        "model_run_name": None,
    }


async def test_model_evaluate_starts_a_job_on_the_validate_route(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.post("/validate/prj_1/evaluate").respond(
        json={**JOB, "job_type": "triggerEvaluate"}
    )
    model = nucleus_async.Model("prj_1", "m", "ref", None, client)
    job = await model.evaluate(["scenario_a"])
    assert isinstance(job, nucleus_async.AsyncJob)
    assert json.loads(route.calls.last.request.content) == {"test_names": ["scenario_a"]}


async def test_delete_annotations_sends_keep_history_and_reference_ids(
    router: respx.MockRouter, client: nucleus_async.NucleusClient
) -> None:
    route = router.delete(f"/annotation/{DS}").respond(json=JOB)
    job = await (await client.get_dataset(DS)).delete_annotations()
    assert job.job_id == "job_1"
    assert json.loads(route.calls.last.request.content) == {
        "keep_history": True,
        "reference_ids": [],
    }
