"""Signed-URL uploads: issue a URL pointing back at the emulator and accept the NDJSON PUT."""

from __future__ import annotations

from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.blobs import BlobStore
from nucleus_emulator.routes._common import UPLOAD_PATH

routes = RouteGroup()


@routes.get("dataset/{ds}/signedUrl/{request_id}")
def signed_url(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    request_id = req.params["request_id"]
    if not BlobStore.is_valid_segment(request_id):
        raise ApiError(400, f"Invalid request id: {request_id}")
    req.store.uploads.create(request_id, req.key, ds.id)
    return {"signed_url": f"{req.base_url}{UPLOAD_PATH}/{request_id}"}


@routes.put(UPLOAD_PATH + "/{request_id}", auth=False)
def put_upload(req: ApiRequest) -> dict[str, Any]:
    request_id = req.params["request_id"]
    upload = req.store.uploads.get(request_id)
    if upload is None:
        raise ApiError(404, f"Unknown signed URL {request_id}")
    key = req.state.blobs.put(f"uploads/{request_id}.ndjson", req.body)
    req.store.uploads.set_blob(request_id, key)
    return {}
