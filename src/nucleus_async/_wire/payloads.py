"""Payload hooks: the hand-tuned wire payload of every annotation, prediction, item and scene.

One dict literal per unit type (bulk uploads serialise hundreds of thousands of boxes, so no
shared builder sits on this path); key order is wire order. :func:`payload_hooks` is the
class -> hook table :class:`nucleus_async._wire.converter.WireConverter` dispatches on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._errors import ValidationError
from ..types.annotations import (
    BoxAnnotation,
    CategoryAnnotation,
    CuboidAnnotation,
    KeypointsAnnotation,
    LineAnnotation,
    MultiCategoryAnnotation,
    PolygonAnnotation,
    SceneCategoryAnnotation,
    SegmentationAnnotation,
    UnknownAnnotation,
)
from ..types.camera import CameraParams
from ..types.dataset_item import DatasetItem
from ..types.geometry import Point, Point3D
from ..types.predictions import (
    BoxPrediction,
    CategoryPrediction,
    CuboidPrediction,
    KeypointsPrediction,
    LinePrediction,
    PolygonPrediction,
    SceneCategoryPrediction,
    SegmentationPrediction,
    UnknownPrediction,
)
from ..types.responses import UploadResponse
from ..types.scenes import Frame, LidarScene, Track, VideoScene
from ..types.segment import Segment

__all__ = ["Hook", "JSONDict", "dataset_item_payload", "payload_hooks"]

JSONDict = dict[str, Any]
Hook = Callable[[Any], JSONDict]


def _points(points: Iterable[Point]) -> list[JSONDict]:
    return [{"x": p.x, "y": p.y} for p in points]


def _point3d(p: Point3D) -> JSONDict:
    return {"x": p.x, "y": p.y, "z": p.z}


def _box(a: BoxAnnotation) -> JSONDict:
    return {
        "label": a.label,
        "type": "box",
        "geometry": {"x": a.x, "y": a.y, "width": a.width, "height": a.height},
        "reference_id": a.reference_id,
        "annotation_id": a.annotation_id,
        "metadata": a.metadata,
        "embedding_vector": a.embedding_vector,
        "track_reference_id": a.track_reference_id,
        "task_id": a._task_id,
    }


def _line(a: LineAnnotation) -> JSONDict:
    return {
        "label": a.label,
        "type": "line",
        "geometry": {"vertices": _points(a.vertices)},
        "reference_id": a.reference_id,
        "annotation_id": a.annotation_id,
        "metadata": a.metadata,
        "track_reference_id": a.track_reference_id,
        "task_id": a._task_id,
    }


def _polygon(a: PolygonAnnotation) -> JSONDict:
    return {
        "label": a.label,
        "type": "polygon",
        "geometry": {"vertices": _points(a.vertices)},
        "reference_id": a.reference_id,
        "annotation_id": a.annotation_id,
        "metadata": a.metadata,
        "embedding_vector": a.embedding_vector,
        "track_reference_id": a.track_reference_id,
        "task_id": a._task_id,
    }


def _keypoints(a: KeypointsAnnotation) -> JSONDict:
    return {
        "label": a.label,
        "type": "keypoints",
        "geometry": {
            "keypoints": [{"x": k.x, "y": k.y, "visible": k.visible} for k in a.keypoints],
            "names": a.names,
            "skeleton": a.skeleton,
        },
        "reference_id": a.reference_id,
        "annotation_id": a.annotation_id,
        "metadata": a.metadata,
        "track_reference_id": a.track_reference_id,
        "task_id": a._task_id,
    }


def _cuboid(a: CuboidAnnotation) -> JSONDict:
    payload: JSONDict = {
        "label": a.label,
        "type": "cuboid",
        "geometry": {
            "position": _point3d(a.position),
            "dimensions": _point3d(a.dimensions),
            "yaw": a.yaw,
        },
        "reference_id": a.reference_id,
    }
    # The only annotation that omits its optional keys (when falsy).
    if a.annotation_id:
        payload["annotation_id"] = a.annotation_id
    if a.metadata:
        payload["metadata"] = a.metadata
    if a.track_reference_id:
        payload["track_reference_id"] = a.track_reference_id
    if a._task_id:
        payload["task_id"] = a._task_id
    return payload


def _category(a: CategoryAnnotation) -> JSONDict:
    payload: JSONDict = {
        "label": a.label,
        "type": "category",
        "geometry": {},
        "reference_id": a.reference_id,
        "metadata": a.metadata,
        "track_reference_id": a.track_reference_id,
        "task_id": a._task_id,
    }
    if a.taxonomy_name is not None:
        payload["taxonomy_name"] = a.taxonomy_name
    return payload


def _multicategory(a: MultiCategoryAnnotation) -> JSONDict:
    payload: JSONDict = {
        "labels": a.labels,
        "type": "multicategory",
        "geometry": {},
        "reference_id": a.reference_id,
        "metadata": a.metadata,
        "track_reference_id": a.track_reference_id,
        "task_id": a._task_id,
    }
    if a.taxonomy_name is not None:
        payload["taxonomy_name"] = a.taxonomy_name
    return payload


def _scene_category(a: SceneCategoryAnnotation) -> JSONDict:
    # Sent as a plain "category": the reference id names a scene, not an item.
    payload: JSONDict = {
        "label": a.label,
        "type": "category",
        "geometry": {},
        "reference_id": a.reference_id,
        "metadata": a.metadata,
        "task_id": a._task_id,
    }
    if a.taxonomy_name is not None:
        payload["taxonomy_name"] = a.taxonomy_name
    return payload


def _segment(s: Segment) -> JSONDict:
    payload: JSONDict = {"label": s.label, "index": s.index}
    if s.metadata is not None:
        payload["metadata"] = s.metadata
    return payload


def _segmentation(a: SegmentationAnnotation) -> JSONDict:
    return {
        "type": "mask",
        "mask_url": a.mask_url,
        "annotations": [_segment(s) for s in a.annotations],
        "annotation_id": a.annotation_id,
        "reference_id": a.reference_id,
    }


def _unknown(a: UnknownAnnotation) -> JSONDict:
    return dict(a.payload)


def _with_confidence(base: Hook, class_pdf: bool = True) -> Hook:
    """A prediction's payload: its annotation's, then confidence/class_pdf when not None."""
    if class_pdf:

        def hook(p: Any) -> JSONDict:
            payload = base(p)
            if p.confidence is not None:
                payload["confidence"] = p.confidence
            if p.class_pdf is not None:
                payload["class_pdf"] = p.class_pdf
            return payload

    else:

        def hook(p: Any) -> JSONDict:
            payload = base(p)
            if p.confidence is not None:
                payload["confidence"] = p.confidence
            return payload

    return hook


def _camera_params(c: CameraParams) -> JSONDict:
    payload: JSONDict = {
        "position": _point3d(c.position),
        "heading": {"x": c.heading.x, "y": c.heading.y, "z": c.heading.z, "w": c.heading.w},
        "fx": c.fx,
        "fy": c.fy,
        "cx": c.cx,
        "cy": c.cy,
    }
    # Coefficients and model only when truthy (a coefficient of 0 is omitted).
    for key in ("k1", "k2", "k3", "k4", "p1", "p2", "camera_model"):
        value = getattr(c, key)
        if value:
            payload[key] = value
    return payload


def dataset_item_payload(item: DatasetItem, is_scene: bool = False) -> JSONDict:
    """An item's payload: ``image_url`` form, or (``is_scene``) the ``url``/``type`` form."""
    payload: JSONDict = {"metadata": item.metadata or {}, "reference_id": item.reference_id}
    embedding = item.embedding_info
    if embedding:
        payload["embedding_info"] = {
            "index_id": embedding.index_id,
            "embedding_vector": embedding.embedding_vector,
        }
    if item.width:
        payload["width"] = item.width
    if item.height:
        payload["height"] = item.height
    if is_scene:
        location = item.image_location or item.pointcloud_location
        if location:
            payload["url"] = location
        payload["type"] = item.type.value
        camera = item.camera_params
        if camera:
            payload["camera_params"] = _camera_params(camera)
    else:
        if not item.image_location:
            raise ValidationError(
                "Must specify image_location for DatasetItems not in a LidarScene or VideoScene",
                field="image_location",
                obj=item.reference_id,
            )
        payload["image_url"] = item.image_location
    return payload


