"""Dataset item routes: append (JSON, multipart, signed-URL async), reads, paging, metadata."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from starlette.datastructures import UploadFile

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import JobContext, JobFailed, job_body, job_object
from nucleus_emulator.store import AppendCounts, DatasetRow, ItemInput, ItemRow, Store

routes = RouteGroup()

UPLOAD_ITEMS_JOB = "uploadDatasetItems"
METADATA_JOB = "metadataUpdate"
#: Items per transaction (and per progress step) when a job ingests NDJSON.
JOB_CHUNK = 1000
#: Internal key carrying the stored image of a multipart item through an async job.
_BLOB_KEY = "__emulator_blob__"

#: Readers of annotations for `refloc`/`iloc`/`loc`: each returns `{type: [annotation JSON]}`.
AnnotationReader = Callable[[Store, ItemRow], dict[str, list[Any]]]
ANNOTATION_READERS: list[AnnotationReader] = []


def register_annotation_reader(reader: AnnotationReader) -> AnnotationReader:
    """Let another route family (annotations, predictions) fill item reads."""
    ANNOTATION_READERS.append(reader)
    return reader


#: Merges scene-level metadata: `(store, ds_id, entries) -> (updated refs, missing refs)`.
SceneMetadataMerger = Callable[
    [Store, str, Iterable[tuple[str, dict[str, Any]]]], tuple[list[str], list[str]]
]
SCENE_METADATA_MERGERS: list[SceneMetadataMerger] = []


def register_scene_metadata_merger(merger: SceneMetadataMerger) -> SceneMetadataMerger:
    """Let the scene family apply `"level": "scene"` metadata updates (routes/scenes.py)."""
    SCENE_METADATA_MERGERS.append(merger)
    return merger


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
            result = store.append_items(ds_id, items, update=update)
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


def _update_flag(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiError(400, "update must be a boolean")
    return value


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
    update = _update_flag(body.get("update"))
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
            update = _update_flag(entry.pop("update", None))
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
    request_id = body.get("requestId")
    if not isinstance(request_id, str) or not request_id:
        raise ApiError(400, "requestId is required for an asynchronous append")
    upload = req.store.get_upload(request_id)
    if upload is None or upload.owner != req.key or upload.dataset_id != ds.id:
        raise ApiError(400, f"No upload found for requestId {request_id}")
    if upload.blob is None:
        raise ApiError(400, f"Nothing was uploaded to the signed URL of requestId {request_id}")
    job = req.state.jobs.start(
        req.key,
        UPLOAD_ITEMS_JOB,
        dataset_id=ds.id,
        params={"ndjson": upload.blob, "update": update},
    )
    return job_object(job)


@job_body(UPLOAD_ITEMS_JOB)
def run_upload_items(ctx: JobContext) -> dict[str, Any]:
    ds_id = ctx.job.dataset_id or ""
    ds = ctx.store.get_dataset(ds_id)
    if ds is None:
        raise JobFailed(f"Dataset {ds_id} not found")
    update = bool(ctx.params.get("update"))
    lines = [ln for ln in ctx.blobs.get(ctx.params["ndjson"]).decode("utf-8").splitlines() if ln]
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
                ctx.error(_error_text({"line": line}, f"Malformed JSON line: {exc}"))
        counts, failures = _ingest(ctx.store, ds_id, payloads)
        totals.new_items += counts.new_items
        totals.updated_items += counts.updated_items
        totals.ignored_items += counts.ignored_items
        for payload, reason in failures:
            errored += 1
            ctx.error(_error_text({"item": _public_payload(payload)}, reason))
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


def _error_text(unit: dict[str, Any], message: str) -> str:
    return json.dumps({**unit, "error": message}, separators=(",", ":"))


# -- reads -------------------------------------------------------------------------------


def item_with_annotations(store: Store, item: ItemRow) -> dict[str, Any]:
    """`{"item", "annotations"}`; annotation types without entries are omitted."""
    annotations: dict[str, list[Any]] = {}
    for reader in ANNOTATION_READERS:
        for kind, entries in reader(store, item).items():
            if entries:
                annotations.setdefault(kind, []).extend(entries)
    return {"item": item.to_json(), "annotations": annotations}


@routes.get("dataset/{ds}/refloc/{ref}")
def refloc(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    ref = req.params["ref"]
    item = req.store.item_by_ref(ds.id, ref)
    if item is None:
        raise ApiError(404, f"Item with reference id {ref} not found in dataset {ds.id}")
    return item_with_annotations(req.store, item)


@routes.get("dataset/{ds}/iloc/{i}")
def iloc(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    try:
        index = int(req.params["i"])
    except ValueError:
        raise ApiError(400, f"Index must be an integer, got {req.params['i']}") from None
    item = req.store.item_by_index(ds.id, index) if index >= 0 else None
    if item is None:
        raise ApiError(404, f"No item at index {index} in dataset {ds.id}")
    return item_with_annotations(req.store, item)


@routes.get("dataset/{ds}/loc/{item_id}")
def loc(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    item_id = req.params["item_id"]
    item = req.store.item_by_id(ds.id, item_id)
    if item is None:
        raise ApiError(404, f"Item {item_id} not found in dataset {ds.id}")
    return item_with_annotations(req.store, item)


@routes.delete("dataset/{ds}/refloc/{ref}")
def delete_item(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    ref = req.params["ref"]
    if not req.store.delete_item(ds.id, ref):
        raise ApiError(404, f"Item with reference id {ref} not found in dataset {ds.id}")
    return {}


# -- paging ------------------------------------------------------------------------------


def encode_page_token(ds_id: str, after_seq: int) -> str:
    raw = json.dumps({"d": ds_id, "s": after_seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str, ds_id: str) -> int:
    """The insertion position a token resumes after; a foreign or garbled token is a 400."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["d"] == ds_id and isinstance(data["s"], int):
            return int(data["s"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise ApiError(400, "Invalid pageToken")


def page_size(body: dict[str, Any], default: int = 100000) -> int:
    size = body.get("pageSize", default)
    if size is None:
        size = default
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ApiError(400, "pageSize must be a positive integer")
    return size


@routes.post("dataset/{ds}/itemsPage")
def items_page(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    size = page_size(body)
    token = body.get("pageToken")
    if token is not None and not isinstance(token, str):
        raise ApiError(400, "pageToken must be a string or null")
    after = decode_page_token(token, ds.id) if token else 0
    rows = req.store.items_page(ds.id, after, size + 1)
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
        updated: list[str] = []
        missing = [ref for ref, _ in entries]
        if SCENE_METADATA_MERGERS:
            updated, missing = SCENE_METADATA_MERGERS[-1](store, ds_id, entries)
        noun = "Scene"
    else:
        updated, missing = store.merge_item_metadata(ds_id, entries)
        noun = "Item"
    errors = [
        _error_text({"referenceId": ref}, f"{noun} with id {ref} doesn't exist.") for ref in missing
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


@job_body(METADATA_JOB)
def run_metadata_update(ctx: JobContext) -> dict[str, Any]:
    ds_id = ctx.job.dataset_id or ""
    if ctx.store.get_dataset(ds_id) is None:
        raise JobFailed(f"Dataset {ds_id} not found")
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
