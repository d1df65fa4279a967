"""Model routes: create, list, read (by model or run id), delete, tags, trained slice ids."""

from __future__ import annotations

from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.routes._lookups import owned_model

routes = RouteGroup()


def _strings(body: dict[str, Any], key: str, *, required: bool = False) -> list[str]:
    value = body.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        raise ApiError(400, f"{key} must be a list of strings")
    return list(value)


@routes.post("models/add")
def add_model(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    name, ref = body.get("name"), body.get("reference_id")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "name must be a non-empty string")
    if not isinstance(ref, str) or not ref:
        raise ApiError(400, "reference_id must be a non-empty string")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ApiError(400, "metadata must be an object")
    bundle_name = body.get("bundle_name")
    if bundle_name is not None and not isinstance(bundle_name, str):
        raise ApiError(400, "bundle_name must be a string")
    model = req.store.models.create(
        req.key,
        name,
        ref,
        metadata=metadata or {},
        bundle_name=bundle_name,
        tags=_strings(body, "tags"),
        trained_slice_ids=_strings(body, "trained_slice_ids"),
    )
    return {"model_id": model.id}


@routes.get("models/")
def list_models(req: ApiRequest) -> dict[str, Any]:
    return {"models": [m.to_json() for m in req.store.models.owned_by(req.key)]}


@routes.get("model/{id}")
def get_model(req: ApiRequest) -> dict[str, Any]:
    wanted = req.params["id"]
    model = req.store.models.get(wanted)
    if model is None:
        run = req.store.runs.get(wanted)  # a model run id resolves to its model
        model = None if run is None else req.store.models.get(run.model_id)
    if model is None or model.owner != req.key:
        raise ApiError(404, f"Model {wanted} not found")
    return model.to_json()


@routes.delete("model/{id}")
def delete_model(req: ApiRequest) -> dict[str, Any]:
    model = owned_model(req, req.params["id"])
    req.store.models.delete(model.id)
    return {"msg": "Model deletion running in an async job"}


@routes.post("model/{model}/tag")
def add_tags(req: ApiRequest) -> dict[str, Any]:
    model = owned_model(req, req.params["model"])
    tags = list(dict.fromkeys([*model.tags, *_strings(req.json_object(), "tags", required=True)]))
    req.store.models.set_tags(model.id, tags)
    return {"model_id": model.id, "tags": tags}


@routes.delete("model/{model}/tag")
def remove_tags(req: ApiRequest) -> dict[str, Any]:
    model = owned_model(req, req.params["model"])
    remove = set(_strings(req.json_object(), "tags", required=True))
    kept = [t for t in model.tags if t not in remove]
    deleted = len(model.tags) - len(kept)
    if deleted == 0:
        raise ApiError(400, "Deleted 0 tags from model. The specified tag(s) were not found.")
    req.store.models.set_tags(model.id, kept)
    return {"model_id": model.id, "tags": kept, "msg": f"Deleted {deleted} tags from model."}


@routes.post("model/{model}/trainedSliceId")
def add_trained_slice_ids(req: ApiRequest) -> dict[str, Any]:
    model = owned_model(req, req.params["model"])
    added = _strings(req.json_object(), "trained_slice_ids", required=True)
    ids = list(dict.fromkeys([*model.trained_slice_ids, *added]))
    req.store.models.set_trained_slice_ids(model.id, ids)
    return {"model_id": model.id, "trained_slice_ids": ids}


@routes.delete("model/{model}/trainedSliceId")
def remove_trained_slice_ids(req: ApiRequest) -> dict[str, Any]:
    model = owned_model(req, req.params["model"])
    remove = set(_strings(req.json_object(), "trained_slice_ids", required=True))
    ids = [s for s in model.trained_slice_ids if s not in remove]
    req.store.models.set_trained_slice_ids(model.id, ids)
    return {"model_id": model.id, "trained_slice_ids": ids}
