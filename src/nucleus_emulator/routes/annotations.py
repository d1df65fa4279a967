"""Ground-truth routes: annotate (JSON, multipart masks, signed-URL async), reads by id,
annotation deletion, tracks and taxonomies. Shared upload helpers live here too."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import UploadFile

from nucleus_emulator import store_annotations as sa
from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import JobContext, JobFailed, job_body, job_object
from nucleus_emulator.routes import items
from nucleus_emulator.store import ItemRow, Store

routes = RouteGroup()

UPLOAD_ANNOTATIONS_JOB = "uploadAnnotations"
DELETE_ANNOTATIONS_JOB = "annotationDeletion"
#: Units per transaction (and per progress step) when a job ingests NDJSON.
JOB_CHUNK = 5000

Unit = sa.AnnotationInput | tuple[Any, str]


# -- shared upload helpers (also used by routes/predictions.py) -----------------------------


def update_flag(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiError(400, "update must be a boolean")
    return value


def parse_units(payloads: Sequence[Any], *, segmentation: bool, prediction: bool) -> list[Unit]:
    units: list[Unit] = []
    for payload in payloads:
        parsed = sa.parse_unit(payload, segmentation=segmentation, prediction=prediction)
        units.append((payload, parsed) if isinstance(parsed, str) else parsed)
    return units


def json_units(body: dict[str, Any], *, prediction: bool) -> list[Unit]:
    """Units of a JSON batch: `annotations` (typed) then `segmentations` (masks)."""
    units: list[Unit] = []
    for key, segmentation in (("annotations", False), ("segmentations", True)):
        entries = body.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ApiError(400, f"{key} must be a list")
        units += parse_units(entries, segmentation=segmentation, prediction=prediction)
    return units


def multipart_units(
    req: ApiRequest, dataset_id: str, *, prediction: bool
) -> tuple[list[Unit], bool]:
    """Pair the i-th `mask` part with the i-th segmentation of `serialized_request`."""
    assert req.form is not None
    parts = [v for k, v in req.form.multi_items() if k == "serialized_request"]
    masks = [v for k, v in req.form.multi_items() if k == "mask"]
    if len(parts) != 1:
        raise ApiError(400, "Multipart upload needs exactly one 'serialized_request' part")
    raw = parts[0]
    text = raw.file.read().decode("utf-8", "replace") if isinstance(raw, UploadFile) else raw
    try:
        request = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, f"Malformed JSON in the 'serialized_request' part: {exc}") from None
    if not isinstance(request, dict) or not isinstance(request.get("segmentations"), list):
        raise ApiError(400, "'serialized_request' must be an object with a segmentations list")
    update = update_flag(request.get("update"))
    segmentations: list[Any] = request["segmentations"]
    if any(not isinstance(mask, UploadFile) for mask in masks):
        raise ApiError(400, "Every 'mask' part must be a file")
    if len(masks) != len(segmentations):
        raise ApiError(
            400,
            f"Got {len(segmentations)} segmentations but {len(masks)} mask files;"
            " they pair by position",
        )
    units: list[Unit] = []
    blobs = req.state.blobs
    for payload, mask in zip(segmentations, masks, strict=True):
        assert isinstance(mask, UploadFile)
        parsed = sa.parse_unit(payload, segmentation=True, prediction=prediction)
        if isinstance(parsed, str):
            units.append((payload, parsed))
            continue
        key = blobs.put(blobs.new_key(f"masks/{dataset_id}", ".png"), mask.file.read())
        units.append(dataclasses.replace(parsed, blob=key))  # mask_url stays as sent
    return units, update


def signed_upload_blob(req: ApiRequest, dataset_id: str, body: dict[str, Any]) -> str:
    """The NDJSON blob uploaded to the signed URL named by `requestId` (step 3 of 1.9)."""
    if req.form is not None:
        raise ApiError(400, "Asynchronous uploads take a JSON body with a requestId")
    request_id = body.get("requestId")
    if not isinstance(request_id, str) or not request_id:
        raise ApiError(400, "requestId is required for an asynchronous upload")
    upload = req.store.get_upload(request_id)
    if upload is None or upload.owner != req.key or upload.dataset_id != dataset_id:
        raise ApiError(400, f"No upload found for requestId {request_id}")
    if upload.blob is None:
        raise ApiError(400, f"Nothing was uploaded to the signed URL of requestId {request_id}")
    return upload.blob


def ingest_ndjson(
    ctx: JobContext,
    dataset_id: str,
    *,
    prediction: bool,
    run_id: str | None = None,
) -> tuple[sa.UploadResult, int]:
    """Upload the job's NDJSON in chunks; returns the summed result and the line count."""
    lines = [ln for ln in ctx.blobs.get(ctx.params["ndjson"]).decode("utf-8").splitlines() if ln]
    update = bool(ctx.params.get("update"))
    ctx.set_total(len(lines))
    total = sa.UploadResult()
    for start in range(0, len(lines), JOB_CHUNK):
        chunk = lines[start : start + JOB_CHUNK]
        units: list[Unit] = []
        for line in chunk:
            try:
                payload = json.loads(line)
            except ValueError as exc:
                units.append(({}, f"Malformed JSON line: {exc}"))
                continue
            units += parse_units([payload], segmentation=False, prediction=prediction)
        result = sa.upload(ctx.store, dataset_id, units, update=update, run_id=run_id)
        total.processed += result.processed
        total.ignored += result.ignored
        for group, counts in result.by_group.items():
            slots = total.by_group.setdefault(group, [0, 0, 0])
            for i, n in enumerate(counts):
                slots[i] += n
        for error in result.errors:
            ctx.error(error)
        ctx.advance(len(chunk))
    return total, len(lines)


