"""Autotag routes: list, tagged and training items, re-inference, delete, refinement metrics.

The service creates an autotag by training a model on positives picked in the dashboard; the
emulator cannot train. It offers an emulator-only seeding route instead:

    POST /_emulator/autotags  {"dataset_id", "name", "positive_reference_ids": [...],
                               "autotag_level": "Image"}

which records the positives and scores every item that has a vector in the dataset's primary
image index by cosine similarity to the mean of the positives' (normalised) vectors, in [-1, 1].
`POST autotag/{tag}` (update) recomputes the scores over the current vectors.
"""

from __future__ import annotations

import math
import time
from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import JobContext, JobFailed, job_object
from nucleus_emulator.store import Store
from nucleus_emulator.store.autotags import AutotagRow
from nucleus_emulator.store.embeddings import cosine

routes = RouteGroup()

AUTOTAG_JOB = "autotagInference"


def _not_found(name: str, ds_id: str) -> ApiError:
    return ApiError(404, f"The autotag {name} was not found in dataset {ds_id}")


def _owned_autotag(req: ApiRequest) -> AutotagRow:
    tag_id = req.params["tag"]
    row = req.store.autotags.get(tag_id)
    ds = req.store.datasets.get(row.dataset_id) if row is not None else None
    if row is None or ds is None or ds.owner != req.key:
        raise ApiError(404, f"Autotag {tag_id} not found")
    return row


def _named_autotag(req: ApiRequest) -> AutotagRow:
    ds = req.owned_dataset()
    name = req.params["name"]
    row = req.store.autotags.by_name(ds.id, name)
    if row is None:
        raise _not_found(name, ds.id)
    return row


def score_autotag(store: Store, row: AutotagRow) -> int:
    """Score every item with a primary-index vector against the positives; returns the count.

    Raises `ValueError` when no positive has a vector (nothing to compare with).
    """
    started = time.perf_counter()
    kind = store.indexes.primary_image_kind(row.dataset_id)
    vectors = store.embeddings.vectors(row.dataset_id, kind)
    positives = [vectors[i][1] for i, _ in store.autotags.positives(row.id) if i in vectors]
    if not positives:
        raise ValueError(
            "None of the autotag's positive items has an embedding: create a custom index"
            " (POST indexing/{ds}) or an image index of items uploaded with embedding_info first"
        )
    dim = len(positives[0])
    centroid = [0.0] * dim
    for vector in positives:
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        for k in range(min(dim, len(vector))):
            centroid[k] += vector[k] / norm
    scores = [(item_id, cosine(vec, centroid)) for item_id, (_, vec) in vectors.items()]
    elapsed_ms = 1000.0 * (time.perf_counter() - started)
    store.autotags.set_scores(row.id, scores, elapsed_ms=elapsed_ms)
    return len(scores)


# -- emulator-only seeding ---------------------------------------------------------------


@routes.post("/_emulator/autotags")
def seed_autotag(req: ApiRequest) -> dict[str, Any]:
    """Create an autotag from positives (emulator only; the service trains one instead)."""
    body = req.json_object()
    dataset_id = body.get("dataset_id")
    if not isinstance(dataset_id, str):
        raise ApiError(400, "dataset_id is required")
    ds = req.owned_dataset(dataset_id)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "name must be a non-empty string")
    level = body.get("autotag_level", "Image")
    if level != "Image":
        raise ApiError(400, "The emulator seeds Image autotags only (no object embeddings)")
    refs = body.get("positive_reference_ids")
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        raise ApiError(400, "positive_reference_ids must be a non-empty list of reference ids")
    ids = req.store.items.ids_by_refs(ds.id, refs)
    if missing := [r for r in refs if r not in ids]:
        raise ApiError(400, f"Reference ids not found in dataset {ds.id}: {', '.join(missing)}")
    if req.store.autotags.by_name(ds.id, name) is not None:
        raise ApiError(400, f"An autotag named {name} already exists in dataset {ds.id}")
    row = req.store.autotags.create(ds.id, name, level, [ids[r] for r in refs])
    try:
        scored = score_autotag(req.store, row)
    except ValueError as exc:
        req.store.autotags.delete(row.id)
        raise ApiError(400, str(exc)) from None
    found = req.store.autotags.get(row.id)
    assert found is not None
    return {"autotag": found.to_json(), "scored_items": scored}


# -- service routes ----------------------------------------------------------------------


@routes.get("{ds}/list_autotags")
def list_(req: ApiRequest) -> list[dict[str, Any]]:
    ds = req.owned_dataset()
    return [row.to_json() for row in req.store.autotags.in_dataset(ds.id)]


@routes.post("dataset/{ds}/autotag/{name}/taggedItems")
def tagged_items(req: ApiRequest) -> dict[str, Any]:
    row = _named_autotag(req)
    threshold = req.json_object().get("score_threshold", 0)
    if threshold is None:
        threshold = 0
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ApiError(400, "score_threshold must be a number")
    items = [
        {
            "ref_id": ref,
            "score": score,
            "model_prediction_annotation_id": None,
            "ground_truth_annotation_id": None,
        }
        for _, ref, score in req.store.autotags.scores(row.id)
        if score > threshold
    ]
    return {"autotagItems": items, "autotag": row.to_json()}


@routes.get("dataset/{ds}/autotag/{name}/trainingItems")
def training_items(req: ApiRequest) -> dict[str, Any]:
    row = _named_autotag(req)
    items = [
        {"ref_id": ref, "model_prediction_annotation_id": None, "ground_truth_annotation_id": None}
        for _, ref in req.store.autotags.positives(row.id)
    ]
    return {"autotagPositiveTrainingItems": items, "autotag": row.to_json()}


@routes.post("autotag/{tag}")
def update(req: ApiRequest) -> dict[str, Any]:
    row = _owned_autotag(req)
    job = req.state.jobs.start(
        req.key, AUTOTAG_JOB, dataset_id=row.dataset_id, params={"autotag_id": row.id}
    )
    return job_object(job)


@routes.job(AUTOTAG_JOB)
def run_autotag(ctx: JobContext) -> dict[str, Any]:
    row = ctx.store.autotags.get(ctx.params["autotag_id"])
    if row is None:
        raise JobFailed(f"Autotag {ctx.params['autotag_id']} was deleted")
    ctx.set_total(1)
    try:
        scored = score_autotag(ctx.store, row)
    except ValueError as exc:
        raise JobFailed(str(exc)) from None
    ctx.advance()
    return {"autotag_inference": {"autotagId": row.id, "scoredItems": scored}}


@routes.delete("autotag/{tag}")
def delete(req: ApiRequest) -> dict[str, Any]:
    row = _owned_autotag(req)
    req.store.autotags.delete(row.id)
    return {}


@routes.get("autotag/{tag}/refinementMetrics")
def refinement_metrics(req: ApiRequest) -> dict[str, Any]:
    row = _owned_autotag(req)
    positives = len(req.store.autotags.positives(row.id))
    steps = max(row.refinement_steps, 1)
    return {
        "total_refinement_steps": row.refinement_steps,
        "average_positives_selected_per_refinement": positives / steps,
        "average_ms_taken_in_refinement": row.refinement_ms,
    }
