"""Embeddings and indexing: custom indexes from embedding files, the "internal" image and object
indexes, primary/continuous settings, indexing status, embedding reads and exports.

The emulator has no image or object model. `indexingImage` indexes the vectors items were
uploaded with (`embedding_info.embedding_vector`); `indexingObject` indexes annotations that carry
an `embedding_vector`. Everything else is skipped, and the job message says how many.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.blobs import BlobStore
from nucleus_emulator.jobs import JobContext, JobFailed, job_object
from nucleus_emulator.routes._common import UPLOAD_PATH, job_dataset
from nucleus_emulator.routes._lookups import owned_slice
from nucleus_emulator.store import Store
from nucleus_emulator.store.datasets import DatasetRow
from nucleus_emulator.store.embeddings import CUSTOM, INTERNAL

routes = RouteGroup()

CUSTOM_INDEX_JOB = "customIndexing"
DELETE_INDEX_JOB = "embeddingDelete"
IMAGE_INDEX_JOB = "indexingImage"
OBJECT_INDEX_JOB = "indexingObject"
EXPORT_JOB = "exportEmbeddings"
#: Where exported embedding files are served (outside `/v1/nucleus/`, no auth, like uploads).
EXPORT_PATH = "/_exports"
#: Vectors per transaction (and progress step) while indexing.
CHUNK = 1000

IMAGE = "Image"
OBJECT = "Object"


def _vector(value: Any, dimension: int | None = None) -> list[float] | str:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
    ):
        return "embedding_vector must be a non-empty list of numbers"
    if dimension is not None and len(value) != dimension:
        return f"embedding_vector has {len(value)} dimensions, expected {dimension}"
    return [float(x) for x in value]


# -- custom indexes ----------------------------------------------------------------------


@routes.post("indexing/{ds}")
def create_custom_index(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    urls = body.get("embeddings_urls")
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and u for u in urls):
        raise ApiError(400, "embeddings_urls must be a non-empty list of URLs")
    dimension = body.get("embedding_dimension")
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
        raise ApiError(400, "embedding_dimension must be a positive integer")
    job = req.state.jobs.start(
        req.key,
        CUSTOM_INDEX_JOB,
        dataset_id=ds.id,
        params={"urls": urls, "dimension": dimension},
    )
    return job_object(job)


def read_embedding_file(ctx: JobContext, url: str) -> bytes:
    """The bytes behind `url`: a local `file://` path, or a file uploaded to this emulator.

    Uploaded files are those PUT to a signed URL of this emulator (`/_upload/{id}`, by the same
    key) and embedding exports (`/_exports/{name}`). Anything else would need the network, which
    the emulator never uses: the job fails with `Errored_User`.
    """
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(url2pathname(unquote(parsed.path)))
        try:
            return path.read_bytes()
        except OSError as exc:
            raise JobFailed(f"Cannot read embeddings file {url}: {exc.strerror or exc}") from None
    segments = parsed.path.split("/")
    if parsed.scheme in ("http", "https") and len(segments) == 3:
        folder, name = "/" + segments[1], unquote(segments[2])
        if folder == UPLOAD_PATH:
            upload = ctx.store.uploads.get(name)
            if upload is not None and upload.owner == ctx.job.owner and upload.blob:
                return ctx.blobs.get(upload.blob)
            raise JobFailed(f"Nothing was uploaded to the signed URL {url}")
        if folder == EXPORT_PATH and BlobStore.is_valid_segment(name):
            if ctx.blobs.exists(f"exports/{name}"):
                return ctx.blobs.get(f"exports/{name}")
            raise JobFailed(f"No exported file at {url}")
    raise JobFailed(
        f"Cannot fetch {url}: the Nucleus emulator has no network access. Point embeddings_urls"
        " at local files (file:///path/to/embeddings.json) or upload the file to a signed URL of"
        " this emulator (GET dataset/{ds}/signedUrl/{id}, PUT the file, pass the signed URL)."
    )


def parse_embedding_entries(data: bytes, url: str) -> list[tuple[Any, Any]]:
    """`(reference_id, vector)` pairs from a JSON array of `{reference_id, embedding_vector}`,
    a JSON object `{reference_id: vector}`, or NDJSON lines of entries."""
    text = data.decode("utf-8", "replace")
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
        entries: list[Any] = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except ValueError:
                raise JobFailed(
                    f"{url} is neither JSON nor NDJSON (line {number} is not JSON)"
                ) from None
    else:
        if isinstance(whole, dict) and "reference_id" not in whole:
            return list(whole.items())
        entries = whole if isinstance(whole, list) else [whole]
    pairs: list[tuple[Any, Any]] = []
    for entry in entries:
        if isinstance(entry, dict):
            pairs.append((entry.get("reference_id"), entry.get("embedding_vector")))
        else:
            pairs.append((None, entry))
    return pairs


@routes.job(CUSTOM_INDEX_JOB)
def run_custom_index(ctx: JobContext) -> dict[str, Any]:
    ds_id = job_dataset(ctx)
    dimension: int = ctx.params["dimension"]
    existing = ctx.store.indexes.get(ds_id, "Custom", IMAGE)
    if existing is not None and existing.embedding_dimension != dimension:
        raise JobFailed(
            f"The custom index of dataset {ds_id} has dimension {existing.embedding_dimension};"
            f" got {dimension}. Delete the custom index first to change the dimension."
        )
    pairs: list[tuple[Any, Any]] = []
    for url in ctx.params["urls"]:
        pairs += parse_embedding_entries(read_embedding_file(ctx, url), url)
    ctx.store.indexes.put(
        ds_id,
        "Custom",
        IMAGE,
        embedding_type="Custom",
        embedding_dimension=dimension,
        status="Started",
    )
    ctx.set_total(len(pairs))
    indexed = 0
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        refs = [ref for ref, _ in chunk if isinstance(ref, str)]
        ids = ctx.store.items.ids_by_refs(ds_id, refs)
        vectors: list[tuple[str, list[float]]] = []
        for ref, raw in chunk:
            if not isinstance(ref, str) or not ref:
                ctx.error(_error_text(None, "Every embedding entry needs a reference_id"))
                continue
            if ref not in ids:
                ctx.error(_error_text(ref, f"Item with id {ref} doesn't exist."))
                continue
            vector = _vector(raw, dimension)
            if isinstance(vector, str):
                ctx.error(_error_text(ref, vector))
                continue
            vectors.append((ids[ref], vector))
        ctx.store.embeddings.put(ds_id, CUSTOM, vectors)
        indexed += len(vectors)
        ctx.advance(len(chunk))
    ctx.store.indexes.put(
        ds_id,
        "Custom",
        IMAGE,
        embedding_type="Custom",
        embedding_dimension=dimension,
        status="Completed",
    )
    return {
        "custom_indexing": {
            "datasetId": ds_id,
            "total": len(pairs),
            "indexed": indexed,
            "errored": len(pairs) - indexed,
        }
    }


def _error_text(ref: str | None, message: str) -> str:
    return json.dumps({"referenceId": ref, "error": message}, separators=(",", ":"))


@routes.delete("indexing/{ds}")
def delete_custom_index(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    image = body.get("image", True)
    if not isinstance(image, bool):
        raise ApiError(400, "image must be a boolean")
    level = IMAGE if image else OBJECT
    if req.store.indexes.get(ds.id, "Custom", level) is None:
        raise ApiError(404, f"Dataset {ds.id} has no custom {level.lower()} index")
    job = req.state.jobs.start(req.key, DELETE_INDEX_JOB, dataset_id=ds.id, params={"level": level})
    return {
        "dataset_id": ds.id,
        "job_id": job.id,
        "message": f"Deleting the custom {level.lower()} index of dataset {ds.id}",
    }


@routes.job(DELETE_INDEX_JOB)
def run_delete_index(ctx: JobContext) -> dict[str, Any]:
    ds_id = ctx.job.dataset_id or ""
    level = ctx.params["level"]
    deleted = ctx.store.embeddings.delete(ds_id, CUSTOM) if level == IMAGE else 0
    ctx.store.indexes.delete(ds_id, "Custom", level)
    settings = ctx.store.indexes.settings(ds_id)
    if level == IMAGE and settings.primary_image == CUSTOM:
        ctx.store.indexes.update_settings(ds_id, primary_image=None)
    return {"embedding_delete": {"datasetId": ds_id, "level": level, "deleted": deleted}}


# -- settings ----------------------------------------------------------------------------


@routes.post("indexing/{ds}/setPrimary")
def set_primary(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    image = body.get("image", True)
    custom = body.get("custom", False)
    if not isinstance(image, bool) or not isinstance(custom, bool):
        raise ApiError(400, "image and custom must be booleans")
    level = IMAGE if image else OBJECT
    if custom and req.store.indexes.get(ds.id, "Custom", level) is None:
        raise ApiError(400, f"Dataset {ds.id} has no custom {level.lower()} index to make primary")
    column = "primary_image" if image else "primary_object"
    req.store.indexes.update_settings(ds.id, **{column: CUSTOM if custom else INTERNAL})
    return {"success": True}


@routes.post("indexing/{ds}/setContinuous")
def set_continuous(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    enable = req.json_object().get("enable", True)
    if not isinstance(enable, bool):
        raise ApiError(400, "enable must be a boolean")
    req.store.indexes.update_settings(ds.id, continuous=enable)
    if not enable:
        return {"dataset_id": ds.id, "message": f"Continuous indexing disabled for {ds.id}"}
    job = req.state.jobs.start(req.key, IMAGE_INDEX_JOB, dataset_id=ds.id, params={})
    return {
        "dataset_id": ds.id,
        "message": (
            f"Continuous indexing enabled for {ds.id}; a backfill job indexes the existing items"
        ),
        **job_object(job),
    }


# -- internal indexes --------------------------------------------------------------------


@routes.post("indexing/{ds}/internal/image")
def create_image_index(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    job = req.state.jobs.start(req.key, IMAGE_INDEX_JOB, dataset_id=ds.id, params={})
    return job_object(job)


@routes.job(IMAGE_INDEX_JOB)
def run_image_index(ctx: JobContext) -> dict[str, Any]:
    ds_id = job_dataset(ctx)
    total = ctx.store.items.count(ds_id)
    candidates = ctx.store.items.embedding_infos(ds_id)
    ctx.set_total(max(len(candidates), 1))
    dimension: int | None = None
    indexed = 0
    for start in range(0, len(candidates), CHUNK):
        vectors: list[tuple[str, list[float]]] = []
        for item_id, info in candidates[start : start + CHUNK]:
            raw = info.get("embedding_vector") if isinstance(info, dict) else None
            vector = _vector(raw, dimension)
            if isinstance(vector, str):
                continue
            dimension = dimension or len(vector)
            vectors.append((item_id, vector))
        ctx.store.embeddings.put(ds_id, INTERNAL, vectors)
        indexed += len(vectors)
        ctx.advance(len(candidates[start : start + CHUNK]))
    if dimension is not None:
        ctx.store.indexes.put(
            ds_id,
            "Internal",
            IMAGE,
            embedding_type="Internal",
            embedding_dimension=dimension,
            status="Completed",
        )
    return {
        "image_indexing": {
            "datasetId": ds_id,
            "items": total,
            "indexed": indexed,
            "skipped": total - indexed,
            "note": (
                "The Nucleus emulator has no image embedding model: it indexed the items uploaded"
                " with an embedding_info vector and skipped the others."
            ),
        }
    }


@routes.post("indexing/{ds}/internal/object")
def create_object_index(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    run_id = body.get("model_run_id")
    if run_id is not None:
        _owned_run(req, ds, run_id)
    job = req.state.jobs.start(
        req.key, OBJECT_INDEX_JOB, dataset_id=ds.id, params={"model_run_id": run_id}
    )
    return job_object(job)


def _owned_run(req: ApiRequest, ds: DatasetRow, run_id: Any) -> str:
    if not isinstance(run_id, str):
        raise ApiError(400, "model_run_id must be a string")
    run = req.store.runs.get(run_id)
    if run is None or run.owner != req.key or run.dataset_id != ds.id:
        raise ApiError(404, f"Model run {run_id} not found in dataset {ds.id}")
    return run.id


def object_counts(store: Store, ds_id: str, run_id: str | None) -> tuple[int, int]:
    """`(objects, objects carrying an embedding_vector)` of ground truth or of one run."""
    units = store.annotations.units_of_dataset(ds_id, run_id)
    with_vectors = sum(1 for u in units if isinstance(u.payload.get("embedding_vector"), list))
    return len(units), with_vectors


@routes.job(OBJECT_INDEX_JOB)
def run_object_index(ctx: JobContext) -> dict[str, Any]:
    ds_id = ctx.job.dataset_id or ""
    run_id = ctx.params.get("model_run_id")
    objects, with_vectors = object_counts(ctx.store, ds_id, run_id)
    ctx.set_total(1)
    units = ctx.store.annotations.units_of_dataset(ds_id, run_id)
    dimension = next(
        (len(u.payload["embedding_vector"]) for u in units if u.payload.get("embedding_vector")),
        0,
    )
    ctx.store.indexes.put(
        ds_id,
        "Internal",
        OBJECT,
        embedding_type="Internal",
        embedding_dimension=dimension,
        status="Completed",
    )
    ctx.advance()
    return {
        "object_indexing": {
            "datasetId": ds_id,
            "modelRunId": run_id,
            "objects": objects,
            "indexed": with_vectors,
            "skipped": objects - with_vectors,
            "note": (
                "The Nucleus emulator has no object embedding model: it indexed the annotations"
                " uploaded with an embedding_vector and skipped the others."
            ),
        }
    }


# -- status and reads --------------------------------------------------------------------


@routes.post("dataset/{ds}/indexingStatus")
def indexing_status(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    body = req.json_object()
    if body.get("image", True) is not False:
        kind = req.store.indexes.primary_image_kind(ds.id)
        embedded = req.store.embeddings.count(ds.id, kind)
        images = req.store.items.count(ds.id)
        return {
            "embedding_count": embedded,
            "image_count": images,
            "percent_indexed": round(100.0 * embedded / images, 2) if images else 0.0,
            "additional_context": (
                f"Primary image index: {kind}. The emulator indexes only vectors supplied with"
                " the items (embedding_info) or through a custom index."
            ),
        }
    run_id = body.get("model_run_id")
    if run_id is not None:
        run_id = _owned_run(req, ds, run_id)
    objects, with_vectors = object_counts(req.store, ds.id, run_id)
    indexed = with_vectors if req.store.indexes.get(ds.id, "Internal", OBJECT) else 0
    return {
        "embedding_count": indexed,
        "object_count": objects,
        "percent_indexed": round(100.0 * indexed / objects, 2) if objects else 0.0,
        "additional_context": (
            "The emulator indexes only annotations uploaded with an embedding_vector."
        ),
    }


@routes.get("dataset/{ds}/embeddings")
def dataset_embeddings(req: ApiRequest) -> list[dict[str, Any]]:
    ds = req.owned_dataset()
    vectors = req.store.embeddings.vectors(ds.id, req.store.indexes.primary_image_kind(ds.id))
    return [{"reference_id": ref, "embedding_vector": vec} for ref, vec in vectors.values()]


@routes.get("dataset/{ds}/embeddingIndexes")
def embedding_indexes(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    return {"embedding_indexes": [i.to_json() for i in req.store.indexes.in_dataset(ds.id)]}


@routes.post("dataset/{ds}/async_export_embeddings")
def async_export_embeddings(req: ApiRequest) -> dict[str, Any]:
    target = req.params["ds"]
    params: dict[str, Any] = {"base_url": req.base_url}
    if target.startswith("slc_"):
        # `Slice.export_embeddings()` posts its slice id here (a client bug): export the slice.
        row = owned_slice(req, target)
        dataset_id = row.dataset_id
        params["slice_id"] = row.id
    else:
        dataset_id = req.owned_dataset().id
    job = req.state.jobs.start(req.key, EXPORT_JOB, dataset_id=dataset_id, params=params)
    return job_object(job)


@routes.job(EXPORT_JOB)
def run_export(ctx: JobContext) -> dict[str, Any]:
    ds_id = ctx.job.dataset_id or ""
    kind = ctx.store.indexes.primary_image_kind(ds_id)
    slice_id = ctx.params.get("slice_id")
    if slice_id:
        if ctx.store.slices.get(slice_id) is None:
            raise JobFailed(f"Slice {slice_id} not found")
        ids = [i.id for i in ctx.store.slices.member_items(slice_id)]
        vectors = ctx.store.embeddings.vectors(ds_id, kind, ids)
    else:
        vectors = ctx.store.embeddings.vectors(ds_id, kind)
    rows = [{"reference_id": ref, "embedding_vector": vec} for ref, vec in vectors.values()]
    name = f"{ctx.job.id}.json"
    ctx.blobs.put(f"exports/{name}", json.dumps(rows, separators=(",", ":")).encode())
    ctx.set_total(1)
    ctx.advance()
    return {"result": [f"{ctx.params['base_url']}{EXPORT_PATH}/{name}"], "count": len(rows)}


@routes.get(EXPORT_PATH + "/{name}", auth=False)
def exported_file(req: ApiRequest) -> Any:
    name = req.params["name"]
    if not BlobStore.is_valid_segment(name) or not req.state.blobs.exists(f"exports/{name}"):
        raise ApiError(404, f"No exported file {name}")
    return json.loads(req.state.blobs.get(f"exports/{name}"))
