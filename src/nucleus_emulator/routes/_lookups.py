"""Rows named by route parameters that the calling key may see (404 otherwise)."""

from __future__ import annotations

from nucleus_emulator.app import ApiError, ApiRequest
from nucleus_emulator.store.items import ItemRow
from nucleus_emulator.store.model_runs import RunRow
from nucleus_emulator.store.models import ModelRow
from nucleus_emulator.store.slices import SliceRow


def owned_slice(req: ApiRequest, slice_id: str | None = None) -> SliceRow:
    """The slice `{slc}` (or `slice_id`) if this key owns its dataset."""
    slc = slice_id if slice_id is not None else req.params["slc"]
    row = req.store.slices.get(slc)
    ds = req.store.datasets.get(row.dataset_id) if row is not None else None
    if row is None or ds is None or ds.owner != req.key:
        raise ApiError(404, f"Slice {slc} not found")
    return row


def owned_model(req: ApiRequest, model_id: str) -> ModelRow:
    """The model `model_id` if this key owns it."""
    model = req.store.models.get(model_id)
    if model is None or model.owner != req.key:
        raise ApiError(404, f"Model {model_id} not found")
    return model


def owned_run(req: ApiRequest) -> RunRow:
    """The model run `{run}` if this key owns it."""
    run_id = req.params["run"]
    run = req.store.runs.get(run_id)
    if run is None or run.owner != req.key:
        raise ApiError(404, f"Model run {run_id} not found")
    return run


def item_by_ref(req: ApiRequest, ds_id: str, ref: str) -> ItemRow:
    """The item with reference id `ref` in the dataset."""
    item = req.store.items.by_ref(ds_id, ref)
    if item is None:
        raise ApiError(404, f"Item with reference id {ref} not found in dataset {ds_id}")
    return item


def item_by_id(req: ApiRequest, ds_id: str, item_id: str) -> ItemRow:
    """The item with id `item_id` in the dataset."""
    item = req.store.items.by_id(ds_id, item_id)
    if item is None:
        raise ApiError(404, f"Item {item_id} not found in dataset {ds_id}")
    return item


def item_at_index(req: ApiRequest, ds_id: str) -> ItemRow:
    """The item at insertion position `{i}` of the dataset (not an integer: 400)."""
    try:
        index = int(req.params["i"])
    except ValueError:
        raise ApiError(400, f"Index must be an integer, got {req.params['i']}") from None
    item = req.store.items.at_index(ds_id, index) if index >= 0 else None
    if item is None:
        raise ApiError(404, f"No item at index {index} in dataset {ds_id}")
    return item
