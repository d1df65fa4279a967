"""Scene routes: lidar/video scene uploads (signed-URL async and legacy sync), reads, deletes,
and the scene list. (Scene-level `POST dataset/{ds}/metadata` is an item route.)"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from nucleus_emulator.app import ApiError, ApiRequest, RouteGroup
from nucleus_emulator.jobs import JobContext, job_object
from nucleus_emulator.routes._common import (
    job_dataset,
    job_error,
    job_ndjson_lines,
    signed_upload_blob,
    update_flag,
)
from nucleus_emulator.store import Store
from nucleus_emulator.store.datasets import DatasetRow
from nucleus_emulator.store.items import ItemInput
from nucleus_emulator.store.scenes import LIDAR, VIDEO, SceneCounts, SceneInput, SceneRow

routes = RouteGroup()

LIDAR_JOB = "uploadLidarScene"
VIDEO_JOB = "uploadVideoScene"
#: Scenes per progress step of an upload job.
JOB_CHUNK = 100

# -- validation ---------------------------------------------------------------------------


def _scene_item(payload: Any, scene_ref: str) -> ItemInput | str:
    """A scene item (`{"url","type","reference_id","metadata","camera_params"?…}`)."""
    if not isinstance(payload, dict):
        return f"Scene {scene_ref}: every frame item must be an object"
    ref = payload.get("reference_id")
    if not isinstance(ref, str) or not ref:
        return f"Scene {scene_ref}: an item is missing a reference_id"
    url = payload.get("url")
    kind = payload.get("type")
    image_url = payload.get("image_url")
    pointcloud_url = payload.get("pointcloud_url")
    if url is not None:
        if not isinstance(url, str) or not url:
            return f"Scene {scene_ref}: item {ref} has an invalid url"
        if kind == "image":
            image_url = url
        elif kind == "pointcloud":
            pointcloud_url = url
        else:
            return f"Scene {scene_ref}: item {ref} type must be 'image' or 'pointcloud'"
    for name, value in (("image_url", image_url), ("pointcloud_url", pointcloud_url)):
        if value is not None and not isinstance(value, str):
            return f"Scene {scene_ref}: item {ref} {name} must be a string"
    if bool(image_url) == bool(pointcloud_url):
        return f"Scene {scene_ref}: item {ref} needs exactly one image or pointcloud location"
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict):
        return f"Scene {scene_ref}: item {ref} metadata must be an object"
    camera = payload.get("camera_params")
    if camera is not None:
        if not isinstance(camera, dict):
            return f"Scene {scene_ref}: item {ref} camera_params must be an object"
        metadata = {**metadata}
        metadata.setdefault("camera_params", camera)
    dims: dict[str, int | None] = {}
    for dim in ("width", "height"):
        value = payload.get(dim)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return f"Scene {scene_ref}: item {ref} {dim} must be an integer"
        dims[dim] = value
    return ItemInput(
        reference_id=ref,
        image_url=image_url or None,
        pointcloud_url=pointcloud_url or None,
        metadata=metadata,
        width=dims["width"],
        height=dims["height"],
        embedding_info=payload.get("embedding_info"),
    )


def _tracks(payload: dict[str, Any], scene_ref: str) -> list[dict[str, Any]] | str:
    tracks = payload.get("tracks") or []
    if not isinstance(tracks, list):
        return f"Scene {scene_ref}: tracks must be a list"
    parsed: list[dict[str, Any]] = []
    for track in tracks:
        if not isinstance(track, dict) or not isinstance(track.get("reference_id"), str):
            return f"Scene {scene_ref}: every track needs a reference_id"
        metadata = track.get("metadata") or {}
        if not isinstance(metadata, dict):
            return f"Scene {scene_ref}: track metadata must be an object"
        parsed.append({"reference_id": track["reference_id"], "metadata": metadata})
    return parsed


def parse_scene(payload: Any, kind: str) -> SceneInput | str:
    """A `SceneInput`, or why the payload is not a valid scene of `kind`.

    Lidar scenes are checked as the client's `LidarScene.validate` does (at least one frame,
    exactly one pointcloud per frame, all under one sensor), so `get_scene` reads them back.
    """
    if not isinstance(payload, dict):
        return "Scene payload must be a JSON object"
    ref = payload.get("reference_id")
    if not isinstance(ref, str) or not ref:
        return "Scene is missing a reference_id"
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict):
        return f"Scene {ref}: metadata must be an object"
    tracks = _tracks(payload, ref)
    if isinstance(tracks, str):
        return tracks
    frames_payload = payload.get("frames")
    if frames_payload is not None and not isinstance(frames_payload, list):
        return f"Scene {ref}: frames must be a list"
    frames: list[list[tuple[str, ItemInput]]] = []
    if kind == LIDAR:
        if not frames_payload:
            return f"Scene {ref}: a lidar scene needs at least one frame"
        lidar_sensors: set[str] = set()
        for index, frame in enumerate(frames_payload):
            if not isinstance(frame, dict) or not frame:
                return f"Scene {ref}: frame {index} must map sensor names to items"
            parsed_frame: list[tuple[str, ItemInput]] = []
            for sensor, item_payload in frame.items():
                item = _scene_item(item_payload, ref)
                if isinstance(item, str):
                    return item
                parsed_frame.append((sensor, item))
            clouds = [s for s, item in parsed_frame if item.pointcloud_url]
            if len(clouds) != 1:
                return f"Scene {ref}: frame {index} must have exactly one pointcloud"
            lidar_sensors.update(clouds)
            frames.append(parsed_frame)
        if len(lidar_sensors) > 1:
            return f"Scene {ref}: pointclouds must all come from one sensor"
        frame_rate = None
        video_url = None
    else:
        frame_rate = payload.get("frame_rate")
        video_url = payload.get("video_url")
        if video_url is not None and (not isinstance(video_url, str) or not video_url):
            return f"Scene {ref}: video_url must be a non-empty string"
        if frame_rate is not None and (
            isinstance(frame_rate, bool) or not isinstance(frame_rate, int | float)
        ):
            return f"Scene {ref}: frame_rate must be a number"
        if not frames_payload and not video_url:
            return f"Scene {ref}: a video scene needs frames or a video_url"
        if frames_payload:
            if frame_rate is None or frame_rate < 1:
                return f"Scene {ref}: a video scene with frames needs a frame_rate >= 1"
            for item_payload in frames_payload:
                item = _scene_item(item_payload, ref)
                if isinstance(item, str):
                    return item
                if not item.image_url:
                    return f"Scene {ref}: video frames must be images ({item.reference_id})"
                frames.append([("", item)])
        elif frame_rate is not None:
            return f"Scene {ref}: a video_url scene takes no frame_rate"
    refs = [item.reference_id for frame in frames for _, item in frame]
    if len(refs) != len(set(refs)):
        return f"Scene {ref}: item reference ids must be unique within the scene"
    return SceneInput(
        reference_id=ref,
        kind=kind,
        metadata=metadata,
        frames=frames,
        frame_rate=frame_rate,
        video_url=video_url,
        tracks=tracks,
    )


def _require_scene_dataset(ds: DatasetRow) -> None:
    if not ds.is_scene:
        raise ApiError(
            400,
            f"Dataset {ds.id} is not a scene dataset: append dataset items, not scenes",
        )


def _ingest(
    store: Store, ds_id: str, payloads: Sequence[Any], kind: str, update: bool
) -> tuple[SceneCounts, list[tuple[Any, str]]]:
    scenes: list[SceneInput] = []
    failures: list[tuple[Any, str]] = []
    seen: set[str] = set()
    for payload in payloads:
        parsed = parse_scene(payload, kind)
        if isinstance(parsed, str):
            failures.append((payload, parsed))
        elif parsed.reference_id in seen:
            failures.append((payload, f"Duplicate scene reference id {parsed.reference_id}"))
        else:
            seen.add(parsed.reference_id)
            scenes.append(parsed)
    counts, rejected = store.scenes.put(ds_id, scenes, update=update)
    by_ref = {
        p.get("reference_id"): p for p in payloads if isinstance(p, dict)
    }  # error payloads echo the request
    failures += [(by_ref.get(s.reference_id, {}), reason) for s, reason in rejected]
    return counts, failures


# -- uploads -----------------------------------------------------------------------------


def _upload(req: ApiRequest, kind: str) -> Any:
    ds = req.owned_dataset()
    _require_scene_dataset(ds)
    body = req.json_object()
    update = update_flag(body.get("update"))
    if req.query_flag("async"):
        blob = signed_upload_blob(req, ds.id, body, "scene upload")
        job = req.state.jobs.start(
            req.key,
            LIDAR_JOB if kind == LIDAR else VIDEO_JOB,
            dataset_id=ds.id,
            params={"ndjson": blob, "update": update},
        )
        return job_object(job)
    scenes = body.get("scenes")
    if not isinstance(scenes, list):
        raise ApiError(400, "scenes must be a list of scene payloads")
    counts, failures = _ingest(req.store, ds.id, scenes, kind, update)
    response: dict[str, Any] = {
        "dataset_id": ds.id,
        "new_items": counts.new,
        "updated_items": counts.updated,
        "ignored_items": counts.ignored,
        "upload_errors": len(failures),
    }
    if failures:
        response["error_payload"] = [
            {"reference_id": p.get("reference_id") if isinstance(p, dict) else None, "error": r}
            for p, r in failures
        ]
    return response


@routes.post("{ds}/upload_scenes")
def upload_scenes(req: ApiRequest) -> Any:
    return _upload(req, LIDAR)


@routes.post("{ds}/upload_video_scenes")
def upload_video_scenes(req: ApiRequest) -> Any:
    return _upload(req, VIDEO)


def _run_upload(ctx: JobContext, kind: str) -> dict[str, Any]:
    ds_id = job_dataset(ctx)
    update = bool(ctx.params.get("update"))
    lines = job_ndjson_lines(ctx)
    ctx.set_total(len(lines))
    totals = SceneCounts()
    errored = 0
    for start in range(0, len(lines), JOB_CHUNK):
        chunk = lines[start : start + JOB_CHUNK]
        payloads: list[Any] = []
        for line in chunk:
            try:
                payloads.append(json.loads(line))
            except ValueError as exc:
                errored += 1
                ctx.error(job_error({"line": line}, f"Malformed JSON line: {exc}"))
        counts, failures = _ingest(ctx.store, ds_id, payloads, kind, update)
        totals.new += counts.new
        totals.updated += counts.updated
        totals.ignored += counts.ignored
        for payload, reason in failures:
            errored += 1
            ref = payload.get("reference_id") if isinstance(payload, dict) else None
            ctx.error(job_error({"referenceId": ref}, reason))
        ctx.advance(len(chunk))
    return {
        "scene_upload": {
            "datasetId": ds_id,
            "total": len(lines),
            "processed": totals.new + totals.updated,
            "new": totals.new,
            "updated": totals.updated,
            "ignored": totals.ignored,
            "errored": errored,
        }
    }


@routes.job(LIDAR_JOB)
def run_lidar_upload(ctx: JobContext) -> dict[str, Any]:
    return _run_upload(ctx, LIDAR)


@routes.job(VIDEO_JOB)
def run_video_upload(ctx: JobContext) -> dict[str, Any]:
    return _run_upload(ctx, VIDEO)


# -- reads -------------------------------------------------------------------------------


def _scene_json(store: Store, scene: SceneRow) -> dict[str, Any]:
    """The scene as `GET dataset/{ds}/scene/{ref}` answers it (3.13 of the reference).

    Lidar scenes carry no `frame_rate`/`video_url` keys (the client tells the kinds apart by
    their presence); video scenes carry whichever of the two they have.
    """
    frames = store.scenes.frames(scene.id)
    out: dict[str, Any] = {"reference_id": scene.reference_id}
    if scene.kind == LIDAR:
        grouped: dict[int, dict[str, Any]] = {}
        for index, sensor, item in frames:
            grouped.setdefault(index, {})[sensor] = item.to_json()
        out["frames"] = [grouped[i] for i in sorted(grouped)]
    else:
        if scene.frame_rate is not None:
            out["frame_rate"] = scene.frame_rate
        if scene.video_url is not None:
            out["video_url"] = scene.video_url
        out["frames"] = [item.to_json() for _, _, item in frames]
    out["metadata"] = scene.metadata
    if scene.tracks:
        out["tracks"] = [{**t, "dataset_id": scene.dataset_id} for t in scene.tracks]
    return out


def _owned_scene(req: ApiRequest) -> tuple[DatasetRow, SceneRow]:
    ds = req.owned_dataset()
    ref = req.params["ref"]
    if req.query_flag("from_item"):
        scene = req.store.scenes.holding_item(ds.id, ref)
        if scene is None:
            raise ApiError(
                404, f"No scene holds an item with reference id {ref} in dataset {ds.id}"
            )
    else:
        scene = req.store.scenes.by_ref(ds.id, ref)
        if scene is None:
            raise ApiError(404, f"Scene with reference id {ref} not found in dataset {ds.id}")
    return ds, scene


@routes.get("dataset/{ds}/scene/{ref}")
def get_scene(req: ApiRequest) -> dict[str, Any]:
    _, scene = _owned_scene(req)
    return _scene_json(req.store, scene)


@routes.delete("dataset/{ds}/scene/{ref}")
def remove_scene(req: ApiRequest) -> dict[str, Any]:
    _, scene = _owned_scene(req)
    req.store.scenes.delete(scene.id)
    return {}


@routes.get("dataset/{ds}/scenes_list")
def scenes_list(req: ApiRequest) -> dict[str, Any]:
    ds = req.owned_dataset()
    return {"scenes": [s.summary() for s in req.store.scenes.in_dataset(ds.id)]}
