"""The official client (scale-nucleus 0.18.4) against the served emulator: annotations,
predictions, models, taxonomies and exports."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from nucleus import (
    BoxAnnotation,
    BoxPrediction,
    CategoryAnnotation,
    DatasetItem,
    NucleusClient,
    Segment,
    SegmentationAnnotation,
)
from nucleus.async_job import AsyncJob
from nucleus.dataset import Dataset
from nucleus.errors import NucleusAPIError

from nucleus_emulator import Emulator

pytestmark = [
    pytest.mark.e2e,
    # aiohttp 3.14 deprecates the BasicAuth call the 0.18.4 client makes; not ours to fix.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:nucleus.async_utils"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

API_KEY = "annotation-contract-key"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def client(served_endpoint: str) -> NucleusClient:
    return NucleusClient(api_key=API_KEY, endpoint=served_endpoint)


@pytest.fixture
def dataset(client: NucleusClient) -> Dataset:
    ds = client.create_dataset("annotations", is_scene=False)
    ds.append(
        [
            DatasetItem(image_location=f"s3://bucket/{i}.jpg", reference_id=f"img-{i}")
            for i in range(3)
        ]
    )
    return ds


def boxes() -> list[BoxAnnotation]:
    return [
        BoxAnnotation(
            label="car",
            x=i,
            y=0,
            width=10,
            height=10,
            reference_id=f"img-{i}",
            annotation_id=f"box-{i}",
            metadata={"k": i},
        )
        for i in range(3)
    ]


def test_annotate_boxes_masks_and_categories_read_back(dataset: Dataset, tmp_path: Path) -> None:
    local = tmp_path / "mask.png"
    local.write_bytes(png_bytes())
    masks = [
        SegmentationAnnotation(str(local), [Segment("sky", 1)], reference_id="img-0"),
        SegmentationAnnotation(
            "s3://bucket/m1.png", [Segment("road", 2)], reference_id="img-1", annotation_id="m1"
        ),
    ]
    sent = [*boxes(), *masks, CategoryAnnotation("sunny", reference_id="img-2")]

    response = dataset.annotate(sent)

    assert response["dataset_id"] == dataset.id
    assert response["annotations_processed"] == 6
    assert response["annotations_ignored"] == 0
    read = dataset.refloc("img-0")["annotations"]
    assert len(read) == 2
    assert read["box"] == [boxes()[0]]
    assert read["segmentation"][0].mask_url == str(local)
    assert dataset.iloc(1)["annotations"]["segmentation"] == [masks[1]]
    assert dataset.refloc("img-2")["annotations"]["category"][0].label == "sunny"
    assert dataset.ground_truth_loc("img-1", "box-1") == boxes()[1]

    again = dataset.annotate(boxes())
    assert (again["annotations_processed"], again["annotations_ignored"]) == (0, 3)
    missing = dataset.annotate(
        [BoxAnnotation("car", 0, 0, 1, 1, reference_id="fake_garbage", annotation_id="x")]
    )
    assert missing["annotations_processed"] == 0
    assert "Item with id fake_garbage doesn" in str(missing["errors"])

    rows = dataset.items_and_annotations()
    assert [r["item"].reference_id for r in rows] == ["img-0", "img-1", "img-2"]
    assert rows[0]["annotations"]["box"] == [boxes()[0]]
    assert rows[1]["annotations"]["segmentation"] == masks[1]
    generated = list(dataset.items_and_annotation_generator(page_size=1))
    assert [r["item"].reference_id for r in generated] == ["img-0", "img-1", "img-2"]
    assert generated[2]["annotations"]["category"][0].label == "sunny"


def test_taxonomies(dataset: Dataset) -> None:
    labels = ["[Pytest] label 1", "[Pytest] label 2"]
    assert dataset.add_taxonomy("[Pytest] taxonomy", "category", labels)["status"] == (
        "Taxonomy created"
    )
    again = dataset.add_taxonomy("[Pytest] taxonomy", "category", [*labels, "x"], False)
    assert again["status"] == "Taxonomy already exists"
    updated = dataset.add_taxonomy("[Pytest] taxonomy", "category", [*labels, "x"], True)
    assert updated == {
        "dataset_id": dataset.id,
        "taxonomy_name": "[Pytest] taxonomy",
        "status": "Taxonomy updated",
    }
    response = dataset.annotate(
        [
            CategoryAnnotation("x", reference_id="img-0", taxonomy_name="[Pytest] taxonomy"),
            CategoryAnnotation("nope", reference_id="img-1", taxonomy_name="[Pytest] taxonomy"),
        ]
    )
    assert response["annotations_processed"] == 1
    assert len(response["errors"]) == 1
    deleted = dataset.delete_taxonomy("[Pytest] taxonomy")
    assert deleted["status"] == "Taxonomy successfully deleted"


def test_delete_annotations_job(emulator: Emulator, dataset: Dataset) -> None:
    dataset.annotate(boxes())
    job = dataset.delete_annotations(["img-0"])
    assert isinstance(job, AsyncJob)
    assert job.job_type == "annotationDeletion"
    assert emulator.jobs.wait_idle(5)
    assert job.status()["status"] == "Completed"
    assert dataset.refloc("img-0")["annotations"] == {}
    assert len(dataset.refloc("img-1")["annotations"]["box"]) == 1


def test_models_and_predictions(
    client: NucleusClient, emulator: Emulator, dataset: Dataset
) -> None:
    model = client.create_model("detector", "detector-v1", metadata={"arch": "rcnn"})
    assert model.id.startswith("prj_")
    predictions = [
        BoxPrediction(
            "car",
            i,
            0,
            10,
            10,
            f"img-{i}",
            confidence=0.5 + i / 10,
            annotation_id=f"p-{i}",
            class_pdf={"car": 0.8},
        )
        for i in range(2)
    ]

    response = dataset.upload_predictions(model, predictions)

    assert response["predictions_processed"] == 2
    assert response["predictions_ignored"] == 0
    run_id = response["model_run_id"]
    assert dataset.upload_predictions(model, predictions)["model_run_id"] == run_id
    exported = dataset.export_predictions(model)
    assert exported["box"] == predictions
    assert exported["box"][1].confidence == 0.6
    assert dataset.predictions_refloc(model, "img-1")["box"] == [predictions[1]]
    assert dataset.predictions_iloc(model, 0)["box"] == [predictions[0]]
    assert dataset.prediction_loc(model, "img-0", "p-0") == predictions[0]
    assert dataset.info().model_run_ids == [run_id]

    assert client.get_model(model.id) == model
    assert client.get_model(model_run_id=run_id).id == model.id
    assert [m.id for m in client.list_models()] == [model.id]
    model.add_tags(["prod", "v1"])
    assert client.get_model(model.id).tags == ["prod", "v1"]
    model.remove_tags(["v1"])
    with pytest.raises(NucleusAPIError) as raised:
        model.remove_tags(["never-added"])
    assert raised.value.status_code == 400
    assert (
        '{"error":"Deleted 0 tags from model. The specified tag(s) were not found."}'
        in raised.value.message
    )
    assert client.get_model(model.id).tags == ["prod"]

    dataset.annotate(boxes())
    job = dataset.calculate_evaluation_metrics(model, {"class_agnostic": False})
    assert job["job_type"] == "modelMetrics"
    assert emulator.jobs.wait_idle(5)
    metrics = client.get_job(job["job_id"]).status()["message"]["model_metrics"]
    assert metrics["box"]["overall"]["tp"] == 2

    assert client.delete_model(model.id) == {"msg": "Model deletion running in an async job"}
    assert client.list_models() == []


def test_legacy_model_run(client: NucleusClient, dataset: Dataset) -> None:
    model = client.create_model("legacy", "legacy-ref")
    prediction = BoxPrediction("car", 0, 0, 5, 5, "img-0", annotation_id="p", confidence=0.9)
    run = model.create_run("run", dataset, [prediction])
    assert run.model_run_id.startswith("run_")
    assert run.refloc("img-0")["box"] == [prediction]
    assert run.prediction_loc("img-0", "p") == prediction
    assert run.iloc(0)["box"] == [prediction]
    assert run.ungrouped_export()["box"] == [prediction]
    assert run.info()["model_id"] == model.id
    ignored = run.predict([prediction])
    assert (ignored["predictions_processed"], ignored["predictions_ignored"]) == (0, 1)
