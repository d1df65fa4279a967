"""Prediction routes: uploads per (dataset, model) run, prediction reads and exports, the legacy
`modelRun/...` routes the 0.18 client uses, and evaluation metrics (a real computation)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import JobContext, JobFailed, job_object
from nucleus_emulator.routes._annotation_units import (
    async_upload_blob,
    ingest_ndjson,
    json_units,
    multipart_units,
)
from nucleus_emulator.routes._common import job_dataset, update_flag
from nucleus_emulator.routes._lookups import (
    item_at_index,
    item_by_id,
    item_by_ref,
    owned_model,
    owned_run,
)
from nucleus_emulator.store.annotations import PREDICTION_KINDS, StoredUnit, group_by_kind
from nucleus_emulator.store.datasets import DatasetRow
from nucleus_emulator.store.items import ItemRow
from nucleus_emulator.store.model_runs import RUN_COMMITTED, RunRow

routes = RouteGroup()

UPLOAD_PREDICTIONS_JOB = "uploadPredictions"
METRICS_JOB = "modelMetrics"
COMMIT_JOB = "modelRunCommit"
IOU_THRESHOLD = 0.5
METRIC_OPTIONS = frozenset({"class_agnostic", "allowed_label_matches"})


# -- reads --------------------------------------------------------------------------------


def by_type(req: ApiRequest, item: ItemRow, run_id: str | None) -> dict[str, Any]:
    """Predictions-by-type of one item: every prediction type key, possibly empty."""
    units = req.store.annotations.units_of_item(item.id, run_id) if run_id else []
    return {"annotations": group_by_kind(units, PREDICTION_KINDS)}


def export_of_run(req: ApiRequest, ds_id: str, run_id: str | None) -> dict[str, Any]:
    """type → predictions of a whole run; empty types are left out (empty run → `{}`)."""
    if run_id is None:
        return {}
    grouped = group_by_kind(req.store.annotations.units_of_dataset(ds_id, run_id), PREDICTION_KINDS)
    return {kind: entries for kind, entries in grouped.items() if entries}


def _single(req: ApiRequest, ds_id: str, run_id: str | None) -> dict[str, Any]:
    ref, ann = req.params["ref"], req.params["ann"]
    item = item_by_ref(req, ds_id, ref)
    found = req.store.annotations.by_annotation_id(item.id, ann, run_id) if run_id else None
    if found is None:
        raise ApiError(404, f"Prediction {ann} not found on item {ref}")
    return found


# -- uploads ------------------------------------------------------------------------------


def _predict(req: ApiRequest, ds: DatasetRow, run: RunRow) -> dict[str, Any]:
    if req.form is not None and not req.query_flag("async"):
        units, update = multipart_units(req, ds.id, prediction=True)
    else:
        body = req.json_object()
        update = update_flag(body.get("update"))
        trained_slice_id = body.get("trained_slice_id")
        if trained_slice_id is not None and not isinstance(trained_slice_id, str):
            raise ApiError(400, "trained_slice_id must be a string or null")
        if req.query_flag("async"):
            blob = async_upload_blob(req, ds.id, body)
            job = req.state.jobs.start(
                req.key,
                UPLOAD_PREDICTIONS_JOB,
                dataset_id=ds.id,
                params={"ndjson": blob, "update": update, "run_id": run.id},
            )
            return job_object(job)
        units = json_units(body, prediction=True)
    result = req.store.annotations.upload(ds.id, units, update=update, run_id=run.id)
    response: dict[str, Any] = {
        "dataset_id": ds.id,
        "model_run_id": run.id,
        "predictions_processed": result.processed,
        "predictions_ignored": result.ignored,
    }
    if result.errors:
        response["errors"] = result.errors
    return response


@routes.post("dataset/{ds}/model/{model}/uploadPredictions")
def upload_predictions(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    model = owned_model(req, req.params["model"])
    return _predict(req, ds, req.store.runs.first_for_or_create(req.key, ds.id, model))


@routes.post("dataset/{ds}/modelRun/{run}/uploadPredictions")
def upload_predictions_for_run(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    run = owned_run(req)
    if run.dataset_id != ds.id:
        raise ApiError(404, f"Model run {run.id} not found in dataset {ds.id}")
    return _predict(req, ds, run)


@routes.post("modelRun/{run}/predict")
def predict(req: ApiRequest) -> dict[str, Any]:
    run = owned_run(req)
    return _predict(req, req.owned_dataset(run.dataset_id), run)


@routes.job(UPLOAD_PREDICTIONS_JOB)
def run_upload_predictions(ctx: JobContext) -> dict[str, Any]:
    ds_id = job_dataset(ctx)
    run_id: str = ctx.params["run_id"]
    if ctx.store.runs.get(run_id) is None:
        raise JobFailed(f"Model run {run_id} not found")
    result, _ = ingest_ndjson(ctx, ds_id, prediction=True, run_id=run_id)
    processed, ignored, errored = result.by_group.get("other", [0, 0, 0])
    message: dict[str, Any] = {
        "prediction_upload": {
            "epoch": 1,
            "total": processed + ignored + errored,
            "errored": errored,
            "ignored": ignored,
            "datasetId": ds_id,
            "processed": processed,
        }
    }
    if "segmentation" in result.by_group:
        seg_processed, seg_ignored, seg_errored = result.by_group["segmentation"]
        message["segmentation_upload"] = {
            "ignored": seg_ignored,
            "n_errors": seg_errored,
            "processed": seg_processed,
        }
    return message


# -- reads by (dataset, model) --------------------------------------------------------------


def _dataset_and_run(req: ApiRequest) -> tuple[DatasetRow, str | None]:
    ds = req.owned_dataset()
    model = owned_model(req, req.params["model"])
    run = req.store.runs.first_for(ds.id, model.id)
    return ds, None if run is None else run.id


@routes.get("dataset/{ds}/model/{model}/loc/{ref}/{ann}")
def prediction_loc(req: ApiRequest) -> dict[str, Any]:
    ds, run_id = _dataset_and_run(req)
    return _single(req, ds.id, run_id)


@routes.get("dataset/{ds}/model/{model}/iloc/{i}")
def predictions_iloc(req: ApiRequest) -> dict[str, Any]:
    ds, run_id = _dataset_and_run(req)
    return by_type(req, item_at_index(req, ds.id), run_id)


@routes.get("dataset/{ds}/model/{model}/referenceId/{ref}")
def predictions_refloc(req: ApiRequest) -> dict[str, Any]:
    ds, run_id = _dataset_and_run(req)
    return by_type(req, item_by_ref(req, ds.id, req.params["ref"]), run_id)


@routes.get("dataset/{ds}/model/{model}/export")
def export_predictions(req: ApiRequest) -> dict[str, Any]:
    ds, run_id = _dataset_and_run(req)
    return export_of_run(req, ds.id, run_id)


# -- legacy model runs --------------------------------------------------------------------


@routes.post("dataset/{ds}/modelRun/create")
def create_model_run(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    name = body.get("name")
    ref = body.get("reference_id")
    metadata = body.get("metadata") or {}
    if not isinstance(name, str) or not name:
        raise ApiError(400, "name must be a non-empty string")
    if not isinstance(ref, str) or not ref:
        raise ApiError(400, "reference_id (the model's reference id) is required")
    if not isinstance(metadata, dict):
        raise ApiError(400, "metadata must be an object")
    model = req.store.models.newest_by_ref(req.key, ref)
    if model is None:
        raise ApiError(404, f"Model with reference id {ref} not found")
    run = req.store.runs.create(
        req.key, model.id, ds.id, name=name, reference_id=ref, metadata=metadata
    )
    return {"model_run_id": run.id, "model_id": model.id}


@routes.get("modelRun/{run}/refloc/{ref}")
def run_refloc(req: ApiRequest) -> dict[str, Any]:
    run = owned_run(req)
    return by_type(req, item_by_ref(req, run.dataset_id, req.params["ref"]), run.id)


@routes.get("modelRun/{run}/iloc/{i}")
def run_iloc(req: ApiRequest) -> dict[str, Any]:
    run = owned_run(req)
    return by_type(req, item_at_index(req, run.dataset_id), run.id)


@routes.get("modelRun/{run}/loc/{item_id}")
def run_loc(req: ApiRequest) -> dict[str, Any]:
    run = owned_run(req)
    return by_type(req, item_by_id(req, run.dataset_id, req.params["item_id"]), run.id)


@routes.get("modelRun/{run}/prediction/loc/{ref}/{ann}")
def run_prediction_loc(req: ApiRequest) -> dict[str, Any]:
    run = owned_run(req)
    return _single(req, run.dataset_id, run.id)


@routes.get("modelRun/{run}/ungrouped")
def run_ungrouped(req: ApiRequest) -> dict[str, Any]:
    run = owned_run(req)
    return export_of_run(req, run.dataset_id, run.id)


@routes.get("modelRun/{run}/info")
def run_info(req: ApiRequest) -> dict[str, Any]:
    return owned_run(req).info()


@routes.post("modelRun/{run}/commit")
def run_commit(req: ApiRequest) -> dict[str, Any]:
    run = owned_run(req)
    options = metric_options(req.json_object())
    req.store.runs.set_status(run.id, RUN_COMMITTED)
    job = req.state.jobs.start(
        req.key, COMMIT_JOB, dataset_id=run.dataset_id, params={"run_id": run.id, **options}
    )
    return {"model_run_id": run.id, "job_id": job.id}


@routes.delete("modelRun/{run}")
def delete_model_run(req: ApiRequest) -> dict[str, Any]:
    req.store.runs.delete(owned_run(req).id)
    return {}


# -- evaluation metrics -------------------------------------------------------------------


def metric_options(body: dict[str, Any]) -> dict[str, Any]:
    """Validated `{class_agnostic, allowed_label_matches}` (the documented options only)."""
    unknown = sorted(set(body) - METRIC_OPTIONS)
    if unknown:
        raise ApiError(
            400,
            f"Unknown evaluation option(s): {', '.join(unknown)}."
            f" Supported: {', '.join(sorted(METRIC_OPTIONS))}",
        )
    matches_raw = body.get("allowed_label_matches")
    matches: list[list[str]] = []
    if matches_raw is not None:
        if not isinstance(matches_raw, list):
            raise ApiError(400, "allowed_label_matches must be a list")
        for entry in matches_raw:
            if (
                not isinstance(entry, dict)
                or set(entry) != {"ground_truth_label", "model_prediction_label"}
                or not isinstance(entry["ground_truth_label"], str)
                or not isinstance(entry["model_prediction_label"], str)
            ):
                raise ApiError(
                    400,
                    "Each allowed_label_matches entry must be"
                    " {ground_truth_label: str, model_prediction_label: str}",
                )
            matches.append([entry["ground_truth_label"], entry["model_prediction_label"]])
    agnostic = body.get("class_agnostic")
    if agnostic is not None and not isinstance(agnostic, bool):
        raise ApiError(400, "class_agnostic must be a boolean")
    if agnostic is True and matches:
        raise ApiError(
            400,
            "class_agnostic must be false when allowed_label_matches is given:"
            " label matches only restrict class-aware matching",
        )
    if agnostic is None:
        agnostic = not matches  # the documented default is True unless matches are given
    return {"class_agnostic": agnostic, "allowed_label_matches": matches}


@routes.post("dataset/{ds}/model/{model}/calculateEvaluationMetrics")
def calculate_evaluation_metrics(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    model = owned_model(req, req.params["model"])
    options = metric_options(req.json_object())
    run = req.store.runs.first_for(ds.id, model.id)
    if run is None:
        raise ApiError(400, f"Model {model.id} has no predictions on dataset {ds.id}")
    job = req.state.jobs.start(
        req.key, METRICS_JOB, dataset_id=ds.id, params={"run_id": run.id, **options}
    )
    return job_object(job)


def _box(payload: dict[str, Any]) -> tuple[float, float, float, float]:
    g = payload["geometry"]
    return float(g["x"]), float(g["y"]), float(g["width"]), float(g["height"])


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


def compute_metrics(
    ground_truth: Iterable[StoredUnit],
    predictions: Iterable[StoredUnit],
    *,
    class_agnostic: bool,
    allowed_label_matches: list[list[str]],
) -> dict[str, Any]:
    """Box precision/recall at IoU 0.5 (greedy by confidence), category accuracy, counts."""
    allowed = {(gt, pred) for gt, pred in allowed_label_matches}

    def matchable(gt_label: Any, pred_label: Any) -> bool:
        return class_agnostic or gt_label == pred_label or (gt_label, pred_label) in allowed

    gt_by_item: dict[str | None, list[StoredUnit]] = defaultdict(list)
    pred_by_item: dict[str | None, list[StoredUnit]] = defaultdict(list)
    counts: dict[str, dict[str, int]] = {"ground_truth": {}, "predictions": {}}
    for side, units, grouped in (
        ("ground_truth", ground_truth, gt_by_item),
        ("predictions", predictions, pred_by_item),
    ):
        for unit in units:
            counts[side][unit.kind] = counts[side].get(unit.kind, 0) + 1
            grouped[unit.item_id].append(unit)

    per_label: dict[str, dict[str, int]] = defaultdict(
        lambda: {"ground_truth": 0, "predictions": 0, "tp": 0, "fp": 0, "fn": 0}
    )
    ious: list[float] = []
    category = {"compared": 0, "correct": 0}
    for item_id in set(gt_by_item) | set(pred_by_item):
        gts = [u.payload for u in gt_by_item.get(item_id, []) if u.kind == "box"]
        preds = [u.payload for u in pred_by_item.get(item_id, []) if u.kind == "box"]
        for gt in gts:
            per_label[str(gt.get("label"))]["ground_truth"] += 1
        matched: set[int] = set()
        for pred in sorted(preds, key=lambda p: -float(p.get("confidence") or 0.0)):
            per_label[str(pred.get("label"))]["predictions"] += 1
            best, best_iou = -1, IOU_THRESHOLD
            for index, gt in enumerate(gts):
                if index in matched or not matchable(gt.get("label"), pred.get("label")):
                    continue
                overlap = iou(_box(gt), _box(pred))
                if overlap >= best_iou:
                    best, best_iou = index, overlap
            if best < 0:
                per_label[str(pred.get("label"))]["fp"] += 1
                continue
            matched.add(best)
            ious.append(best_iou)
            per_label[str(gts[best].get("label"))]["tp"] += 1
        for index, gt in enumerate(gts):
            if index not in matched:
                per_label[str(gt.get("label"))]["fn"] += 1
        gt_categories = {
            u.payload.get("taxonomy_name"): u.payload.get("label")
            for u in gt_by_item.get(item_id, [])
            if u.kind == "category"
        }
        for unit in pred_by_item.get(item_id, []):
            taxonomy = unit.payload.get("taxonomy_name")
            if unit.kind != "category" or taxonomy not in gt_categories:
                continue
            category["compared"] += 1
            gt_label, pred_label = gt_categories[taxonomy], unit.payload.get("label")
            if gt_label == pred_label or (gt_label, pred_label) in allowed:
                category["correct"] += 1

    labels: dict[str, Any] = {}
    for label in sorted(per_label):
        stats = per_label[label]
        labels[label] = {
            **stats,
            "precision": _ratio(stats["tp"], stats["tp"] + stats["fp"]),
            "recall": _ratio(stats["tp"], stats["tp"] + stats["fn"]),
        }
    tp = sum(s["tp"] for s in per_label.values())
    fp = sum(s["fp"] for s in per_label.values())
    fn = sum(s["fn"] for s in per_label.values())
    return {
        "iou_threshold": IOU_THRESHOLD,
        "class_agnostic": class_agnostic,
        "allowed_label_matches": [
            {"ground_truth_label": gt, "model_prediction_label": pred}
            for gt, pred in allowed_label_matches
        ],
        "box": {
            "overall": {
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "precision": _ratio(tp, tp + fp),
                "recall": _ratio(tp, tp + fn),
                "mean_iou": round(sum(ious) / len(ious), 6) if ious else None,
            },
            "per_label": labels,
        },
        "category": {**category, "accuracy": _ratio(category["correct"], category["compared"])},
        "counts": counts,
    }


def _run_metrics(ctx: JobContext) -> dict[str, Any]:
    ds_id = job_dataset(ctx)
    run = ctx.store.runs.get(ctx.params["run_id"])
    if run is None:
        raise JobFailed(f"Model run {ctx.params['run_id']} not found")
    ctx.set_total(1)
    metrics = compute_metrics(
        ctx.store.annotations.units_of_dataset(ds_id),
        ctx.store.annotations.units_of_dataset(ds_id, run.id),
        class_agnostic=bool(ctx.params["class_agnostic"]),
        allowed_label_matches=ctx.params["allowed_label_matches"],
    )
    ctx.advance()
    return {
        "model_metrics": {
            "datasetId": ds_id,
            "modelId": run.model_id,
            "modelRunId": run.id,
            **metrics,
        }
    }


routes.job(METRICS_JOB)(_run_metrics)
routes.job(COMMIT_JOB)(_run_metrics)
