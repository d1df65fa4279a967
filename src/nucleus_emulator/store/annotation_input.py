"""Annotation and prediction payloads checked into `AnnotationInput`s (kind, identity, label).

Identity follows the service: geometric types share one namespace per item (`annotation_id`;
a null id never collides), category and multicategory have one unit per (item, taxonomy), and
segmentation one per item (see `identity_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GEOMETRIC_KINDS = frozenset({"box", "line", "polygon", "keypoints", "cuboid"})
CATEGORY_KINDS = frozenset({"category", "multicategory"})
_TYPE_TO_KIND = {
    "box": "box",
    "line": "line",
    "polygon": "polygon",
    "keypoints": "keypoints",
    "cuboid": "cuboid",
    "category": "category",
    "multicategory": "multicategory",
    "mask": "segmentation",
    "segmentation": "segmentation",
}


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 6x (one per unit)
class AnnotationInput:
    """A validated unit: where it goes, its identity, and the payload to store verbatim."""

    kind: str
    reference_id: str
    identity: str | None
    annotation_id: str | None
    label: str | None
    taxonomy_name: str | None
    track_reference_id: str | None
    task_id: str | None
    payload: dict[str, Any]
    blob: str | None = None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _point_error(point: Any, keys: Sequence[str]) -> bool:
    if not isinstance(point, dict):
        return True
    for key in keys:
        value = point.get(key)
        kind = type(value)
        if kind is not float and kind is not int and not _is_number(value):  # fast path first
            return True
    return False


def _geometry_error(kind: str, payload: dict[str, Any]) -> str | None:
    geometry = payload.get("geometry")
    if kind == "segmentation":
        mask_url = payload.get("mask_url")
        if not isinstance(mask_url, str) or not mask_url:
            return "segmentation needs a mask_url"
        segments = payload.get("annotations", [])
        if not isinstance(segments, list) or any(not isinstance(s, dict) for s in segments):
            return "segmentation annotations must be a list of segments"
        return None
    if not isinstance(geometry, dict):
        return f"{kind} annotation needs a geometry object"
    if kind == "box":
        if _point_error(geometry, ("x", "y", "width", "height")):
            return "box geometry needs numeric x, y, width and height"
    elif kind in ("line", "polygon"):
        vertices = geometry.get("vertices")
        if not isinstance(vertices, list) or any(_point_error(v, ("x", "y")) for v in vertices):
            return f"{kind} geometry needs vertices with numeric x and y"
    elif kind == "keypoints":
        keypoints, names = geometry.get("keypoints"), geometry.get("names")
        if not isinstance(keypoints, list) or not isinstance(names, list):
            return "keypoints geometry needs keypoints and names lists"
        if len(keypoints) != len(names):
            return "keypoints and names must have the same length"
    elif kind == "cuboid":
        for key in ("position", "dimensions"):
            if _point_error(geometry.get(key), ("x", "y", "z")):
                return f"cuboid geometry needs a {key} with numeric x, y and z"
    return None


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def parse_unit(
    payload: Any, *, segmentation: bool = False, prediction: bool = False
) -> AnnotationInput | str:
    """An `AnnotationInput`, or the reason the payload is not a valid annotation/prediction."""
    if not isinstance(payload, dict):
        return "Annotation payload must be a JSON object"
    ref = payload.get("reference_id")
    if not isinstance(ref, str) or not ref:
        return "Annotation is missing a reference_id"
    if segmentation:
        kind: str | None = "segmentation"
    else:
        raw_type = payload.get("type")
        kind = _TYPE_TO_KIND.get(raw_type) if isinstance(raw_type, str) else None
    if kind is None:
        return f"Unknown annotation type {payload.get('type')!r}"
    if prediction and kind == "multicategory":
        return "multicategory predictions are not supported"
    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "metadata must be an object"
    problem = _geometry_error(kind, payload)
    if problem:
        return problem
    label: str | None = None
    if kind == "multicategory":
        labels = payload.get("labels")
        if not isinstance(labels, list) or any(not isinstance(x, str) for x in labels):
            return "multicategory annotation needs labels (a list of strings)"
    elif kind != "segmentation":
        raw_label = payload.get("label")
        if kind == "category" and not isinstance(raw_label, str):
            return "category annotation needs a label"
        label = _optional_str(raw_label)
    if prediction:
        confidence = payload.get("confidence")
        if confidence is not None and not _is_number(confidence):
            return "confidence must be a number"
        class_pdf = payload.get("class_pdf")
        if class_pdf is not None and not isinstance(class_pdf, dict):
            return "class_pdf must be an object"
    taxonomy = payload.get("taxonomy_name")
    if taxonomy is not None and not isinstance(taxonomy, str):
        return "taxonomy_name must be a string"
    annotation_id = _optional_str(payload.get("annotation_id"))
    return AnnotationInput(
        kind=kind,
        reference_id=ref,
        identity=identity_of(kind, annotation_id, taxonomy),
        annotation_id=annotation_id,
        label=label,
        taxonomy_name=taxonomy if kind in CATEGORY_KINDS else None,
        track_reference_id=_optional_str(payload.get("track_reference_id")),
        task_id=_optional_str(payload.get("task_id")),
        payload=payload,
    )


def identity_of(kind: str, annotation_id: str | None, taxonomy: str | None) -> str | None:
    """The uniqueness key within (scope, target); None never collides (a fresh unit)."""
    if kind in GEOMETRIC_KINDS:
        return None if annotation_id is None else "geometry\x1f" + annotation_id
    if kind in CATEGORY_KINDS:  # the default (null) taxonomy differs from a named one
        return kind + "\x1f" + ("" if taxonomy is None else "=" + taxonomy)
    return "segmentation"
