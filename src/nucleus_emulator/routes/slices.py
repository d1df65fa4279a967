"""Slice routes: create/build, list, read, append, delete, paging, exports, labeling hand-off."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import JobContext, JobFailed, job_object
from nucleus_emulator.routes._lookups import owned_model, owned_slice
from nucleus_emulator.routes._paging import encode_page_token, page_size, page_start
from nucleus_emulator.store import Store
from nucleus_emulator.store.annotations import export_row, labels_of
from nucleus_emulator.store.datasets import DatasetRow
from nucleus_emulator.store.embeddings import cosine
from nucleus_emulator.store.items import ItemRow
from nucleus_emulator.store.slices import DATASET_ITEM, SCENE, SLICE_TYPES, SliceRow

routes = RouteGroup()

BUILD_SLICE_JOB = "sliceQuery"
SEND_TO_LABELING_JOB = "sendToLabeling"
#: The service refuses more reference ids than this in one create/append request.
MAX_REFS_PER_REQUEST = 10000
SAMPLE_METHODS = ("Random", "Uniqueness")


# -- helpers -----------------------------------------------------------------------------


def _slice_summary(store: Store, row: SliceRow) -> dict[str, Any]:
    """Slice summary of `slice/` and `dataset/{ds}/slices` (reference 3.12)."""
    return {
        "id": row.id,
        "name": row.name,
        "dataset_id": row.dataset_id,
        "type": row.type,
        "created_at": row.created_at,
        "pending_job_count": store.jobs.running_on_slice(row.id),
        "description": row.description,
        "tags": row.tags,
    }


def _slice_info(store: Store, row: SliceRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "dataset_id": row.dataset_id,
        "created_at": row.created_at,
        "pending_job_count": store.jobs.running_on_slice(row.id),
        "type": row.type,
        "description": row.description,
        "slice_id": row.id,
        "tags": row.tags,
    }


def _string_list(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"{field} must be a list of strings")
    if len(value) > MAX_REFS_PER_REQUEST:
        raise ApiError(
            400, f"{field} has {len(value)} entries; at most {MAX_REFS_PER_REQUEST} per request"
        )
    return list(value)


def _missing_error(kind: str, missing: Sequence[str], ds_id: str) -> ApiError:
    shown = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
    return ApiError(400, f"{len(missing)} {kind} not found in dataset {ds_id}: {shown}")


def _resolve_refs(
    store: Store, ds: DatasetRow, refs: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """`({ref: item id}, {ref: scene id})`; scene refs count only in scene datasets.

    A reference id naming nothing in the dataset is a 400 listing the unknown ids.
    """
    scenes = store.scenes.ids_by_refs(ds.id, refs) if ds.is_scene else {}
    rest = [r for r in refs if r not in scenes]
    items = store.items.ids_by_refs(ds.id, rest)
    missing = list(dict.fromkeys(r for r in rest if r not in items))
    if missing:
        raise _missing_error("reference ids", missing, ds.id)
    # In request order (the slice keeps members in the order they were added).
    ordered = list(dict.fromkeys(refs))
    return (
        {r: items[r] for r in ordered if r in items},
        {r: scenes[r] for r in ordered if r in scenes},
    )


def _slice_type(item_ids: Sequence[str], scene_ids: Sequence[str]) -> str:
    if item_ids and scene_ids:
        raise ApiError(400, "A slice holds dataset items or scenes, not both")
    return SCENE if scene_ids else DATASET_ITEM


# -- create / build ----------------------------------------------------------------------


@routes.post("dataset/{ds}/create_slice")
def create(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "Slice name must be a non-empty string")
    if body.get("object_ids"):
        raise ApiError(
            400,
            "Object slices (annotation or prediction ids) are not supported by the emulator",
        )
    item_ids: list[str] = []
    scene_ids: list[str] = []
    if body.get("reference_ids"):
        items, scenes = _resolve_refs(
            req.store, ds, _string_list(body["reference_ids"], "reference_ids")
        )
        item_ids, scene_ids = list(items.values()), list(scenes.values())
    if body.get("dataset_item_ids"):
        ids = _string_list(body["dataset_item_ids"], "dataset_item_ids")
        found = req.store.items.existing_ids(ds.id, ids)
        if missing := [i for i in ids if i not in found]:
            raise _missing_error("dataset item ids", missing, ds.id)
        item_ids += ids
    if body.get("scene_ids"):
        ids = _string_list(body["scene_ids"], "scene_ids")
        found = req.store.scenes.existing_ids(ds.id, ids)
        if missing := [i for i in ids if i not in found]:
            raise _missing_error("scene ids", missing, ds.id)
        scene_ids += ids
    if not item_ids and not scene_ids and not body.get("allow_empty"):
        raise ApiError(400, "reference_ids must be a non-empty list (or pass allow_empty)")
    row = req.store.slices.create(
        ds.id,
        name,
        _slice_type(item_ids, scene_ids),
        item_ids=item_ids,
        scene_ids=scene_ids,
    )
    return {"slice_id": row.id}


@routes.post("dataset/{ds}/build_slice")
def build(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "Slice name must be a non-empty string")
    size = body.get("sampleSize")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ApiError(400, "sampleSize must be a positive integer")
    method = body.get("sampleMethod")
    if method not in SAMPLE_METHODS:
        raise ApiError(400, f"sampleMethod must be one of {', '.join(SAMPLE_METHODS)}")
    filters = body.get("filters") or {}
    if not isinstance(filters, dict):
        raise ApiError(400, "filters must be an object")
    params: dict[str, Any] = {"sample_size": size, "method": method, "seed": f"{ds.id}/{name}"}
    source = filters.get("sliceId")
    if source is not None:
        if not isinstance(source, str):
            raise ApiError(400, "filters.sliceId must be a string")
        if owned_slice(req, source).dataset_id != ds.id:
            raise ApiError(400, f"Slice {source} belongs to another dataset")
        params["source_slice_id"] = source
    autotag = filters.get("autotag")
    if autotag is not None:
        params["autotag"] = _autotag_filter(req, ds, autotag)
    row = req.store.slices.create(ds.id, name, DATASET_ITEM)
    params["slice_id"] = row.id
    job = req.state.jobs.start(req.key, BUILD_SLICE_JOB, dataset_id=ds.id, params=params)
    return {**job_object(job), "sliceId": row.id}


def _autotag_filter(req: ApiRequest, ds: DatasetRow, autotag: Any) -> dict[str, Any]:
    if not isinstance(autotag, dict) or not isinstance(autotag.get("autotagId"), str):
        raise ApiError(400, "filters.autotag needs an autotagId")
    bounds = autotag.get("range")
    if (
        not isinstance(bounds, list)
        or len(bounds) != 2
        or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
        or min(bounds) < -1
        or max(bounds) > 1
    ):
        raise ApiError(400, "filters.autotag.range must be two numbers within [-1, 1]")
    found = req.store.autotags.get(autotag["autotagId"])
    if found is None or found.dataset_id != ds.id:
        raise ApiError(404, f"Autotag {autotag['autotagId']} not found in dataset {ds.id}")
    return {"id": found.id, "range": [min(bounds), max(bounds)]}


@routes.job(BUILD_SLICE_JOB)
def run_build_slice(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    ds_id = ctx.job.dataset_id or ""
    if ctx.store.slices.get(params["slice_id"]) is None:
        raise JobFailed(f"Slice {params['slice_id']} was deleted before it was built")
    if params.get("source_slice_id"):
        pool = ctx.store.slices.member_items(params["source_slice_id"])
    else:
        pool = ctx.store.items.in_dataset(ds_id)
    if params.get("autotag"):
        lo, hi = params["autotag"]["range"]
        scored = {
            i for i, _, s in ctx.store.autotags.scores(params["autotag"]["id"]) if lo <= s <= hi
        }
        pool = [item for item in pool if item.id in scored]
    ctx.set_total(1)
    size = min(params["sample_size"], len(pool))
    used_embeddings = 0
    if params["method"] == "Random":
        chosen = random.Random(params["seed"]).sample(pool, size)
    else:
        chosen, used_embeddings = _uniqueness_sample(ctx.store, ds_id, pool, size)
    ctx.store.slices.add_members(params["slice_id"], item_ids=[i.id for i in chosen])
    ctx.advance()
    return {
        "slice_build": {
            "sliceId": params["slice_id"],
            "method": params["method"],
            "sampleSize": params["sample_size"],
            "poolSize": len(pool),
            "selected": len(chosen),
            "selectedByEmbedding": used_embeddings,
        }
    }


def _uniqueness_sample(
    store: Store, ds_id: str, pool: list[ItemRow], size: int
) -> tuple[list[ItemRow], int]:
    """Farthest-point sampling over stored embeddings, then distinct metadata for the rest.

    Items with a vector in the primary image index are sampled first: the one farthest from the
    centroid, then repeatedly the one whose nearest chosen neighbour is farthest (cosine
    distance). Remaining picks (items without vectors) go round-robin over groups of equal
    metadata, so duplicates come last. Deterministic for a given dataset state.
    """
    kind = store.indexes.primary_image_kind(ds_id)
    vectors = store.embeddings.vectors(ds_id, kind, [i.id for i in pool])
    with_vec = [item for item in pool if item.id in vectors]
    chosen: list[ItemRow] = []
    if with_vec and size:
        vecs = [vectors[item.id][1] for item in with_vec]
        dim = len(vecs[0])
        centroid = [sum(v[k] for v in vecs) / len(vecs) for k in range(dim)]
        nearest = [1.0 - cosine(v, centroid) for v in vecs]
        taken = [False] * len(vecs)
        for _ in range(min(size, len(vecs))):
            best = max((d, -i) for i, d in enumerate(nearest) if not taken[i])
            index = -best[1]
            taken[index] = True
            chosen.append(with_vec[index])
            for i, v in enumerate(vecs):
                if not taken[i]:
                    nearest[i] = min(nearest[i], 1.0 - cosine(v, vecs[index]))
    used = len(chosen)
    if len(chosen) < size:
        picked = {item.id for item in chosen}
        groups: dict[str, list[ItemRow]] = {}
        for item in pool:
            if item.id not in picked:
                key = json.dumps(item.metadata, sort_keys=True, default=str)
                groups.setdefault(key, []).append(item)
        queues = list(groups.values())
        depth = 0
        while len(chosen) < size:
            for queue in queues:
                if depth < len(queue) and len(chosen) < size:
                    chosen.append(queue[depth])
            depth += 1
    return chosen, used


# -- lists and reads ---------------------------------------------------------------------


def _normalise_type(value: str) -> str:
    text = value.strip()
    if text.startswith("SliceType."):
        text = text[len("SliceType.") :].lower()
    if text not in SLICE_TYPES:
        raise ApiError(400, f"Slice type {value} is not valid. Must be one of: {list(SLICE_TYPES)}")
    return text


@routes.get("dataset/{ds}/slices")
def dataset_slices(req: ApiRequest) -> list[dict[str, Any]]:
    ds = req.owned_dataset()
    name = req.query_value("name")
    kind = req.query_value("type")
    wanted = _normalise_type(kind) if kind else None
    return [
        _slice_summary(req.store, row)
        for row in req.store.slices.find(dataset_id=ds.id)
        if (name is None or row.name == name) and (wanted is None or row.type == wanted)
    ]


@routes.get("slice/")
def all_slices(req: ApiRequest) -> list[dict[str, Any]]:
    return [_slice_summary(req.store, row) for row in req.store.slices.find(owner=req.key)]


def _member_json(store: Store, row: SliceRow, after: int, limit: int) -> list[tuple[int, Any]]:
    if row.type == SCENE:
        out: list[tuple[int, Any]] = []
        for seq, scene_id in store.slices.scene_members_page(row.id, after, limit):
            scene = store.scenes.by_id(scene_id)
            if scene is not None:
                out.append((seq, scene.summary()))
        return out
    members = store.slices.item_members_page(row.id, after, limit)
    return [(seq, item.to_json()) for seq, item in members]


@routes.get("slice/{slc}")
def read_slice(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    members = _member_json(req.store, row, 0, 1 << 62)
    return {**_slice_info(req.store, row), "items": [m for _, m in members]}


@routes.get("slice/{slc}/info")
def info(req: ApiRequest) -> dict[str, Any]:
    return _slice_info(req.store, owned_slice(req))


@routes.post("slice/{slc}/itemsPage")
def items_page(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    body = req.json_object()
    size = page_size(body)
    after = page_start(body, row.id)
    members = _member_json(req.store, row, after, size + 1)
    page = members[:size]
    next_token = encode_page_token(row.id, page[-1][0]) if len(members) > size else None
    return {"items": [m for _, m in page], "nextPageToken": next_token}


@routes.post("slice/{slc}/append")
def append(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    body = req.json_object()
    dataset_id = body.get("dataset_id")
    if dataset_id is not None and dataset_id != row.dataset_id:
        raise ApiError(400, f"Slice {row.id} belongs to dataset {row.dataset_id}, not {dataset_id}")
    ds = req.owned_dataset(row.dataset_id)
    refs = body.get("reference_ids") or []
    refs = _string_list(refs, "reference_ids")
    items, scenes = _resolve_refs(req.store, ds, refs)
    if (row.type == SCENE and items) or (row.type != SCENE and scenes):
        raise ApiError(400, f"Slice {row.id} holds {row.type} members only")
    added = set(
        req.store.slices.add_members(
            row.id, item_ids=list(items.values()), scene_ids=list(scenes.values())
        )
    )
    new_refs = list(dict.fromkeys(r for r in refs if (items.get(r) or scenes.get(r)) in added))
    return {"slice_id": row.id, "new_items": new_refs}


@routes.delete("slice/{slc}")
def remove(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    req.store.slices.delete(row.id)
    return {}


@routes.post("slice/{slc}/tag")
def tag(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    tags = _string_list(req.json_object().get("slice_tags"), "slice_tags")
    merged = list(dict.fromkeys([*row.tags, *tags]))
    req.store.slices.set_tags(row.id, merged)
    return {"slice_id": row.id, "tags": merged}


# -- exports -----------------------------------------------------------------------------


#: `_export_rows` scope: ground truth, or the predictions of a run (None: the model has none).
GROUND_TRUTH_ROWS = "ground_truth"


def _export_rows(store: Store, items: Sequence[ItemRow], scope: str | None) -> list[Any]:
    """Export rows (every list key present) of ground truth or of one model run."""
    if scope is None or not items:
        return [export_row(item.to_json(), []) for item in items]
    run_id = None if scope == GROUND_TRUTH_ROWS else scope
    units = store.annotations.units_of_items([i.id for i in items], run_id)
    return [export_row(item.to_json(), units.get(item.id, [])) for item in items]


def _paged_export(req: ApiRequest, row: SliceRow, source: str | None) -> dict[str, Any]:
    """One page of export rows; ``source`` is ground truth or a model run's id."""
    body = req.json_object()
    size = page_size(body, 10000)
    scope = f"{row.id}/export"
    start = page_start(body, scope)
    items = req.store.slices.member_items(row.id)
    page = items[start : start + size]
    has_more = start + size < len(items)
    return {
        "data": _export_rows(req.store, page, source),
        "nextPageToken": encode_page_token(scope, start + size) if has_more else None,
    }


