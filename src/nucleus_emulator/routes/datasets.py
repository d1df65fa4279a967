"""Dataset routes: create, read properties, list, delete."""

from __future__ import annotations

from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.store.datasets import DatasetRow

routes = RouteGroup()


def _dataset_info(req: ApiRequest, ds: DatasetRow) -> dict[str, Any]:
    """DatasetInfo as `GET dataset/{ds}/info` answers it."""
    return {
        "dataset_id": ds.id,
        "name": ds.name,
        "length": req.store.items.count(ds.id),
        "model_run_ids": req.store.runs.ids_of_dataset(ds.id),
        "slice_ids": req.store.slices.ids_of_dataset(ds.id),
        "annotation_metadata_schema": ds.annotation_metadata_schema,
        "item_metadata_schema": ds.item_metadata_schema,
        "tags": req.store.dataset_tags.of(ds.id),
    }


@routes.post("dataset/create")
def create_dataset(req: ApiRequest) -> dict[str, Any]:
    body = req.json_object()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "Dataset name must be a non-empty string")
    for flag in ("is_scene", "use_privacy_mode"):
        if body.get(flag) is not None and not isinstance(body.get(flag), bool):
            raise ApiError(400, f"{flag} must be a boolean")
    for schema in ("annotation_metadata_schema", "item_metadata_schema"):
        if body.get(schema) is not None and not isinstance(body.get(schema), dict):
            raise ApiError(400, f"{schema} must be an object or null")
    ds = req.store.datasets.create(
        req.key,
        name,
        is_scene=bool(body.get("is_scene")),
        use_privacy_mode=bool(body.get("use_privacy_mode")),
        annotation_metadata_schema=body.get("annotation_metadata_schema"),
        item_metadata_schema=body.get("item_metadata_schema"),
    )
    return {"dataset_id": ds.id, "name": ds.name}


@routes.get("dataset/details")
def dataset_details(req: ApiRequest) -> list[dict[str, Any]]:
    return [
        {"id": ds.id, "name": ds.name, "is_public": False}
        for ds in req.store.datasets.owned_by(req.key)
    ]


@routes.get("dataset/")
def list_datasets(req: ApiRequest) -> dict[str, Any]:
    datasets = req.store.datasets.owned_by(req.key)
    return {
        "dataset_ids": [ds.id for ds in datasets],
        "dataset_names": [ds.name for ds in datasets],
    }


@routes.delete("dataset/{ds}")
def delete_dataset(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    req.store.datasets.delete(ds.id)
    return {"message": "Beginning dataset deletion..."}


@routes.get("dataset/{ds}/info")
def info(req: ApiRequest) -> dict[str, Any]:
    return _dataset_info(req, req.owned_dataset())


@routes.get("dataset/{ds}/name")
def name(req: ApiRequest) -> dict[str, Any]:
    return {"name": req.owned_dataset().name}


@routes.get("dataset/{ds}/is_scene")
def is_scene(req: ApiRequest) -> dict[str, Any]:
    return {"is_scene": req.owned_dataset().is_scene}


@routes.get("dataset/{ds}/use_privacy_mode")
def use_privacy_mode(req: ApiRequest) -> dict[str, Any]:
    return {"use_privacy_mode": req.owned_dataset().use_privacy_mode}


@routes.get("dataset/{ds}/size")
def size(req: ApiRequest) -> dict[str, Any]:
    return {"count": req.store.items.count(req.owned_dataset().id)}


@routes.get("dataset/{ds}/datasetItems")
def dataset_items(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    return {"dataset_items": [item.to_json() for item in req.store.items.in_dataset(ds.id)]}


@routes.get("dataset/{ds}/model_runs")
def model_runs(req: ApiRequest) -> list[Any]:
    req.owned_dataset()
    return []


# `GET dataset/{ds}/slices` lives in routes/slices.py.
