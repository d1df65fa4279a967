"""Upload plumbing the route families share: flags, signed-URL blobs, job inputs, error texts.

Item, scene, annotation and prediction uploads all take an `update` flag, start their async
variants from NDJSON PUT to a signed URL (`/_upload/{request_id}`), and report per-unit job
errors as compact JSON objects with an `error` key.
"""

from __future__ import annotations

import json
from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest
from nucleus_emulator.jobs import JobContext, JobFailed

#: Where signed URLs point (outside `/v1/nucleus/`, like a storage bucket; no auth).
UPLOAD_PATH = "/_upload"


def update_flag(value: Any) -> bool:
    """A body's `update` (absent or null: False); anything but a boolean is a 400."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiError(400, "update must be a boolean")
    return value


def signed_upload_blob(req: ApiRequest, dataset_id: str, body: dict[str, Any], what: str) -> str:
    """The NDJSON blob PUT to the signed URL of the body's `requestId` (step 3 of 1.9).

    `what` names the upload in the 400 for a missing `requestId` ("append", "scene upload").
    """
    request_id = body.get("requestId")
    if not isinstance(request_id, str) or not request_id:
        raise ApiError(400, f"requestId is required for an asynchronous {what}")
    upload = req.store.uploads.get(request_id)
    if upload is None or upload.owner != req.key or upload.dataset_id != dataset_id:
        raise ApiError(400, f"No upload found for requestId {request_id}")
    if upload.blob is None:
        raise ApiError(400, f"Nothing was uploaded to the signed URL of requestId {request_id}")
    return upload.blob


def job_dataset(ctx: JobContext) -> str:
    """The id of the job's dataset; the job fails when the dataset is gone."""
    ds_id = ctx.job.dataset_id or ""
    if ctx.store.datasets.get(ds_id) is None:
        raise JobFailed(f"Dataset {ds_id} not found")
    return ds_id


def job_ndjson_lines(ctx: JobContext) -> list[str]:
    """The non-empty lines of the job's NDJSON blob (`params["ndjson"]`)."""
    text = ctx.blobs.get(ctx.params["ndjson"]).decode("utf-8")
    return [line for line in text.splitlines() if line]


def job_error(unit: dict[str, Any], message: str) -> str:
    """A per-unit job error: `unit` (ids, the line, …) plus `error`, as compact JSON."""
    return json.dumps({**unit, "error": message}, separators=(",", ":"))