@routes.get("slice/{slc}/exportForTraining")
def export_for_training(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    items = req.store.slices.member_items(row.id)
    return {"exportedRows": _export_rows(req.store, items, GROUND_TRUTH_ROWS)}


@routes.post("slice/{slc}/exportForTrainingPage")
def export_for_training_page(req: ApiRequest) -> dict[str, Any]:
    return _paged_export(req, owned_slice(req), GROUND_TRUTH_ROWS)


def _model_run_id(req: ApiRequest, row: SliceRow) -> str | None:
    """The run holding the model's predictions on the slice's dataset (404 for foreign models)."""
    model = owned_model(req, req.params["model"])
    run = req.store.runs.first_for(row.dataset_id, model.id)
    return None if run is None else run.id


@routes.get("slice/{slc}/{model}/exportForTraining")
def export_predictions(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    run_id = _model_run_id(req, row)
    items = req.store.slices.member_items(row.id)
    return {"exportedRows": _export_rows(req.store, items, run_id)}


@routes.post("slice/{slc}/{model}/exportForTrainingPage")
def export_predictions_page(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    return _paged_export(req, row, _model_run_id(req, row))


@routes.get("slice/{slc}/exportScaleTaskInfo")
def export_scale_task_info(req: ApiRequest) -> dict[str, Any]:
    owned_slice(req)
    # No Scale labeling tasks exist locally, so no item has task info to export.
    return {"exportedScaleTaskInfoRows": []}


@routes.get("slice/{slc}/exportRawItems")
def export_raw_items(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    out = []
    for item in req.store.slices.member_items(row.id):
        location = item.image_url or item.pointcloud_url
        out.append(
            {
                "id": item.id,
                "ref_id": item.reference_id,
                "metadata": item.metadata,
                "original_url": location,
                # No signed Scale-hosted copy exists locally: the original location is the URL.
                "scale_url": location,
            }
        )
    return {"raw_dataset_items": out}


@routes.get("slice/{slc}/embeddings")
def embeddings(req: ApiRequest) -> list[dict[str, Any]]:
    row = owned_slice(req)
    ids = [i.id for i in req.store.slices.member_items(row.id)]
    kind = req.store.indexes.primary_image_kind(row.dataset_id)
    vectors = req.store.embeddings.vectors(row.dataset_id, kind, ids)
    return [{"reference_id": ref, "embedding_vector": vec} for ref, vec in vectors.values()]


@routes.get("slice/{slc}/class_labels")
def class_labels(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    items = req.store.slices.member_items(row.id)
    units = req.store.annotations.units_of_items([i.id for i in items]) if items else {}
    return {"data": labels_of([u.payload for us in units.values() for u in us])}


@routes.post("slice/{slc}/{project}/send_to_labeling")
def send_to_labeling(req: ApiRequest) -> dict[str, Any]:
    row = owned_slice(req)
    job = req.state.jobs.start(
        req.key,
        SEND_TO_LABELING_JOB,
        dataset_id=row.dataset_id,
        params={"slice_id": row.id, "project_id": req.params["project"]},
    )
    return job_object(job)


@routes.job(SEND_TO_LABELING_JOB)
def run_send_to_labeling(ctx: JobContext) -> dict[str, Any]:
    slice_id = ctx.params["slice_id"]
    items = ctx.store.slices.member_items(slice_id) if ctx.store.slices.get(slice_id) else []
    ctx.set_total(1)
    ctx.advance()
    return {
        "send_to_labeling": {
            "sliceId": slice_id,
            "projectId": ctx.params["project_id"],
            "itemsRequested": len(items),
            "tasksCreated": 0,
            "note": (
                "Recorded only: the Nucleus emulator has no Scale labeling projects, so no"
                " tasks were created and no annotations will arrive from labeling."
            ),
        }
    }
