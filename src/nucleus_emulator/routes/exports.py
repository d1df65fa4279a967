"""Export routes: `exportForTraining` (all rows) and the paginated `exportForTrainingPage`."""

from __future__ import annotations

from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.routes._paging import encode_page_token, page_size, page_start
from nucleus_emulator.store.annotations import StoredUnit, export_row, most_recent_task_only

routes = RouteGroup()

#: The client's default page size for `items_and_annotation_generator`.
EXPORT_PAGE_SIZE = 10000


def _optional_bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ApiError(400, f"{key} must be a boolean")
    return value


@routes.get("dataset/{ds}/exportForTraining")
def export_for_training(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    grouped: dict[str, list[StoredUnit]] = {}
    for unit in req.store.annotations.units_of_dataset(ds.id):
        grouped.setdefault(unit.item_id or "", []).append(unit)
    return {
        "exportedRows": [
            export_row(item.to_json(), grouped.get(item.id, []))
            for item in req.store.items.in_dataset(ds.id)
        ]
    }


@routes.post("dataset/{ds}/exportForTrainingPage")
def export_for_training_page(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    size = page_size(body, EXPORT_PAGE_SIZE)
    after = page_start(body, ds.id)
    query = body.get("query")
    if query is not None and not isinstance(query, str):
        raise ApiError(400, "query must be a string or null")
    if query and query.strip():
        raise ApiError(400, "The emulator does not evaluate Nucleus queries; send query=null")
    _optional_bool(body, "chip", False)  # mirrored images: the emulator only has originals
    most_recent = _optional_bool(body, "onlyMostRecentTask", True)
    rows = req.store.items.page(ds.id, after, size + 1)
    page = rows[:size]
    units = req.store.annotations.units_of_items([item.id for item in page])
    data = []
    for item in page:
        item_units = units[item.id]
        if most_recent:
            item_units = most_recent_task_only(item_units)
        data.append(export_row(item.to_json(), item_units))
    next_token = encode_page_token(ds.id, page[-1].seq) if len(rows) > size else None
    return {"data": data, "nextPageToken": next_token}
