"""Ground-truth routes: annotate (JSON, multipart masks, signed-URL async), reads by id,
annotation deletion, tracks and taxonomies."""

from __future__ import annotations

from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import JobContext, job_object
from nucleus_emulator.routes._annotation_units import (
    async_upload_blob,
    ingest_ndjson,
    json_units,
    multipart_units,
)
from nucleus_emulator.routes._common import job_dataset, update_flag
from nucleus_emulator.routes._lookups import item_by_ref
from nucleus_emulator.store.annotations import UploadResult, error_text

routes = RouteGroup()

UPLOAD_ANNOTATIONS_JOB = "uploadAnnotations"
DELETE_ANNOTATIONS_JOB = "annotationDeletion"


# -- annotate -----------------------------------------------------------------------------


def _annotate_response(ds_id: str, result: UploadResult) -> dict[str, Any]:
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
        return _annotate_response(ds.id, req.store.annotations.upload(ds.id, units, update=update))
    body = req.json_object()
    update = update_flag(body.get("update"))
    if req.query_flag("async"):
        blob = async_upload_blob(req, ds.id, body)
        job = req.state.jobs.start(
            req.key,
            UPLOAD_ANNOTATIONS_JOB,
            dataset_id=ds.id,
            params={"ndjson": blob, "update": update},
        )
        return job_object(job)
    units = json_units(body, prediction=False)
    return _annotate_response(ds.id, req.store.annotations.upload(ds.id, units, update=update))


@routes.job(UPLOAD_ANNOTATIONS_JOB)
def run_upload_annotations(ctx: JobContext) -> dict[str, Any]:
    ds_id = job_dataset(ctx)
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


@routes.get("dataset/{ds}/groundTruth/loc/{ref}/{ann}")
def ground_truth_loc(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    ref, ann = req.params["ref"], req.params["ann"]
    found = req.store.annotations.by_annotation_id(item_by_ref(req, ds.id, ref).id, ann)
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


@routes.job(DELETE_ANNOTATIONS_JOB)
def run_delete_annotations(ctx: JobContext) -> dict[str, Any]:
    ds_id = job_dataset(ctx)
    refs: list[str] = ctx.params["reference_ids"]
    ctx.set_total(1)
    items_touched = ctx.store.items.count(ds_id) if not refs else 0
    deleted, missing = ctx.store.annotations.delete_ground_truth(ds_id, refs)
    items_touched = items_touched or len(refs) - len(missing)
    for ref in missing:
        ctx.error(error_text({"reference_id": ref}, f"Item with id {ref} doesn't exist."))
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
    return {"tracks": req.store.tracks.in_dataset(ds.id)}


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
    if not req.store.tracks.update(ds.id, ref, metadata, overwrite):
        raise ApiError(404, f"Track {ref} not found in dataset {ds.id}")
    return {}


@routes.delete("dataset/{ds}/tracks")
def delete_tracks(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    refs = _string_list(req.json_object().get("track_reference_ids"), "track_reference_ids")
    deleted = req.store.tracks.delete(ds.id, refs)
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
    existing = req.store.taxonomies.type_of(ds.id, name)
    if update and existing is not None and existing != kind:
        raise ApiError(400, f"Taxonomy {name} is of type {existing}; its type cannot change")
    status = req.store.taxonomies.add(ds.id, name, kind, labels, update)
    return {"dataset_id": ds.id, "taxonomy_name": name, "status": status}


@routes.delete("dataset/{ds}/taxonomy/{name}")
def delete_taxonomy(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    name = req.params["name"]
    if not req.store.taxonomies.delete(ds.id, name):
        raise ApiError(404, f"Taxonomy {name} not found in dataset {ds.id}")
    return {"dataset_id": ds.id, "taxonomy_name": name, "status": "Taxonomy successfully deleted"}
