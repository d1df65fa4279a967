"""Dataset item routes: append (JSON, multipart, signed-URL async), reads, paging, metadata."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.datastructures import UploadFile

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import JobContext, job_object
from nucleus_emulator.routes._common import (
    job_dataset,
    job_error,
    job_ndjson_lines,
    signed_upload_blob,
    update_flag,
)
from nucleus_emulator.routes._lookups import item_at_index, item_by_id, item_by_ref
from nucleus_emulator.routes._paging import encode_page_token, page_size, page_start
from nucleus_emulator.store import Store
from nucleus_emulator.store.annotations import ANNOTATION_KINDS, group_by_kind
from nucleus_emulator.store.datasets import DatasetRow
from nucleus_emulator.store.items import AppendCounts, ItemInput, ItemRow

routes = RouteGroup()

UPLOAD_ITEMS_JOB = "uploadDatasetItems"
METADATA_JOB = "metadataUpdate"
#: Items per transaction (and per progress step) when a job ingests NDJSON.
JOB_CHUNK = 1000
#: Internal key carrying the stored image of a multipart item through an async job.
_BLOB_KEY = "__emulator_blob__"

# -- validation ---------------------------------------------------------------------------


def parse_item(payload: Any, blob: str | None = None) -> ItemInput | str:
    """An `ItemInput`, or the reason the payload is not a valid item."""
    if not isinstance(payload, dict):
        return "Item payload must be a JSON object"
    ref = payload.get("reference_id")
    if not isinstance(ref, str) or not ref:
        return "Item is missing a reference_id"
    image_url = payload.get("image_url")
    pointcloud_url = payload.get("pointcloud_url")
    if image_url is not None and not isinstance(image_url, str):
        return f"Item {ref}: image_url must be a string"
    if pointcloud_url is not None and not isinstance(pointcloud_url, str):
        return f"Item {ref}: pointcloud_url must be a string"
    if not image_url and not pointcloud_url:
        return f"Item {ref}: an image_url or pointcloud_url is required"
    metadata = payload.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return f"Item {ref}: metadata must be an object"
    dims: dict[str, int | None] = {}
    for dim in ("width", "height"):
        value = payload.get(dim)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return f"Item {ref}: {dim} must be an integer"
        dims[dim] = value
    return ItemInput(
        reference_id=ref,
        image_url=image_url or None,
        pointcloud_url=pointcloud_url or None,
        metadata=metadata,
        width=dims["width"],
        height=dims["height"],
        embedding_info=payload.get("embedding_info"),
        blob=blob if blob is not None else payload.get(_BLOB_KEY),
    )


def _require_item_dataset(ds: DatasetRow) -> None:
    if ds.is_scene:
        raise ApiError(
            400,
            f"Dataset {ds.id} is a scene dataset: append scenes, not dataset items",
        )


def _ingest(
    store: Store, ds_id: str, payloads: Sequence[tuple[Any, bool]]
) -> tuple[AppendCounts, list[tuple[Any, str]]]:
    """Validate and store `(payload, update)` pairs; returns counts and (payload, error)s."""
    counts = AppendCounts()
    failures: list[tuple[Any, str]] = []
    groups: dict[bool, list[ItemInput]] = {False: [], True: []}
    for payload, update in payloads:
        parsed = parse_item(payload)
        if isinstance(parsed, str):
            failures.append((payload, parsed))
        else:
            groups[update].append(parsed)
    for update, items in groups.items():
        if items:
            result = store.items.append(ds_id, items, update=update)
            counts.new_items += result.new_items
            counts.updated_items += result.updated_items
            counts.ignored_items += result.ignored_items
    return counts, failures


def _upload_response(
    ds_id: str, counts: AppendCounts, failures: list[tuple[Any, str]]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dataset_id": ds_id,
        "new_items": counts.new_items,
        "updated_items": counts.updated_items,
        "ignored_items": counts.ignored_items,
        "upload_errors": len(failures),
    }
    if failures:
        body["error_payload"] = [payload for payload, _ in failures]
    return body


# -- append ------------------------------------------------------------------------------


@routes.post("dataset/{ds}/append")
def append(req: ApiRequest) -> Any:
    ds = req.owned_dataset()
    _require_item_dataset(ds)
    asynchronous = req.query_flag("async")
    if req.form is not None:
        payloads = _multipart_payloads(req, ds)
        if asynchronous:
            return _start_upload_job(req, ds, payloads)
        counts, failures = _ingest(req.store, ds.id, payloads)
        return _upload_response(ds.id, counts, failures)
    body = req.json_object()
    update = update_flag(body.get("update"))
    if asynchronous:
        return _start_signed_url_job(req, ds, body, update)
    items = body.get("items")
    if not isinstance(items, list):
        raise ApiError(400, "items must be a list of dataset items")
    counts, failures = _ingest(req.store, ds.id, [(p, update) for p in items])
    return _upload_response(ds.id, counts, failures)


def _multipart_payloads(req: ApiRequest, ds: DatasetRow) -> list[tuple[Any, bool]]:
    """Pair the i-th `image` part with the i-th entry of the `items` JSON part."""
    assert req.form is not None
    items_parts = [v for k, v in req.form.multi_items() if k == "items"]
    images = [v for k, v in req.form.multi_items() if k == "image"]
    if len(items_parts) != 1:
        raise ApiError(400, "Multipart append needs exactly one 'items' part")
    raw = items_parts[0]
    text = raw.file.read().decode("utf-8", "replace") if isinstance(raw, UploadFile) else raw
    try:
        entries = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, f"Malformed JSON in the 'items' part: {exc}") from None
    if not isinstance(entries, list):
        raise ApiError(400, "The 'items' part must be a JSON array")
    if any(not isinstance(image, UploadFile) for image in images):
        raise ApiError(400, "Every 'image' part must be a file")
    if len(images) != len(entries):
        raise ApiError(
            400, f"Got {len(entries)} items but {len(images)} image files; they pair by position"
        )
    payloads: list[tuple[Any, bool]] = []
    for entry, image in zip(entries, images, strict=True):
        assert isinstance(image, UploadFile)
        update = False
        if isinstance(entry, dict):
            entry = dict(entry)
            update = update_flag(entry.pop("update", None))
            location = entry.get("image_url")
            ext = os.path.splitext(location)[1] if isinstance(location, str) else ""
            key = req.state.blobs.new_key(f"images/{ds.id}", ext)
            req.state.blobs.put(key, image.file.read())
            entry[_BLOB_KEY] = key
        payloads.append((entry, update))
    return payloads


def _start_upload_job(
    req: ApiRequest, ds: DatasetRow, payloads: Sequence[tuple[Any, bool]]
) -> dict[str, Any]:
    # 0.22 clients post local files to `append?async=1` and expect a job object back.
    lines = "".join(json.dumps(p) + "\n" for p, _ in payloads)
    key = req.state.blobs.put(req.state.blobs.new_key("jobs", ".ndjson"), lines.encode())
    update = any(u for _, u in payloads)
    job = req.state.jobs.start(
        req.key, UPLOAD_ITEMS_JOB, dataset_id=ds.id, params={"ndjson": key, "update": update}
    )
    return job_object(job)


def _start_signed_url_job(
    req: ApiRequest, ds: DatasetRow, body: dict[str, Any], update: bool
) -> dict[str, Any]:
    blob = signed_upload_blob(req, ds.id, body, "append")
    job = req.state.jobs.start(
        req.key, UPLOAD_ITEMS_JOB, dataset_id=ds.id, params={"ndjson": blob, "update": update}
    )
    return job_object(job)


@routes.job(UPLOAD_ITEMS_JOB)
def run_upload_items(ctx: JobContext) -> dict[str, Any]:
    ds_id = job_dataset(ctx)
    update = bool(ctx.params.get("update"))
    lines = job_ndjson_lines(ctx)
    ctx.set_total(len(lines))
    totals = AppendCounts()
    errored = 0
    for start in range(0, len(lines), JOB_CHUNK):
        chunk = lines[start : start + JOB_CHUNK]
        payloads: list[tuple[Any, bool]] = []
        for line in chunk:
            try:
                payloads.append((json.loads(line), update))
            except ValueError as exc:
                errored += 1
                ctx.error(job_error({"line": line}, f"Malformed JSON line: {exc}"))
        counts, failures = _ingest(ctx.store, ds_id, payloads)
        totals.new_items += counts.new_items
        totals.updated_items += counts.updated_items
        totals.ignored_items += counts.ignored_items
        for payload, reason in failures:
            errored += 1
            ctx.error(job_error({"item": _public_payload(payload)}, reason))
        ctx.advance(len(chunk))
    return {
        "dataset_item_upload": {
            "datasetId": ds_id,
            "total": len(lines),
            "processed": totals.new_items + totals.updated_items,
            "new": totals.new_items,
            "updated": totals.updated_items,
            "ignored": totals.ignored_items,
            "errored": errored,
        }
    }


def _public_payload(payload: Any) -> Any:
    if isinstance(payload, dict) and _BLOB_KEY in payload:
        return {k: v for k, v in payload.items() if k != _BLOB_KEY}
    return payload


# -- reads -------------------------------------------------------------------------------


def item_with_annotations(store: Store, item: ItemRow) -> dict[str, Any]:
    """`{"item", "annotations"}` with the item's ground truth; empty types are omitted."""
    grouped = group_by_kind(store.annotations.units_of_item(item.id), ANNOTATION_KINDS)
    annotations = {kind: entries for kind, entries in grouped.items() if entries}
    return {"item": item.to_json(), "annotations": annotations}


