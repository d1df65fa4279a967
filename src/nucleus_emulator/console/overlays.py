"""Overlays: the shapes an item page draws from stored annotation and prediction payloads.

Payloads are read as stored (verbatim from the upload), so coordinates are drawn exactly as
sent: boxes in normalised coordinates show as a speck in the corner, swapped x/y as a box in the
wrong place. A shape whose geometry cannot be drawn (a cuboid, a malformed payload) is listed
as not drawn with the reason, never silently dropped.
"""

from __future__ import annotations

import colorsys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Kinds drawn as SVG shapes (the others are labels, masks or not drawable in 2D).
SHAPE_KINDS = ("box", "polygon", "line", "keypoints")


def label_colour(label: str | None) -> str:
    """A stable colour per label (`#rrggbb`): the same label has the same colour everywhere."""
    hue = (zlib.crc32((label or "").encode("utf-8")) % 360) / 360
    red, green, blue = colorsys.hls_to_rgb(hue, 0.5, 0.75)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def rgb_of(colour: str) -> tuple[int, int, int]:
    """`(r, g, b)` of a `#rrggbb` colour."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@dataclass(frozen=True)
class Keypoint:
    x: float
    y: float
    visible: bool
    name: str


@dataclass(frozen=True)
class Shape:
    """One drawable unit in image pixels: a box (`x`, `y`, `width`, `height`), a polygon or a
    line (`points`), or keypoints (`keypoints` and their skeleton `edges`)."""

    kind: str
    unit_id: str
    label: str
    colour: str
    title: str
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    points: tuple[tuple[float, float], ...] = ()
    keypoints: tuple[Keypoint, ...] = ()
    edges: tuple[tuple[int, int], ...] = ()

    @property
    def points_text(self) -> str:
        """The `points` attribute of an SVG polygon or polyline."""
        return " ".join(f"{x:g},{y:g}" for x, y in self.points)

    def extent(self) -> tuple[float, float]:
        """The largest x and y the shape reaches."""
        xs = [self.x + self.width, *(p[0] for p in self.points), *(k.x for k in self.keypoints)]
        ys = [self.y + self.height, *(p[1] for p in self.points), *(k.y for k in self.keypoints)]
        return max(xs), max(ys)


@dataclass(frozen=True)
class Mask:
    """A segmentation unit: its stored file (None when only a remote `mask_url` is known)."""

    unit_id: str
    stored: bool
    location: str
    segments: tuple[tuple[int, str, str], ...]  # (index, label, colour)


@dataclass
class Layer:
    """Ground truth, or one model run's predictions: what the item page draws and lists."""

    id: str
    title: str
    is_prediction: bool
    shapes: list[Shape] = field(default_factory=list)
    categories: list[tuple[str, str]] = field(default_factory=list)  # (label, colour)
    masks: list[Mask] = field(default_factory=list)
    not_drawn: list[str] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)

    def add(self, unit_id: str, kind: str, payload: dict[str, Any], stored_blob: bool) -> None:
        """Add a stored unit: drawn as a shape, shown as a label or mask, or listed as not drawn."""
        self.payloads.append(payload)
        if kind in ("category", "multicategory"):
            labels = payload.get("labels") if kind == "multicategory" else [payload.get("label")]
            for label in labels or []:
                text = str(label)
                self.categories.append((text, label_colour(text)))
            return
        if kind == "segmentation":
            self.masks.append(_mask(unit_id, payload, stored_blob))
            return
        if kind not in SHAPE_KINDS:
            self.not_drawn.append(f"{kind} {_name(payload)}: not drawn in 2D")
            return
        try:
            self.shapes.append(_shape(unit_id, kind, payload))
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            self.not_drawn.append(f"{kind} {_name(payload)}: malformed geometry ({exc})")


def canvas_size(
    layers: Iterable[Layer], width: int | None, height: int | None
) -> tuple[float, float]:
    """The drawing's size: the image's when known, else what every shape reaches (plus room)."""
    if width and height:
        return float(width), float(height)
    reach = [shape.extent() for layer in layers for shape in layer.shapes]
    if not reach:
        return 640.0, 480.0
    return (
        max(100.0, 1.1 * max(r[0] for r in reach)),
        max(100.0, 1.1 * max(r[1] for r in reach)),
    )


def _name(payload: dict[str, Any]) -> str:
    label = payload.get("label")
    annotation_id = payload.get("annotation_id")
    parts = [str(label) if label is not None else "(no label)"]
    if annotation_id is not None:
        parts.append(f"[{annotation_id}]")
    return " ".join(parts)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def _xy(point: Any) -> tuple[float, float]:
    return _number(point["x"]), _number(point["y"])


def _title(payload: dict[str, Any]) -> str:
    title = _name(payload)
    confidence = payload.get("confidence")
    if isinstance(confidence, (int, float)):
        title += f" confidence {confidence:g}"
    return title


def _shape(unit_id: str, kind: str, payload: dict[str, Any]) -> Shape:
    geometry = payload.get("geometry") or {}
    label = str(payload.get("label") or "")
    common: dict[str, Any] = {
        "kind": kind,
        "unit_id": unit_id,
        "label": label,
        "colour": label_colour(label),
        "title": _title(payload),
    }
    if kind == "box":
        return Shape(
            **common,
            x=_number(geometry["x"]),
            y=_number(geometry["y"]),
            width=_number(geometry["width"]),
            height=_number(geometry["height"]),
        )
    if kind in ("polygon", "line"):
        return Shape(**common, points=tuple(_xy(v) for v in geometry.get("vertices") or []))
    names: Sequence[Any] = geometry.get("names") or []
    keypoints = tuple(
        Keypoint(
            *_xy(point),
            visible=bool(point.get("visible", True)),
            name=str(names[i]) if i < len(names) else str(i),
        )
        for i, point in enumerate(geometry.get("keypoints") or [])
    )
    edges = tuple(
        (int(a), int(b))
        for a, b in geometry.get("skeleton") or []
        if 0 <= int(a) < len(keypoints) and 0 <= int(b) < len(keypoints)
    )
    return Shape(**common, keypoints=keypoints, edges=edges)


def _mask(unit_id: str, payload: dict[str, Any], stored: bool) -> Mask:
    segments = []
    for segment in payload.get("annotations") or []:
        if isinstance(segment, dict) and isinstance(segment.get("index"), int):
            label = str(segment.get("label") or "")
            segments.append((segment["index"], label, label_colour(label)))
    return Mask(
        unit_id=unit_id,
        stored=stored,
        location=str(payload.get("mask_url") or ""),
        segments=tuple(segments),
    )
