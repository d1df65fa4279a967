"""Decoding of export answers: training-export rows and Scale task info rows (reference 1.11).

Shared by the dataset and slice exports. An export row is
``{"item": <item JSON>, "box": [...], "polygon": [...], ..., "segmentation": <one or null>}``;
the objects inside carry no reference id (the row's item gives it) and need no ``type`` (the
key gives it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .types import (
    Annotation,
    BoxAnnotation,
    BoxPrediction,
    CategoryAnnotation,
    CategoryPrediction,
    CuboidAnnotation,
    CuboidPrediction,
    DatasetItem,
    KeypointsAnnotation,
    KeypointsPrediction,
    LineAnnotation,
    LinePrediction,
    MultiCategoryAnnotation,
    PolygonAnnotation,
    PolygonPrediction,
    SegmentationAnnotation,
    SegmentationPrediction,
)

__all__ = ["convert_export_row", "convert_export_rows", "scale_task_info_rows"]

#: Export row key -> (annotation class, prediction class), in the order the service lists them.
#: Multicategory has no prediction type: such rows always hold annotations.
_ROW_TYPES: dict[str, tuple[type[Annotation], type[Annotation]]] = {
    "polygon": (PolygonAnnotation, PolygonPrediction),
    "line": (LineAnnotation, LinePrediction),
    "keypoints": (KeypointsAnnotation, KeypointsPrediction),
    "box": (BoxAnnotation, BoxPrediction),
    "cuboid": (CuboidAnnotation, CuboidPrediction),
    "category": (CategoryAnnotation, CategoryPrediction),
    "multicategory": (MultiCategoryAnnotation, MultiCategoryAnnotation),
}


def convert_export_row(row: Mapping[str, Any], *, predictions: bool = False) -> dict[str, Any]:
    """One export row → ``{"item": DatasetItem, "annotations" | "predictions": {type: ...}}``.

    ``segmentation`` maps to a single object; every other type to a list. Types absent from
    the row (or empty) are absent from the result.
    """
    item = DatasetItem.from_json(row["item"])
    ref = item.reference_id
    grouped: dict[str, Any] = {}
    segmentation = row.get("segmentation")
    if segmentation is not None:
        segmentation_cls = SegmentationPrediction if predictions else SegmentationAnnotation
        grouped["segmentation"] = segmentation_cls.from_json({**segmentation, "reference_id": ref})
    for key, (annotation_cls, prediction_cls) in _ROW_TYPES.items():
        entries = row.get(key) or []
        if entries:
            cls = prediction_cls if predictions else annotation_cls
            grouped[key] = [cls.from_json({**entry, "reference_id": ref}) for entry in entries]
    return {"item": item, "predictions" if predictions else "annotations": grouped}


def convert_export_rows(
    rows: Iterable[Mapping[str, Any]], *, predictions: bool = False
) -> list[dict[str, Any]]:
    """Every row of an export (see :func:`convert_export_row`)."""
    return [convert_export_row(row, predictions=predictions) for row in rows]


def scale_task_info_rows(response: Any) -> Any:
    """``exportScaleTaskInfo`` answer → ``[{"item": DatasetItem, "scale_task_info": ...}, ...]``.

    Scene rows are returned as sent; an answer without ``exportedScaleTaskInfoRows`` is
    returned unchanged (the service reports problems that way).
    """
    if not isinstance(response, Mapping) or "exportedScaleTaskInfoRows" not in response:
        return response
    result: list[dict[str, Any]] = []
    for row in response["exportedScaleTaskInfoRows"]:
        if "item" in row:
            result.append(
                {
                    "item": DatasetItem.from_json(row["item"]),
                    "scale_task_info": row.get("scale_task_info"),
                }
            )
        elif "scene" in row:
            result.append(dict(row))
    return result