def require_dataset(ctx: JobContext) -> str:
    ds_id = ctx.job.dataset_id or ""
    if ctx.store.get_dataset(ds_id) is None:
        raise JobFailed(f"Dataset {ds_id} not found")
    return ds_id


# -- annotate -----------------------------------------------------------------------------


def _annotate_response(ds_id: str, result: sa.UploadResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dataset_id": ds_id,
        "annotations_processed": result.processed,
        "annotations_ignored": result.ignored,
    }
    if result.errors:
        body["errors"] = result.errors
    return body


@routes.post("dataset/{ds}/annotate")
def annotate(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    if req.form is not None and not req.query_flag("async"):
        units, update = multipart_units(req, ds.id, prediction=False)
        return _annotate_response(ds.id, sa.upload(req.store, ds.id, units, update=update))
    body = req.json_object()
    update = update_flag(body.get("update"))
    if req.query_flag("async"):
        blob = signed_upload_blob(req, ds.id, body)
        job = req.state.jobs.start(
            req.key,
            UPLOAD_ANNOTATIONS_JOB,
            dataset_id=ds.id,
            params={"ndjson": blob, "update": update},
        )
        return job_object(job)
    units = json_units(body, prediction=False)
    return _annotate_response(ds.id, sa.upload(req.store, ds.id, units, update=update))


@job_body(UPLOAD_ANNOTATIONS_JOB)
def run_upload_annotations(ctx: JobContext) -> dict[str, Any]:
    ds_id = require_dataset(ctx)
    result, total = ingest_ndjson(ctx, ds_id, prediction=False)
    return {
        "annotation_upload": {
            "total": total,
            "errored": total - result.processed - result.ignored,
            "ignored": result.ignored,
            "datasetId": ds_id,
            "processed": result.processed,
        }
    }


# -- reads --------------------------------------------------------------------------------


def _ground_truth_reader(store: Store, item: ItemRow) -> dict[str, list[Any]]:
    return sa.group_by_kind(sa.units_of_item(store, item.id), sa.ANNOTATION_KINDS)


items.register_annotation_reader(_ground_truth_reader)


def item_by_ref(req: ApiRequest, ds_id: str, ref: str) -> ItemRow:
    item = req.store.item_by_ref(ds_id, ref)
    if item is None:
        raise ApiError(404, f"Item with reference id {ref} not found in dataset {ds_id}")
    return item


@routes.get("dataset/{ds}/groundTruth/loc/{ref}/{ann}")
def ground_truth_loc(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    ref, ann = req.params["ref"], req.params["ann"]
    found = sa.unit_by_annotation_id(req.store, item_by_ref(req, ds.id, ref).id, ann)
    if found is None:
        raise ApiError(404, f"Annotation {ann} not found on item {ref}")
    return found


# -- deletion -----------------------------------------------------------------------------


def _string_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        raise ApiError(400, f"{name} must be a list of strings")
    return list(value)


@routes.delete("annotation/{ds}")
def delete_annotations(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    refs = _string_list(body.get("reference_ids"), "reference_ids")
    keep_history = body.get("keep_history", True)
    if keep_history is not None and not isinstance(keep_history, bool):
        raise ApiError(400, "keep_history must be a boolean")
    job = req.state.jobs.start(
        req.key,
        DELETE_ANNOTATIONS_JOB,
        dataset_id=ds.id,
        params={"reference_ids": refs, "keep_history": keep_history is not False},
    )
    return job_object(job)


@job_body(DELETE_ANNOTATIONS_JOB)
def run_delete_annotations(ctx: JobContext) -> dict[str, Any]:
    ds_id = require_dataset(ctx)
    refs: list[str] = ctx.params["reference_ids"]
    ctx.set_total(1)
    items_touched = ctx.store.count_items(ds_id) if not refs else 0
    deleted, missing = sa.delete_ground_truth(ctx.store, ds_id, refs)
    items_touched = items_touched or len(refs) - len(missing)
    for ref in missing:
        ctx.error(sa.error_text({"reference_id": ref}, f"Item with id {ref} doesn't exist."))
    ctx.advance()
    return {
        "annotation_deletion": {
            "datasetId": ds_id,
            "items": items_touched,
            "deleted": deleted,
            "errored": len(missing),
        }
    }


# -- tracks -------------------------------------------------------------------------------


@routes.get("dataset/{ds}/tracks")
def list_tracks(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    return {"tracks": sa.list_tracks(req.store, ds.id)}


@routes.post("dataset/{ds}/tracks")
def update_track(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    ref = body.get("reference_id")
    metadata = body.get("metadata") or {}
    if not isinstance(ref, str) or not ref:
        raise ApiError(400, "reference_id is required")
    if not isinstance(metadata, dict):
        raise ApiError(400, "metadata must be an object")
    overwrite = update_flag(body.get("overwrite"))
    if not sa.update_track(req.store, ds.id, ref, metadata, overwrite):
        raise ApiError(404, f"Track {ref} not found in dataset {ds.id}")
    return {}


@routes.delete("dataset/{ds}/tracks")
def delete_tracks(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    refs = _string_list(req.json_object().get("track_reference_ids"), "track_reference_ids")
    deleted = sa.delete_tracks(req.store, ds.id, refs)
    return {"dataset_id": ds.id, "deleted_track_reference_ids": deleted}


# -- taxonomies ---------------------------------------------------------------------------


@routes.post("dataset/{ds}/add_taxonomy")
def add_taxonomy(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    name = body.get("taxonomy_name")
    kind = body.get("type")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "taxonomy_name must be a non-empty string")
    if kind not in ("category", "multicategory"):
        raise ApiError(400, "type must be 'category' or 'multicategory'")
    labels = _string_list(body.get("labels"), "labels")
    update = update_flag(body.get("update"))
    existing = sa.taxonomy_type(req.store, ds.id, name)
    if update and existing is not None and existing != kind:
        raise ApiError(400, f"Taxonomy {name} is of type {existing}; its type cannot change")
    status = sa.add_taxonomy(req.store, ds.id, name, kind, labels, update)
    return {"dataset_id": ds.id, "taxonomy_name": name, "status": status}


@routes.delete("dataset/{ds}/taxonomy/{name}")
def delete_taxonomy(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    name = req.params["name"]
    if not sa.delete_taxonomy(req.store, ds.id, name):
        raise ApiError(404, f"Taxonomy {name} not found in dataset {ds.id}")
    return {"dataset_id": ds.id, "taxonomy_name": name, "status": "Taxonomy successfully deleted"}
