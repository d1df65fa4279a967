"""Structure hooks: builds every annotation, prediction, item and scene from the server's JSON.

Unknown keys are kept in the unit's ``extra`` mapping; a missing required key raises
``KeyError``, which :meth:`nucleus_async._wire.converter.WireConverter.structure` turns into a
``ValidationError``. :func:`structure_hooks` is the class -> hook table the converter dispatches on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._errors import ValidationError
from ..types.annotations import (
    Annotation,
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
from ..types.dataset_item import DatasetItem, DatasetItemEmbeddingInfo
from ..types.geometry import Keypoint, LidarPoint, Point, Point3D, Quaternion
from ..types.predictions import (
    BoxPrediction,
    CategoryPrediction,
    CuboidPrediction,
    KeypointsPrediction,
    LinePrediction,
    PolygonPrediction,
    Prediction,
    SceneCategoryPrediction,
    SegmentationPrediction,
    UnknownPrediction,
)
from ..types.responses import DatasetInfo, UploadResponse
from ..types.scenes import Frame, LidarScene, Track, VideoScene
from ..types.segment import Segment

__all__ = ["StructureHook", "lidar_scene", "structure_hooks"]

JSONDict = dict[str, Any]
StructureHook = Callable[[Mapping[str, Any], Any], Any]


def _extra(payload: Mapping[str, Any], known: frozenset[str]) -> JSONDict | None:
    if known.issuperset(payload):
        return None
    return {key: value for key, value in payload.items() if key not in known}


_COMMON = frozenset(
    {"label", "type", "geometry", "reference_id", "annotation_id", "metadata", "task_id"}
)
_OBJECT_KEYS = _COMMON | {"embedding_vector", "track_reference_id"}
_PREDICTION_KEYS = frozenset({"confidence", "class_pdf"})
_CATEGORY_KEYS = _COMMON | {"labels", "taxonomy_name", "track_reference_id"}
_SEGMENTATION_KEYS = frozenset({"type", "mask_url", "annotations", "annotation_id", "reference_id"})


def _geometry(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return d.get("geometry") or {}


def _metadata(d: Mapping[str, Any]) -> Any:
    return d.get("metadata") or {}


def make_box(prediction: bool) -> StructureHook:
    known = _OBJECT_KEYS | _PREDICTION_KEYS if prediction else _OBJECT_KEYS

    def hook(d: Mapping[str, Any], cls: Any) -> Any:
        g = _geometry(d)
        kwargs = {
            "label": d.get("label", ""),
            "x": g.get("x", 0),
            "y": g.get("y", 0),
            "width": g.get("width", 0),
            "height": g.get("height", 0),
            "reference_id": d["reference_id"],
            "annotation_id": d.get("annotation_id"),
            "metadata": _metadata(d),
            "embedding_vector": d.get("embedding_vector"),
            "track_reference_id": d.get("track_reference_id"),
            "extra": _extra(d, known),
        }
        if prediction:
            kwargs["confidence"] = d.get("confidence")
            kwargs["class_pdf"] = d.get("class_pdf")
        else:
            kwargs["_task_id"] = d.get("task_id")
        return cls(**kwargs)

    return hook


def _point(v: Mapping[str, Any]) -> Point:
    return Point(v["x"], v["y"])


def make_vertices(prediction: bool, polygon: bool) -> StructureHook:
    known = _OBJECT_KEYS | _PREDICTION_KEYS if prediction else _OBJECT_KEYS

    def hook(d: Mapping[str, Any], cls: Any) -> Any:
        kwargs = {
            "label": d.get("label", ""),
            "vertices": [_point(v) for v in _geometry(d).get("vertices", [])],
            "reference_id": d["reference_id"],
            "annotation_id": d.get("annotation_id"),
            "metadata": _metadata(d),
            "track_reference_id": d.get("track_reference_id"),
            "extra": _extra(d, known),
        }
        if polygon:
            kwargs["embedding_vector"] = d.get("embedding_vector")
        if prediction:
            kwargs["confidence"] = d.get("confidence")
            kwargs["class_pdf"] = d.get("class_pdf")
        else:
            kwargs["_task_id"] = d.get("task_id")
        return cls(**kwargs)

    return hook


def _keypoint(k: Mapping[str, Any]) -> Keypoint:
    return Keypoint(k.get("x"), k.get("y"), bool(k["visible"]))


def make_keypoints(prediction: bool) -> StructureHook:
    known = _OBJECT_KEYS | _PREDICTION_KEYS if prediction else _OBJECT_KEYS

    def hook(d: Mapping[str, Any], cls: Any) -> Any:
        g = _geometry(d)
        kwargs = {
            "label": d.get("label", ""),
            "keypoints": [_keypoint(k) for k in g.get("keypoints", [])],
            "names": g["names"],
            "skeleton": g.get("skeleton"),
            "reference_id": d["reference_id"],
            "annotation_id": d.get("annotation_id"),
            "metadata": _metadata(d),
            "track_reference_id": d.get("track_reference_id"),
            "extra": _extra(d, known),
        }
        if prediction:
            kwargs["confidence"] = d.get("confidence")
            kwargs["class_pdf"] = d.get("class_pdf")
        else:
            kwargs["_task_id"] = d.get("task_id")
        return cls(**kwargs)

    return hook


def _p3(v: Mapping[str, Any]) -> Point3D:
    return Point3D(v["x"], v["y"], v["z"])


def make_cuboid(prediction: bool) -> StructureHook:
    known = _OBJECT_KEYS | _PREDICTION_KEYS if prediction else _OBJECT_KEYS

    def hook(d: Mapping[str, Any], cls: Any) -> Any:
        g = _geometry(d)
        kwargs = {
            "label": d.get("label", ""),
            "position": _p3(g["position"]),
            "dimensions": _p3(g["dimensions"]),
            "yaw": g.get("yaw", 0),
            "reference_id": d["reference_id"],
            "annotation_id": d.get("annotation_id"),
            "metadata": _metadata(d),
            "track_reference_id": d.get("track_reference_id"),
            "extra": _extra(d, known),
        }
        if prediction:
            kwargs["confidence"] = d.get("confidence")
            kwargs["class_pdf"] = d.get("class_pdf")
        else:
            kwargs["_task_id"] = d.get("task_id")
        return cls(**kwargs)

    return hook


def make_category(prediction: bool, scene: bool = False, multi: bool = False) -> StructureHook:
    known = _CATEGORY_KEYS | _PREDICTION_KEYS if prediction else _CATEGORY_KEYS

    def hook(d: Mapping[str, Any], cls: Any) -> Any:
        kwargs: JSONDict = {
            "reference_id": d["reference_id"],
            "taxonomy_name": d.get("taxonomy_name"),
            "metadata": _metadata(d),
            "extra": _extra(d, known),
        }
        if multi:
            kwargs["labels"] = d["labels"]
        else:
            # Annotations require a label; predictions default it to 0, as the service may.
            kwargs["label"] = d.get("label", "") if prediction else d["label"]
        if not scene:
            kwargs["track_reference_id"] = d.get("track_reference_id")
        if prediction:
            kwargs["confidence"] = d.get("confidence")
            if not scene:
                kwargs["class_pdf"] = d.get("class_pdf")
        else:
            kwargs["_task_id"] = d.get("task_id")
        return cls(**kwargs)

    return hook


def _structure_segment(d: Mapping[str, Any], cls: Any) -> Any:
    return cls(label=d.get("label", ""), index=d.get("index"), metadata=d.get("metadata"))


def _structure_segmentation(d: Mapping[str, Any], cls: Any) -> Any:
    return cls(
        mask_url=d["mask_url"],
        annotations=[_structure_segment(s, Segment) for s in d.get("annotations") or []],
        reference_id=d["reference_id"],
        annotation_id=d.get("annotation_id"),
        extra=_extra(d, _SEGMENTATION_KEYS),
    )


def make_union(
    table: Mapping[str, type],
    segmentation: type,
    unknown: type,
    hooks: Mapping[type, StructureHook],
) -> StructureHook:
    """Tagged union on ``type``; masks by tag or by ``mask_url``; anything else is kept raw.
    ``hooks`` is the class -> hook table the member types are structured with."""

    def hook(d: Mapping[str, Any], _: Any) -> Any:
        kind = d.get("type")
        cls = table.get(kind) if isinstance(kind, str) else None
        if cls is None:
            if kind in ("mask", "segmentation") or (kind is None and "mask_url" in d):
                cls = segmentation
            else:
                return unknown(kind, dict(d))
        return hooks[cls](d, cls)

    return hook


_ITEM_KEYS = frozenset(
    {
        "processed_url",
        "image_url",
        "original_image_url",
        "pointcloud_url",
        "url",
        "type",
        "ref_id",
        "reference_id",
        "metadata",
        "embedding_info",
        "width",
        "height",
        "phash",
        "dataset_item_id",
        "id",
        "camera_params",
    }
)


def _structure_item(d: Mapping[str, Any], cls: Any) -> Any:
    image = d.get("processed_url") or d.get("image_url") or d.get("original_image_url")
    pointcloud = d.get("pointcloud_url")
    url = d.get("url")
    if url and not image and not pointcloud:
        # Scene items come back as {"url", "type"}; older answers carry no type.
        kind = d.get("type")
        if kind == "pointcloud" or (kind is None and url.rsplit(".", 1)[-1].lower() == "json"):
            pointcloud = url
        else:
            image = url
    return cls(
        image_location=image,
        reference_id=d["ref_id"] if "ref_id" in d else d.get("reference_id"),
        metadata=_metadata(d),
        pointcloud_location=pointcloud,
        embedding_info=d.get("embedding_info"),
        width=d.get("width"),
        height=d.get("height"),
        phash=d.get("phash"),
        dataset_item_id=d.get("dataset_item_id") or d.get("id"),
        extra=_extra(d, _ITEM_KEYS),
    )


_CAMERA_REQUIRED = ("position", "heading", "fx", "fy", "cx", "cy")


def _structure_camera(d: Mapping[str, Any], cls: Any) -> Any:
    missing = [key for key in _CAMERA_REQUIRED if key not in d]
    if missing:
        raise ValidationError(
            "The following fields must be present in the camera_params dictionary: "
            f"{sorted(_CAMERA_REQUIRED)} (missing {missing})",
            field=missing[0],
        )
    heading = d["heading"]
    return cls(
        _p3(d["position"]),
        Quaternion(heading["x"], heading["y"], heading["z"], heading["w"]),
        d["fx"],
        d["fy"],
        d["cx"],
        d["cy"],
        d.get("camera_model"),
        d.get("k1"),
        d.get("k2"),
        d.get("k3"),
        d.get("k4"),
        d.get("p1"),
        d.get("p2"),
    )


def _structure_track(d: Mapping[str, Any], cls: Any) -> Any:
    return cls(
        dataset_id=d.get("dataset_id"), reference_id=d["reference_id"], metadata=d.get("metadata")
    )


def _structure_frame(d: Mapping[str, Any], cls: Any) -> Any:
    return cls(**{sensor: _structure_item(item, DatasetItem) for sensor, item in d.items()})


def lidar_scene(d: Mapping[str, Any], cls: Any, skip_validate: bool = False) -> Any:
    """A ``LidarScene`` (subclass ``cls``); ``skip_validate`` is handed to its constructor."""
    return cls(
        reference_id=d["reference_id"],
        frames=[_structure_frame(frame, Frame) for frame in d.get("frames") or []],
        metadata=_metadata(d),
        tracks=[_structure_track(t, Track) for t in d.get("tracks") or []],
        skip_validate=skip_validate,
    )


def _structure_lidar(d: Mapping[str, Any], cls: Any) -> Any:
    return lidar_scene(d, cls)


def _structure_video(d: Mapping[str, Any], cls: Any) -> Any:
    upload_to_scale = d.get("upload_to_scale")
    return cls(
        reference_id=d["reference_id"],
        frame_rate=d.get("frame_rate"),
        video_location=d.get("video_url"),
        items=[_structure_item(item, DatasetItem) for item in d.get("frames") or []],
        metadata=_metadata(d),
        tracks=[_structure_track(t, Track) for t in d.get("tracks") or []],
        use_privacy_mode=upload_to_scale is False,
    )


_INFO_REQUIRED = ("dataset_id", "name", "length", "model_run_ids", "slice_ids")
_INFO_KEYS = frozenset(
    {*_INFO_REQUIRED, "annotation_metadata_schema", "item_metadata_schema", "tags"}
)


def _structure_info(d: Mapping[str, Any], cls: Any) -> Any:
    return cls(
        *(d[key] for key in _INFO_REQUIRED),
        annotation_metadata_schema=d.get("annotation_metadata_schema"),
        item_metadata_schema=d.get("item_metadata_schema"),
        tags=d.get("tags"),
        extra=_extra(d, _INFO_KEYS),
    )


def _structure_flat(*required: str, optional: tuple[str, ...] = ()) -> StructureHook:
    def hook(d: Mapping[str, Any], cls: Any) -> Any:
        return cls(*(d[key] for key in required), *(d.get(key) for key in optional))

    return hook


def _structure_keypoint(d: Mapping[str, Any], cls: Any) -> Any:
    return cls(d.get("x"), d.get("y"), bool(d["visible"]))


def _structure_unknown(d: Mapping[str, Any], cls: Any) -> Any:
    return cls(d.get("type"), dict(d))


def _structure_upload_response(d: Mapping[str, Any], cls: Any) -> Any:
    return cls(d)


def structure_hooks() -> dict[type, StructureHook]:
    """A fresh class -> structure hook table of every data type (exact classes, unions too)."""
    hooks: dict[type, StructureHook] = {
        BoxAnnotation: make_box(False),
        LineAnnotation: make_vertices(False, polygon=False),
        PolygonAnnotation: make_vertices(False, polygon=True),
        KeypointsAnnotation: make_keypoints(False),
        CuboidAnnotation: make_cuboid(False),
        CategoryAnnotation: make_category(False),
        MultiCategoryAnnotation: make_category(False, multi=True),
        SceneCategoryAnnotation: make_category(False, scene=True),
        SegmentationAnnotation: _structure_segmentation,
        BoxPrediction: make_box(True),
        LinePrediction: make_vertices(True, polygon=False),
        PolygonPrediction: make_vertices(True, polygon=True),
        KeypointsPrediction: make_keypoints(True),
        CuboidPrediction: make_cuboid(True),
        CategoryPrediction: make_category(True),
        SceneCategoryPrediction: make_category(True, scene=True),
        SegmentationPrediction: _structure_segmentation,
        UnknownAnnotation: _structure_unknown,
        UnknownPrediction: _structure_unknown,
        Point: _structure_flat("x", "y"),
        Point3D: _structure_flat("x", "y", "z"),
        LidarPoint: _structure_flat("x", "y", "z", "i"),
        Quaternion: _structure_flat("x", "y", "z", "w"),
        Keypoint: _structure_keypoint,
        Segment: _structure_segment,
        CameraParams: _structure_camera,
        DatasetItem: _structure_item,
        DatasetItemEmbeddingInfo: _structure_flat("index_id", "embedding_vector"),
        Frame: _structure_frame,
        Track: _structure_track,
        LidarScene: _structure_lidar,
        VideoScene: _structure_video,
        DatasetInfo: _structure_info,
        UploadResponse: _structure_upload_response,
    }
    hooks[Annotation] = make_union(
        {
            "box": BoxAnnotation,
            "line": LineAnnotation,
            "polygon": PolygonAnnotation,
            "keypoints": KeypointsAnnotation,
            "cuboid": CuboidAnnotation,
            "category": CategoryAnnotation,
            "multicategory": MultiCategoryAnnotation,
        },
        SegmentationAnnotation,
        UnknownAnnotation,
        hooks,
    )
    hooks[Prediction] = make_union(
        {
            "box": BoxPrediction,
            "line": LinePrediction,
            "polygon": PolygonPrediction,
            "keypoints": KeypointsPrediction,
            "cuboid": CuboidPrediction,
            "category": CategoryPrediction,
        },
        SegmentationPrediction,
        UnknownPrediction,
        hooks,
    )
    return hooks
