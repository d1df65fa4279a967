"""Annotations and predictions grouped by type, as the service's read answers carry them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .types import (
    BoxPrediction,
    CategoryPrediction,
    CuboidPrediction,
    DatasetItem,
    KeypointsPrediction,
    LinePrediction,
    PolygonPrediction,
    Prediction,
    SegmentationPrediction,
    annotation_from_json,
    prediction_from_json,
)

__all__ = ["group_annotations", "item_with_annotations", "predictions_by_type"]

# Predictions-by-type answers name the type by key; multicategory has no prediction class.
_PREDICTION_CLASSES: dict[str, type[Prediction]] = {
    "box": BoxPrediction,
    "line": LinePrediction,
    "polygon": PolygonPrediction,
    "keypoints": KeypointsPrediction,
    "cuboid": CuboidPrediction,
    "category": CategoryPrediction,
    "segmentation": SegmentationPrediction,
}


def group_annotations(raw: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Convert ``{"box": [...], ...}`` from the server into annotation objects, by type."""
    grouped: dict[str, list[Any]] = {}
    for kind, entries in raw.items():
        if entries is None:
            continue
        if isinstance(entries, Mapping):
            entries = [entries]
        grouped[kind] = [annotation_from_json(entry) for entry in entries]
    return grouped


def item_with_annotations(response: Mapping[str, Any]) -> dict[str, Any]:
    """``{"item": DatasetItem, "annotations": {type: [Annotation]}}`` from a read answer."""
    if "item" not in response or "annotations" not in response:
        raise ValueError(f"Expected 'item' and 'annotations' in the answer: {response!r:.300}")
    return {
        "item": DatasetItem.from_json(response["item"]),
        "annotations": group_annotations(response["annotations"] or {}),
    }


def predictions_by_type(response: Any) -> dict[str, list[Prediction]]:
    """Convert a predictions-by-type answer ``{"annotations": {type: [...]}}`` into objects.

    An answer without predictions gives ``{}``. A flat ``predictions`` list (each entry with
    its ``type``) is grouped by type. Unknown types are kept as ``UnknownPrediction``.
    """
    if not isinstance(response, Mapping):
        return {}
    by_type = response.get("annotations")
    grouped: dict[str, list[Prediction]] = {}
    if by_type:
        for kind, entries in by_type.items():
            if entries is None:
                continue
            if isinstance(entries, Mapping):
                entries = [entries]
            cls = _PREDICTION_CLASSES.get(kind)
            grouped[kind] = [
                cls.from_json(e) if cls is not None else prediction_from_json(e) for e in entries
            ]
        return grouped
    for entry in response.get("predictions") or []:
        prediction = prediction_from_json(entry)
        kind = (
            "segmentation"
            if isinstance(prediction, SegmentationPrediction)
            else str(entry.get("type"))
        )
        grouped.setdefault(kind, []).append(prediction)
    return grouped
