"""Geometry primitives: Point, Point3D, LidarPoint, Quaternion and Keypoint."""

from __future__ import annotations

from typing import Any

import attrs

from .._errors import ValidationError
from .base import check_number, check_optional_number
from .wire_unit import WireUnit

__all__ = ["Keypoint", "LidarPoint", "Point", "Point3D", "Quaternion"]


def _check_fields(obj: Any, names: tuple[str, ...], owner: str | None = None) -> None:
    # Frozen classes: write back only when a numpy-like value was converted.
    for name in names:
        value = getattr(obj, name)
        checked = check_number(value, name, owner)
        if checked is not value:
            object.__setattr__(obj, name, checked)


@attrs.frozen
class Point(WireUnit):
    """A point in 2D space.

    Parameters:
        x (float): The x coordinate of the point.
        y (float): The y coordinate of the point.
    """

    x: float
    y: float

    def __attrs_post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raises ``ValidationError`` unless both coordinates are finite numbers."""
        _check_fields(self, ("x", "y"))


@attrs.frozen
class Point3D(WireUnit):
    """A point in 3D space.

    Parameters:
        x (float): The x coordinate of the point.
        y (float): The y coordinate of the point.
        z (float): The z coordinate of the point.
    """

    x: float
    y: float
    z: float

    def __attrs_post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raises ``ValidationError`` unless every coordinate is a finite number."""
        _check_fields(self, ("x", "y", "z"))

    def to_list(self) -> list[float]:
        """``[x, y, z]``."""
        return [self.x, self.y, self.z]


@attrs.frozen
class LidarPoint(Point3D):
    """A lidar point: a point in 3D space with an intensity ``i``.

    Parameters:
        x (float): The x coordinate of the point.
        y (float): The y coordinate of the point.
        z (float): The z coordinate of the point.
        i (float): The intensity value returned by the lidar scan point.
    """

    i: float

    def validate(self) -> None:
        """Raises ``ValidationError`` unless every value is a finite number."""
        _check_fields(self, ("x", "y", "z", "i"))

    def to_list(self) -> list[float]:
        """``[x, y, z, i]``."""
        return [self.x, self.y, self.z, self.i]


@attrs.frozen
class Quaternion(WireUnit):
    """Quaternion objects are used to represent rotation.

    We use the Hamilton/right-handed quaternion convention, where ``i^2 = j^2 = k^2 = ijk = -1``.
    The quaternion represented by the tuple ``(x, y, z, w)`` is equal to ``w + x*i + y*j + z*k``.

    Parameters:
        x (float): The x value.
        y (float): The y value.
        z (float): The z value.
        w (float): The w value.
    """

    x: float
    y: float
    z: float
    w: float

    def __attrs_post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raises ``ValidationError`` unless every component is a finite number."""
        _check_fields(self, ("x", "y", "z", "w"))


@attrs.frozen
class Keypoint(WireUnit):
    """A 2D point that has an additional visibility flag.

    Keypoints are intended to be part of a larger collection, and connected via a pre-defined
    skeleton. A keypoint in this skeleton may be visible or not-visible, and may be unlabeled and
    not visible. Because of this, the x, y coordinates may be optional, assuming that the keypoint
    is not visible, and would not be shown as part of the combined label.

    Parameters:
        x (Optional[float]): The x coordinate of the point.
        y (Optional[float]): The y coordinate of the point.
        visible (bool): The visibility of the point.
    """

    x: float | None = None
    y: float | None = None
    visible: bool = True

    def __attrs_post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raises ``ValidationError`` for bad coordinates or a visible point without them."""
        for name in ("x", "y"):
            value = getattr(self, name)
            checked = check_optional_number(value, name, None)
            if checked is not value:
                object.__setattr__(self, name, checked)
        if not isinstance(self.visible, bool):
            raise ValidationError(
                f"must be a bool, got {type(self.visible).__name__}", field="visible"
            )
        if self.visible and (self.x is None or self.y is None):
            raise ValidationError(
                "Visible keypoints must have non-None x and y coordinates", field="visible"
            )