@routes.get("dataset/{ds}/refloc/{ref}")
def refloc(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    return item_with_annotations(req.store, item_by_ref(req, ds.id, req.params["ref"]))


@routes.get("dataset/{ds}/iloc/{i}")
def iloc(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    return item_with_annotations(req.store, item_at_index(req, ds.id))


@routes.get("dataset/{ds}/loc/{item_id}")
def loc(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    return item_with_annotations(req.store, item_by_id(req, ds.id, req.params["item_id"]))


@routes.delete("dataset/{ds}/refloc/{ref}")
def delete_item(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    ref = req.params["ref"]
    if not req.store.items.delete(ds.id, ref):
        raise ApiError(404, f"Item with reference id {ref} not found in dataset {ds.id}")
    return {}


# -- paging ------------------------------------------------------------------------------


@routes.post("dataset/{ds}/itemsPage")
def items_page(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    size = page_size(body)
    after = page_start(body, ds.id)
    rows = req.store.items.page(ds.id, after, size + 1)
    page = rows[:size]
    next_token = encode_page_token(ds.id, page[-1].seq) if len(rows) > size else None
    return {"items": [item.to_json() for item in page], "nextPageToken": next_token}


# -- metadata ----------------------------------------------------------------------------


def _metadata_entries(body: dict[str, Any]) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    level = body.get("level", "item")
    if level not in ("item", "scene"):
        raise ApiError(400, "level must be 'item' or 'scene'")
    entries = body.get("metadata")
    if not isinstance(entries, list):
        raise ApiError(400, "metadata must be a list of {reference_id, metadata}")
    parsed: list[tuple[str, dict[str, Any]]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ApiError(400, "Each metadata entry must be an object")
        ref = entry.get("reference_id")
        meta = entry.get("metadata")
        if not isinstance(ref, str) or not isinstance(meta, dict):
            raise ApiError(400, "Each metadata entry needs a reference_id and a metadata object")
        meta = dict(meta)
        if "camera_params" in entry and "camera_params" not in meta:
            meta["camera_params"] = entry["camera_params"]
        parsed.append((ref, meta))
    return level, parsed


def _apply_metadata(
    store: Store, ds_id: str, level: str, entries: Iterable[tuple[str, dict[str, Any]]]
) -> tuple[list[str], list[str]]:
    """Merge metadata; returns (updated refs, error strings)."""
    entries = list(entries)
    if level == "scene":
        updated, missing = store.scenes.merge_metadata(ds_id, entries)
        noun = "Scene"
    else:
        updated, missing = store.items.merge_metadata(ds_id, entries)
        noun = "Item"
    errors = [
        job_error({"referenceId": ref}, f"{noun} with id {ref} doesn't exist.") for ref in missing
    ]
    return updated, errors


@routes.post("dataset/{ds}/metadata")
def update_metadata(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    level, entries = _metadata_entries(req.json_object())
    if req.query_flag("async"):
        job = req.state.jobs.start(
            req.key,
            METADATA_JOB,
            dataset_id=ds.id,
            params={"level": level, "metadata": [[ref, meta] for ref, meta in entries]},
        )
        return job_object(job)
    updated, errors = _apply_metadata(req.store, ds.id, level, entries)
    return {"dataset_id": ds.id, "level": level, "updated_count": len(updated), "errors": errors}


@routes.job(METADATA_JOB)
def run_metadata_update(ctx: JobContext) -> dict[str, Any]:
    ds_id = job_dataset(ctx)
    entries = [(ref, meta) for ref, meta in ctx.params["metadata"]]
    ctx.set_total(len(entries))
    updated_total = 0
    for start in range(0, len(entries), JOB_CHUNK):
        chunk = entries[start : start + JOB_CHUNK]
        updated, errors = _apply_metadata(ctx.store, ds_id, ctx.params["level"], chunk)
        updated_total += len(updated)
        for error in errors:
            ctx.error(error)
        ctx.advance(len(chunk))
    return {
        "metadata_update": {
            "datasetId": ds_id,
            "total": len(entries),
            "processed": updated_total,
            "errored": len(entries) - updated_total,
        }
    }
