"""Validation of annotation fields (ids, label, metadata, numbers, vertices, keypoints, segments).

Shared by the annotation types and, through subclassing, the prediction types: each
``validate()`` calls these checks, which raise ``ValidationError`` or convert accepted input
(dict vertices, keypoints and segments) in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .._errors import ValidationError
from .base import check_json_finite, check_mapping, check_number
from .geometry import Keypoint, Point, Point3D
from .segment import Segment

__all__ = [
    "FAST_NUMBERS",
    "as_point3d",
    "check_common",
    "check_keypoints",
    "check_optional_str",
    "check_segmentation",
    "check_vertices",
    "set_numbers",
]

T = TypeVar("T")


def check_optional_str(value: Any, field: str, obj: str | None) -> None:
    if value is not None and type(value) is not str:
        raise ValidationError(f"must be a string or None, got {value!r}", field=field, obj=obj)


_MISSING: Any = object()


def check_common(unit: Any) -> str:
    """Checks shared by every annotation; returns the owner's reference id for messages."""
    ref = unit.reference_id
    if type(ref) is not str or not ref:
        label = getattr(unit, "label", None)
        raise ValidationError(
            f"must be a non-empty string, got {ref!r}",
            field="reference_id",
            obj=f"{type(unit).__name__}(label={label!r})",
        )
    label = getattr(unit, "label", _MISSING)
    if label is not _MISSING and type(label) is not str:
        raise ValidationError(f"must be a string, got {label!r}", field="label", obj=ref)
    metadata = getattr(unit, "metadata", _MISSING)
    if type(metadata) is not dict and metadata is not _MISSING:
        if metadata is None:  # set to None after construction: sent as {} like at construction
            unit.metadata = {}
        else:
            check_mapping(metadata, "metadata", ref)
    if metadata:
        check_json_finite(metadata, "metadata", ref)
    ann_id = getattr(unit, "annotation_id", None)
    track = getattr(unit, "track_reference_id", None)
    task = getattr(unit, "_task_id", None)
    if not (
        (ann_id is None or type(ann_id) is str)
        and (track is None or type(track) is str)
        and (task is None or type(task) is str)
    ):
        check_optional_str(ann_id, "annotation_id", ref)
        check_optional_str(track, "track_reference_id", ref)
        check_optional_str(task, "task_id", ref)
    return ref


FAST_NUMBERS = frozenset({int, float})


def set_numbers(unit: Any, names: tuple[str, ...], obj: str | None) -> None:
    for name in names:
        value = getattr(unit, name)
        checked = check_number(value, name, obj)
        if checked is not value:
            setattr(unit, name, checked)


def _as_point(vertex: Any, index: int, obj: str | None) -> Point:
    if type(vertex) is Point:
        return vertex
    if isinstance(vertex, Point):
        return vertex
    if isinstance(vertex, Mapping):
        if "x" not in vertex or "y" not in vertex:
            raise ValidationError(
                "Use a point object to pass in vertices. For example, "
                "vertices=[nucleus.Point(x=1, y=2)]; a dict vertex needs both 'x' and 'y'",
                field=f"vertices[{index}]",
                obj=obj,
            )
        return Point(vertex["x"], vertex["y"])
    raise ValidationError(
        f"must be a Point or a dict with 'x' and 'y', got {type(vertex).__name__}",
        field=f"vertices[{index}]",
        obj=obj,
    )


def as_point3d(value: Any, field: str, obj: str | None) -> Point3D:
    if isinstance(value, Point3D):
        return value
    if isinstance(value, Mapping):
        try:
            return Point3D(value["x"], value["y"], value["z"])
        except KeyError as exc:
            raise ValidationError(f"missing coordinate {exc}", field=field, obj=obj) from None
    raise ValidationError(f"must be a Point3D, got {type(value).__name__}", field=field, obj=obj)


def check_vertices(unit: Any, obj: str | None) -> None:
    vertices = unit.vertices
    if not isinstance(vertices, (list, tuple)):
        raise ValidationError(
            f"must be a list of Points, got {type(vertices).__name__}", field="vertices", obj=obj
        )
    for vertex in vertices:
        if type(vertex) is not Point:
            unit.vertices = [_as_point(v, i, obj) for i, v in enumerate(vertices)]
            return


def _coerced(
    values: list[Any] | tuple[Any, ...],
    cls: type[T],
    from_mapping: Callable[[Mapping[str, Any]], T],
    field: str,
    obj: str | None,
) -> list[T]:
    """``values`` as a list of ``cls``: instances kept, mappings built with ``from_mapping``."""
    converted: list[T] = []
    for index, value in enumerate(values):
        if isinstance(value, cls):
            converted.append(value)
        elif isinstance(value, Mapping):
            converted.append(from_mapping(value))
        else:
            raise ValidationError(
                f"must be a {cls.__name__}, got {type(value).__name__}",
                field=f"{field}[{index}]",
                obj=obj,
            )
    return converted


def _keypoint_of(value: Mapping[str, Any]) -> Keypoint:
    return Keypoint(value.get("x"), value.get("y"), value.get("visible", True))


def check_keypoints(unit: Any, ref: str | None) -> None:
    keypoints = unit.keypoints
    names = unit.names
    if not isinstance(keypoints, (list, tuple)):
        raise ValidationError("must be a list of Keypoints", field="keypoints", obj=ref)
    if not isinstance(names, (list, tuple)):
        raise ValidationError("must be a list of strings", field="names", obj=ref)
    if any(type(k) is not Keypoint for k in keypoints):
        unit.keypoints = _coerced(keypoints, Keypoint, _keypoint_of, "keypoints", ref)
    if len(keypoints) != len(names):
        raise ValidationError(
            "The list of keypoints must be the same length as the list of names "
            f"({len(keypoints)} keypoints, {len(names)} names)",
            field="names",
            obj=ref,
        )
    seen: set[Any] = set()
    for name in names:
        if name in seen:
            raise ValidationError(
                f"The keypoint name '{name}' is repeated in the list of names",
                field="names",
                obj=ref,
            )
        seen.add(name)
    skeleton = unit.skeleton
    if skeleton is None:
        return
    if not isinstance(skeleton, (list, tuple)):
        raise ValidationError("must be a list of [i, j] index pairs", field="skeleton", obj=ref)
    max_index = len(keypoints) - 1
    for segment in skeleton:
        if not isinstance(segment, (list, tuple)) or len(segment) != 2:
            raise ValidationError(
                "The keypoints skeleton must contain a list of line segments with exactly "
                f"2 indices, got {segment!r}",
                field="skeleton",
                obj=ref,
            )
        for index in segment:
            if type(index) is not int or index > max_index:
                raise ValidationError(
                    f"The skeleton index {index!r} is not a valid keypoint index",
                    field="skeleton",
                    obj=ref,
                )


def check_segmentation(unit: Any) -> None:
    ref = check_common(unit)
    if not unit.mask_url or type(unit.mask_url) is not str:
        raise ValidationError("You must specify a mask_url.", field="mask_url", obj=ref)
    segments = unit.annotations
    if not isinstance(segments, (list, tuple)):
        raise ValidationError("must be a list of Segments", field="annotations", obj=ref)
    if any(type(s) is not Segment for s in segments):
        unit.annotations = _coerced(segments, Segment, Segment.from_json, "annotations", ref)
    for index, segment in enumerate(unit.annotations):
        if segment.metadata:  # a dict that may have been changed since the segment was built
            check_json_finite(segment.metadata, f"annotations[{index}].metadata", ref)