def _frame(frame: Frame) -> JSONDict:
    return {sensor: dataset_item_payload(item, True) for sensor, item in frame.items.items()}


def _track(track: Track) -> JSONDict:
    return {
        "reference_id": track.reference_id,
        "dataset_id": track.dataset_id,
        "metadata": track.metadata,
    }


def _lidar_scene(scene: LidarScene) -> JSONDict:
    scene.validate_frames_dict()
    payload: JSONDict = {
        "reference_id": scene.reference_id,
        "frames": [_frame(frame) for frame in scene.get_frames()],
    }
    if scene.tracks:
        payload["tracks"] = [_track(track) for track in scene.tracks]
    if scene.metadata:
        payload["metadata"] = scene.metadata
    return payload


def _video_scene(scene: VideoScene) -> JSONDict:
    payload: JSONDict = {"reference_id": scene.reference_id}
    if scene.frame_rate:
        payload["frame_rate"] = scene.frame_rate
    if scene.metadata:
        payload["metadata"] = scene.metadata
    if scene.video_location:
        payload["video_url"] = scene.video_location
    payload["upload_to_scale"] = not scene.use_privacy_mode
    if scene.items:
        payload["frames"] = [dataset_item_payload(item, True) for item in scene.items]
    if scene.tracks:
        payload["tracks"] = [_track(track) for track in scene.tracks]
    return payload


def _upload_response(response: UploadResponse) -> JSONDict:
    return response.json()


def payload_hooks() -> dict[type, Hook]:
    """A fresh class -> payload hook table of every hand-written type (exact classes)."""
    return {
        BoxAnnotation: _box,
        LineAnnotation: _line,
        PolygonAnnotation: _polygon,
        KeypointsAnnotation: _keypoints,
        CuboidAnnotation: _cuboid,
        CategoryAnnotation: _category,
        MultiCategoryAnnotation: _multicategory,
        SceneCategoryAnnotation: _scene_category,
        SegmentationAnnotation: _segmentation,
        UnknownAnnotation: _unknown,
        BoxPrediction: _with_confidence(_box),
        LinePrediction: _with_confidence(_line),
        PolygonPrediction: _with_confidence(_polygon),
        KeypointsPrediction: _with_confidence(_keypoints),
        CuboidPrediction: _with_confidence(_cuboid),
        CategoryPrediction: _with_confidence(_category),
        SceneCategoryPrediction: _with_confidence(_scene_category, class_pdf=False),
        SegmentationPrediction: _segmentation,
        UnknownPrediction: _unknown,
        Segment: _segment,
        CameraParams: _camera_params,
        DatasetItem: dataset_item_payload,
        Frame: _frame,
        Track: _track,
        LidarScene: _lidar_scene,
        VideoScene: _video_scene,
        UploadResponse: _upload_response,
    }
