"""CameraParams: a camera's pose and intrinsics, stored in item metadata under ``camera_params``."""

from __future__ import annotations

import enum

import attrs

from .._errors import ValidationError
from .base import check_number, check_optional_number
from .geometry import Point3D, Quaternion
from .wire_unit import WireUnit

__all__ = ["CameraModels", "CameraParams"]


class CameraModels(str, enum.Enum):
    """Distortion models the service understands."""

    BROWN_CONRADY = "brown_conrady"
    FISHEYE = "fisheye"


_CAMERA_MODELS = frozenset(model.value for model in CameraModels)
_INTRINSICS = ("fx", "fy", "cx", "cy")
#: Distortion coefficients, sent only when truthy (a coefficient of 0 is omitted).
DISTORTION_KEYS = ("k1", "k2", "k3", "k4", "p1", "p2")


@attrs.frozen
class CameraParams(WireUnit):
    """Camera position/heading used to record the image.

    Parameters:
        position (:class:`Point3D`): World-normalized position of the camera
        heading (:class:`Quaternion`): Vector4 indicating the quaternion of the camera direction;
          note that the z-axis of the camera frame represents the camera's optical axis.
        fx (float): Focal length in x direction (in pixels).
        fy (float): Focal length in y direction (in pixels).
        cx (float): Principal point x value.
        cy (float): Principal point y value.
        camera_model (Optional[str]): Distortion model name when present
          (``"brown_conrady"`` or ``"fisheye"``).
        k1, k2, k3, k4, p1, p2 (Optional[float]): Distortion coefficients when present.
    """

    position: Point3D
    heading: Quaternion
    fx: float
    fy: float
    cx: float
    cy: float
    camera_model: str | None = None
    k1: float | None = None
    k2: float | None = None
    k3: float | None = None
    k4: float | None = None
    p1: float | None = None
    p2: float | None = None

    def __attrs_post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raises ``ValidationError`` for a wrong pose type, a bad number or an unknown model."""
        if not isinstance(self.position, Point3D):
            raise ValidationError(
                f"must be a Point3D, got {type(self.position).__name__}", field="position"
            )
        if not isinstance(self.heading, Quaternion):
            raise ValidationError(
                f"must be a Quaternion, got {type(self.heading).__name__}", field="heading"
            )
        for name in _INTRINSICS:
            value = getattr(self, name)
            checked = check_number(value, name, None)
            if checked is not value:
                object.__setattr__(self, name, checked)
        for name in DISTORTION_KEYS:
            value = getattr(self, name)
            checked_opt = check_optional_number(value, name, None)
            if checked_opt is not value:
                object.__setattr__(self, name, checked_opt)
        model = self.camera_model
        if model is not None and model not in _CAMERA_MODELS:
            raise ValidationError(
                f'Invalid Camera Model {model!r}, the supported options are "brown_conrady" '
                'and "fisheye"',
                field="camera_model",
            )
