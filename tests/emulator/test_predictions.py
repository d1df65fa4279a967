"""Predictions: per-(dataset, model) runs, reads, exports, legacy model runs, metrics."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from annotation_helpers import annotate, box, category, create_model, mask, signed_upload
from emulator_helpers import append, item

from nucleus_emulator import Emulator


@pytest.fixture
async def items_ds(api: httpx.AsyncClient, dataset: str) -> str:
    await append(api, dataset, [item("a"), item("b")])
    return dataset


def pred(ref: str, ann: str, label: str = "car", x: float = 0, **extra: Any) -> dict[str, Any]:
    return box(ref, ann, label, x, confidence=0.9, class_pdf={label: 0.9}, **extra)


async def upload(
    api: httpx.AsyncClient, ds: str, model: str, preds: list[Any], update: bool = False
) -> dict[str, Any]:
    response = await api.post(
        f"dataset/{ds}/model/{model}/uploadPredictions",
        json={"update": update, "annotations": preds},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_upload_predictions_creates_one_run_per_dataset_and_model(
    api: httpx.AsyncClient, items_ds: str
) -> None:
    model = await create_model(api)
    first = await upload(api, items_ds, model, [pred("a", "p1"), pred("ghost", "p2")])
    run = first["model_run_id"]
    assert run.startswith("run_")
    assert first["predictions_processed"] == 1
    assert first["predictions_ignored"] == 0
    assert "Item with id ghost doesn't exist." in first["errors"][0]
    second = await upload(api, items_ds, model, [pred("a", "p1", x=5), pred("b", "p3")])
    assert second["model_run_id"] == run
    assert (second["predictions_processed"], second["predictions_ignored"]) == (1, 1)
    info = (await api.get(f"dataset/{items_ds}/info")).json()
    assert info["model_run_ids"] == [run]

    refloc = (await api.get(f"dataset/{items_ds}/model/{model}/referenceId/a")).json()
    assert list(refloc["annotations"]) == [
        "box",
        "line",
        "polygon",
        "cuboid",
        "category",
        "keypoints",
        "segmentation",
    ]
    assert refloc["annotations"]["box"] == [pred("a", "p1")]  # confidence/class_pdf kept
    iloc = (await api.get(f"dataset/{items_ds}/model/{model}/iloc/1")).json()
    assert iloc["annotations"]["box"] == [pred("b", "p3")]
    single = await api.get(f"dataset/{items_ds}/model/{model}/loc/a/p1")
    assert single.json() == pred("a", "p1")
    export = (await api.get(f"dataset/{items_ds}/model/{model}/export")).json()
    assert export == {"box": [pred("a", "p1"), pred("b", "p3")]}
    # Ground truth is untouched by predictions.
    assert (await api.get(f"dataset/{items_ds}/refloc/a")).json()["annotations"] == {}

    updated = await upload(api, items_ds, model, [pred("a", "p1", x=5)], update=True)
    assert updated["predictions_processed"] == 1
    single = await api.get(f"dataset/{items_ds}/model/{model}/loc/a/p1")
    assert single.json()["geometry"]["x"] == 5


async def test_multicategory_predictions_are_rejected_per_unit(
    api: httpx.AsyncClient, items_ds: str
) -> None:
    model = await create_model(api)
    multi = {"labels": ["x"], "type": "multicategory", "geometry": {}, "reference_id": "a"}
    body = await upload(api, items_ds, model, [multi, category("a", "x", confidence=0.3)])
    assert body["predictions_processed"] == 1
    assert "multicategory" in body["errors"][0]


async def test_empty_reads_when_the_model_has_no_run(api: httpx.AsyncClient, items_ds: str) -> None:
    model = await create_model(api)
    assert (await api.get(f"dataset/{items_ds}/model/{model}/export")).json() == {}
    read = (await api.get(f"dataset/{items_ds}/model/{model}/referenceId/a")).json()
    assert all(v == [] for v in read["annotations"].values())
    missing = await api.get(f"dataset/{items_ds}/model/{model}/loc/a/x")
    assert missing.status_code == 404


async def test_legacy_model_run_routes(
    emu: Emulator, api: httpx.AsyncClient, items_ds: str
) -> None:
    model = await create_model(api, ref="legacy-ref")
    created = await api.post(
        f"dataset/{items_ds}/modelRun/create",
        json={"name": "run-1", "reference_id": "legacy-ref", "metadata": {"k": 1}},
    )
    run = created.json()["model_run_id"]
    predicted = await api.post(
        f"modelRun/{run}/predict",
        json={"update": False, "annotations": [pred("a", "p1")], "segmentations": [mask("b")]},
    )
    assert predicted.json() == {
        "dataset_id": items_ds,
        "model_run_id": run,
        "predictions_processed": 2,
        "predictions_ignored": 0,
    }
    assert (await api.get(f"modelRun/{run}/refloc/a")).json()["annotations"]["box"] == [
        pred("a", "p1")
    ]
    iloc = (await api.get(f"modelRun/{run}/iloc/1")).json()["annotations"]
    assert iloc["segmentation"] == [mask("b")]
    item_id = (await api.get(f"dataset/{items_ds}/refloc/a")).json()["item"]["id"]
    loc = (await api.get(f"modelRun/{run}/loc/{item_id}")).json()["annotations"]
    assert len(loc["box"]) == 1
    single = await api.get(f"modelRun/{run}/prediction/loc/a/p1")
    assert single.json() == pred("a", "p1")
    ungrouped = (await api.get(f"modelRun/{run}/ungrouped")).json()
    assert set(ungrouped) == {"box", "segmentation"}
    info = (await api.get(f"modelRun/{run}/info")).json()
    assert info["model_id"] == model and info["metadata"] == {"k": 1}
    commit = (await api.post(f"modelRun/{run}/commit", json={})).json()
    assert commit["model_run_id"] == run
    assert emu.jobs.wait_idle(5)
    assert (await api.get(f"modelRun/{run}/info")).json()["status"] == "Committed"
    assert (await api.get(f"model/{run}")).json()["id"] == model

    assert (await api.delete(f"modelRun/{run}")).json() == {}
    assert (await api.get(f"modelRun/{run}/info")).status_code == 404
    unknown = await api.post(
        f"dataset/{items_ds}/modelRun/create", json={"name": "x", "reference_id": "nope"}
    )
    assert unknown.status_code == 404


async def test_async_prediction_upload_job(
    emu: Emulator, api: httpx.AsyncClient, items_ds: str
) -> None:
    model = await create_model(api)
    request_id = await signed_upload(
        api, items_ds, [pred("a", "p1"), pred("fake_garbage", "p2"), mask("b")]
    )
    response = await api.post(
        f"dataset/{items_ds}/model/{model}/uploadPredictions?async=1",
        json={"requestId": request_id, "update": False, "trained_slice_id": None},
    )
    job = response.json()
    assert job["job_type"] == "uploadPredictions"
    assert emu.jobs.wait_idle(5)
    status = (await api.get(f"job/{job['job_id']}")).json()
    assert status["message"] == {
        "prediction_upload": {
            "epoch": 1,
            "total": 2,
            "errored": 1,
            "ignored": 0,
            "datasetId": items_ds,
            "processed": 1,
        },
        "segmentation_upload": {"ignored": 0, "n_errors": 0, "processed": 1},
    }
    assert (status["completed_steps"], status["total_steps"]) == (3, 3)
    assert "Item with id fake_garbage doesn" in str(
        (await api.get(f"job/{job['job_id']}/errors")).json()
    )


async def test_evaluation_metrics_are_computed(
    emu: Emulator, api: httpx.AsyncClient, items_ds: str
) -> None:
    model = await create_model(api)
    url = f"dataset/{items_ds}/model/{model}/calculateEvaluationMetrics"
    no_run = await api.post(url, json={})
    assert no_run.status_code == 400
    await annotate(
        api,
        items_ds,
        [box("a", "g1", "car", x=0), box("a", "g2", "bus", x=100), box("b", "g3", "car", x=0)],
    )
    await upload(
        api,
        items_ds,
        model,
        [
            pred("a", "p1", "car", x=1),  # IoU 0.82 with g1: TP
            pred("a", "p2", "truck", x=100),  # overlaps the bus, other label
            pred("b", "p3", "car", x=50),  # no overlap: FP; g3 is FN
        ],
    )

    async def metrics(options: dict[str, Any]) -> dict[str, Any]:
        response = await api.post(url, json=options)
        assert response.status_code == 200, response.text
        assert response.json()["job_type"] == "modelMetrics"
        assert emu.jobs.wait_idle(5)
        status = (await api.get(f"job/{response.json()['job_id']}")).json()
        assert status["status"] == "Completed"
        result: dict[str, Any] = status["message"]["model_metrics"]
        return result

    strict = await metrics({"class_agnostic": False})
    assert strict["box"]["overall"] == {
        "tp": 1,
        "fp": 2,
        "fn": 2,
        "precision": 0.333333,
        "recall": 0.333333,
        "mean_iou": pytest.approx(0.818182, abs=1e-6),
    }
    assert strict["box"]["per_label"]["car"]["tp"] == 1
    agnostic = await metrics({})
    assert agnostic["class_agnostic"] is True
    assert agnostic["box"]["overall"]["tp"] == 2
    allowed = await metrics(
        {
            "allowed_label_matches": [
                {"ground_truth_label": "bus", "model_prediction_label": "truck"}
            ]
        }
    )
    assert allowed["class_agnostic"] is False
    assert allowed["box"]["overall"]["tp"] == 2
    assert allowed["counts"] == {"ground_truth": {"box": 3}, "predictions": {"box": 3}}

    conflicting = await api.post(
        url,
        json={
            "class_agnostic": True,
            "allowed_label_matches": [{"ground_truth_label": "a", "model_prediction_label": "b"}],
        },
    )
    assert conflicting.status_code == 400
    assert "class_agnostic" in conflicting.json()["error"]
    unknown = await api.post(url, json={"iou_threshold": 0.3})
    assert unknown.status_code == 400
    assert "iou_threshold" in unknown.json()["error"]


async def test_another_key_gets_404_for_predictions_and_runs(
    api: httpx.AsyncClient, other: httpx.AsyncClient, items_ds: str
) -> None:
    model = await create_model(api)
    run = (await upload(api, items_ds, model, [pred("a", "p1")]))["model_run_id"]
    other_ds = (await other.post("dataset/create", json={"name": "o"})).json()["dataset_id"]
    calls = [
        other.post(f"dataset/{other_ds}/model/{model}/uploadPredictions", json={"annotations": []}),
        other.post(f"dataset/{items_ds}/model/{model}/uploadPredictions", json={}),
        other.get(f"dataset/{items_ds}/model/{model}/export"),
        other.get(f"dataset/{items_ds}/model/{model}/referenceId/a"),
        other.get(f"modelRun/{run}/info"),
        other.get(f"modelRun/{run}/refloc/a"),
        other.post(f"modelRun/{run}/predict", json={"annotations": []}),
        other.delete(f"modelRun/{run}"),
        other.post(f"dataset/{other_ds}/model/{model}/calculateEvaluationMetrics", json={}),
        other.get(f"model/{run}"),
    ]
    for call in calls:
        assert (await call).status_code == 404
