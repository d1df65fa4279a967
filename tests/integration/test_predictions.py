"""Predictions on both faces (emulator): upload_predictions, prediction reads, exports, metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nucleus_async as n
from nucleus_emulator import Emulator

REFS = [f"img_{i}" for i in range(4)]


@pytest.fixture
async def items(dataset: Any) -> Any:
    await dataset.append(
        [n.DatasetItem(image_location=f"s3://bucket/{r}.jpg", reference_id=r) for r in REFS]
    )
    return dataset


@pytest.fixture
async def model(client: Any) -> Any:
    return await client.create_model("detector", "detector-v1")


def box(ref: str, x: int = 0, **kwargs: Any) -> n.BoxPrediction:
    return n.BoxPrediction("car", x, 0, 10, 10, ref, **kwargs)


async def test_upload_predictions_reports_counts_and_the_model_run(items: Any, model: Any) -> None:
    result = await items.upload_predictions(model, [box(r, confidence=0.8) for r in REFS])
    assert result["dataset_id"] == items.id
    assert result["predictions_processed"] == 4
    assert result["predictions_ignored"] == 0
    assert result["model_run_id"].startswith("run_")


async def test_batches_share_one_model_run_and_counts_add_up(
    items: Any, model: Any, emulator: Emulator
) -> None:
    emulator.stats.reset()
    predictions = [box(REFS[i % 4], x=i) for i in range(40)]
    result = await items.upload_predictions(model, predictions, batch_size=3)
    assert result["predictions_processed"] == 40
    assert emulator.stats.by_route["POST dataset/{ds}/model/{model}/uploadPredictions"] == 14
    again = await items.upload_predictions(model, predictions[:5], batch_size=2)
    assert again["model_run_id"] == result["model_run_id"]
    assert again["predictions_ignored"] == 5


async def test_every_prediction_type_reads_back_by_reference_id(items: Any, model: Any) -> None:
    predictions = [
        box("img_0", confidence=0.9, class_pdf={"car": 0.9, "bus": 0.1}),
        n.LinePrediction("lane", [n.Point(0, 0), n.Point(1, 1)], "img_0", annotation_id="l"),
        n.PolygonPrediction(
            "road", [n.Point(0, 0), n.Point(2, 0), n.Point(1, 1)], "img_0", annotation_id="p"
        ),
        n.KeypointsPrediction(
            "face",
            [n.Keypoint(1, 1), n.Keypoint(2, 2)],
            ["a", "b"],
            [[0, 1]],
            "img_0",
            annotation_id="k",
        ),
        n.CuboidPrediction(
            "car", n.Point3D(0, 0, 0), n.Point3D(1, 1, 1), 0.1, "img_0", annotation_id="c"
        ),
        n.CategoryPrediction("day", "img_0", confidence=0.7),
        n.SegmentationPrediction("s3://bucket/pred.png", [n.Segment("car", 1)], "img_0"),
    ]
    result = await items.upload_predictions(model, predictions)
    assert result["predictions_processed"] == len(predictions)
    by_type = await items.predictions_refloc(model, "img_0")
    assert by_type["box"] == [predictions[0]]
    assert by_type["box"][0].confidence == 0.9
    assert by_type["line"] == [predictions[1]]
    assert by_type["polygon"] == [predictions[2]]
    assert by_type["keypoints"] == [predictions[3]]
    assert by_type["cuboid"] == [predictions[4]]
    assert by_type["category"] == [predictions[5]]
    assert by_type["segmentation"] == [predictions[6]]
    assert all(isinstance(p, n.Prediction) for ps in by_type.values() for p in ps)


async def test_predictions_iloc_reads_by_position(items: Any, model: Any) -> None:
    prediction = box("img_2", confidence=0.4)
    await items.upload_predictions(model, [prediction])
    by_type = await items.predictions_iloc(model, 2)
    assert by_type["box"] == [prediction]
    assert not (await items.predictions_iloc(model, 1)).get("box")


async def test_prediction_loc_fetches_one_prediction(items: Any, model: Any) -> None:
    prediction = box("img_1", annotation_id="pred_1", confidence=0.3)
    await items.upload_predictions(model, [prediction, box("img_1", x=4)])
    fetched = await items.prediction_loc(model, "img_1", "pred_1")
    assert isinstance(fetched, n.BoxPrediction)
    assert fetched == prediction
    assert fetched.confidence == 0.3


async def test_export_predictions_groups_every_prediction_by_type(items: Any, model: Any) -> None:
    predictions = [box(r) for r in REFS]
    await items.upload_predictions(model, predictions)
    exported = await items.export_predictions(model)
    assert sorted(exported["box"], key=lambda p: p.reference_id) == predictions


async def test_local_mask_predictions_are_uploaded_as_files(
    items: Any, model: Any, tmp_path: Path
) -> None:
    path = tmp_path / "pred.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    mask = n.SegmentationPrediction(str(path), [n.Segment("car", 1)], "img_3")
    result = await items.upload_predictions(model, [mask, box("img_3")])
    assert result["predictions_processed"] == 2
    assert (await items.predictions_refloc(model, "img_3"))["segmentation"] == [mask]


async def test_unknown_items_come_back_as_errors(items: Any, model: Any) -> None:
    result = await items.upload_predictions(model, [box("img_0"), box("nope")])
    assert result["predictions_processed"] == 1
    assert any("nope" in e for e in result["errors"])


async def test_duplicate_predictions_are_refused(items: Any, model: Any) -> None:
    with pytest.raises(n.DuplicateIDError):
        await items.upload_predictions(model, [box("img_0"), box("img_0")])


async def test_asynchronous_upload_returns_a_job_that_lands_the_predictions(
    items: Any, model: Any
) -> None:
    job = await items.upload_predictions(
        model, [box(r) for r in REFS], asynchronous=True, trained_slice_id=None
    )
    status = await job.wait_until_complete(timeout=30)
    assert status["status"] == "Completed"
    assert (await items.predictions_refloc(model, "img_3"))["box"] == [box("img_3")]


async def test_calculate_evaluation_metrics_computes_box_precision_and_recall(
    items: Any, model: Any, client: Any
) -> None:
    await items.annotate([n.BoxAnnotation("car", 0, 0, 10, 10, r) for r in REFS])
    far_off = n.BoxPrediction("bus", 50, 50, 10, 10, "img_1", confidence=0.9)
    upload = await items.upload_predictions(
        model, [*(box(r, confidence=0.5) for r in REFS[:3]), far_off]
    )
    answer = await items.calculate_evaluation_metrics(model, options={"class_agnostic": False})
    assert answer["job_type"] == "modelMetrics"
    status = await (await client.get_job(answer["job_id"])).wait_until_complete(timeout=30)
    metrics = status["message"]["model_metrics"]
    assert (metrics["modelId"], metrics["modelRunId"]) == (model.id, upload["model_run_id"])
    # Three cars found, the fourth missed, and a bus where there is nothing.
    overall = metrics["box"]["overall"]
    assert (overall["tp"], overall["fp"], overall["fn"]) == (3, 1, 1)
    assert (overall["precision"], overall["recall"]) == (0.75, 0.75)
    assert metrics["box"]["per_label"]["bus"]["fp"] == 1


async def test_allowed_label_matches_count_a_matched_other_label_as_found(
    items: Any, model: Any, client: Any
) -> None:
    await items.annotate([n.BoxAnnotation("car", 0, 0, 10, 10, "img_0")])
    await items.upload_predictions(
        model, [n.BoxPrediction("bus", 0, 0, 10, 10, "img_0", confidence=0.5)]
    )
    match = [{"ground_truth_label": "car", "model_prediction_label": "bus"}]
    answer = await items.calculate_evaluation_metrics(
        model, options={"class_agnostic": False, "allowed_label_matches": match}
    )
    status = await (await client.get_job(answer["job_id"])).wait_until_complete(timeout=30)
    metrics = status["message"]["model_metrics"]
    assert metrics["allowed_label_matches"] == match
    assert metrics["box"]["overall"]["tp"] == 1 and metrics["box"]["overall"]["fp"] == 0


async def test_the_run_id_of_an_upload_resolves_to_its_model(
    items: Any, model: Any, client: Any
) -> None:
    result = await items.upload_predictions(model, [box("img_0")])
    assert (await client.get_model(model_run_id=result["model_run_id"])).id == model.id
