"""Model prediction types: each subclasses its annotation type and adds confidence/class_pdf."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._codec import codec
from .base import JSONDict, check_confidence, check_json_finite, check_mapping, metadata_or_empty
from .geometry import Keypoint, Point, Point3D
from .segment import Segment

from .annotations import (  # isort: skip
    Annotation,
    BoxAnnotation,
    CategoryAnnotation,
    CuboidAnnotation,
    DuplicateKey,
    NO_ANNOTATION_ID,
    KeypointsAnnotation,
    LineAnnotation,
    PolygonAnnotation,
    SceneCategoryAnnotation,
    SegmentationAnnotation,
    UnknownAnnotation,
)

__all__ = [
    "BoxPrediction",
    "CategoryPrediction",
    "CuboidPrediction",
    "KeypointsPrediction",
    "LinePrediction",
    "PolygonPrediction",
    "Prediction",
    "SceneCategoryPrediction",
    "SegmentationPrediction",
    "UnknownPrediction",
    "prediction_from_json",
]


class Prediction(Annotation):
    """Base class of every prediction type (predictions never carry a task id)."""

    __slots__ = ()

    def validate(self) -> None:
        """Re-checks the object, including ``confidence`` in [0, 1] and ``class_pdf``."""
        super().validate()
        ref = self.reference_id
        confidence = getattr(self, "confidence", None)
        # A float in [0, 1] (NaN fails both comparisons) or None needs no call: this runs for
        # every prediction of a 100,000-box upload.
        if not (confidence is None or (type(confidence) is float and 0.0 <= confidence <= 1.0)):
            checked = check_confidence(confidence, ref)
            if checked is not confidence:
                setattr(self, "confidence", checked)  # noqa: B010 -- not on every subclass
        class_pdf = getattr(self, "class_pdf", None)
        if class_pdf is not None:
            check_mapping(class_pdf, "class_pdf", ref)
            check_json_finite(class_pdf, "class_pdf", ref)

    def duplicate_key(self) -> DuplicateKey | None:
        """``(annotation_id, reference_id)`` for types with an annotation id, else ``None``."""
        annotation_id = getattr(self, "annotation_id", NO_ANNOTATION_ID)
        if annotation_id is NO_ANNOTATION_ID:
            return None
        return (annotation_id, self.reference_id)


def _no_task_id() -> Any:
    return attrs.field(default=None, init=False, repr=False)


@attrs.define(on_setattr=attrs.setters.NO_OP)
class BoxPrediction(Prediction, BoxAnnotation):
    """Prediction of a bounding box.

    Parameters:
        label (str): The label for this annotation (e.g. car, pedestrian, bicycle)
        x (Union[float, int]): The distance, in pixels, between the left border of the bounding
          box and the left border of the image.
        y (Union[float, int]): The distance, in pixels, between the top border of the bounding
          box and the top border of the image.
        width (Union[float, int]): The width in pixels of the annotation.
        height (Union[float, int]): The height in pixels of the annotation.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        confidence (Optional[float]): 0-1 indicating the confidence of the prediction.
        annotation_id (Optional[str]): The annotation ID (default
          ``f"{label}-{x}-{y}-{width}-{height}-{reference_id}"``).
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach.
        class_pdf (Optional[Dict]): An optional complete class probability distribution on this
          annotation.
        embedding_vector (Optional[List]): Custom embedding vector for this object annotation.
        track_reference_id (Optional[str]): A unique string to identify the prediction as part
          of a group.
    """

    label: str
    x: float
    y: float
    width: float
    height: float
    reference_id: str
    confidence: float | None = None
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    class_pdf: dict[str, float] | None = None
    embedding_vector: list[float] | None = None
    track_reference_id: str | None = None
    _task_id: str | None = _no_task_id()


@attrs.define(on_setattr=attrs.setters.NO_OP)
class LinePrediction(Prediction, LineAnnotation):
    """Prediction of a line.

    Parameters:
        label (str): The label for this prediction (e.g. car, pedestrian, bicycle).
        vertices (List[:class:`Point`]): The list of points making up the line.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        confidence (Optional[float]): 0-1 indicating the confidence of the prediction.
        annotation_id (Optional[str]): The annotation ID.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach.
        class_pdf (Optional[Dict]): An optional complete class probability distribution.
        track_reference_id (Optional[str]): A unique string to identify the prediction as part
          of a group.
    """

    label: str
    vertices: list[Point]
    reference_id: str
    confidence: float | None = None
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    class_pdf: dict[str, float] | None = None
    track_reference_id: str | None = None
    _task_id: str | None = _no_task_id()


@attrs.define(on_setattr=attrs.setters.NO_OP)
class PolygonPrediction(Prediction, PolygonAnnotation):
    """Prediction of a polygon.

    Parameters:
        label (str): The label for this annotation (e.g. car, pedestrian, bicycle).
        vertices (List[:class:`Point`]): The list of points making up the polygon.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        confidence (Optional[float]): 0-1 indicating the confidence of the prediction.
        annotation_id (Optional[str]): The annotation ID.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach.
        class_pdf (Optional[Dict]): An optional complete class probability distribution.
        embedding_vector (Optional[List]): Custom embedding vector for this object annotation.
        track_reference_id (Optional[str]): A unique string to identify the prediction as part
          of a group.
    """

    label: str
    vertices: list[Point]
    reference_id: str
    confidence: float | None = None
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    class_pdf: dict[str, float] | None = None
    embedding_vector: list[float] | None = None
    track_reference_id: str | None = None
    _task_id: str | None = _no_task_id()


@attrs.define(on_setattr=attrs.setters.NO_OP)
class KeypointsPrediction(Prediction, KeypointsAnnotation):
    """Prediction of keypoints.

    Parameters:
        label (str): The label for this annotation (e.g. car, pedestrian, bicycle).
        keypoints (List[:class:`Keypoint`]): The list of keypoints objects.
        names (List[str]): A list that corresponds to the names of each keypoint.
        skeleton (List[List[int]]): A list of 2-length lists indicating a beginning and ending
          index for each line segment in the skeleton of this keypoint label.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        confidence (Optional[float]): 0-1 indicating the confidence of the prediction.
        annotation_id (Optional[str]): The annotation ID (default
          ``f"{label}-{reference_id}-keypoints"``).
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach.
        class_pdf (Optional[Dict]): An optional complete class probability distribution.
        track_reference_id (Optional[str]): A unique string to identify the prediction as part
          of a group.
    """

    label: str
    keypoints: list[Keypoint]
    names: list[str]
    skeleton: list[list[int]] | None
    reference_id: str
    confidence: float | None = None
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    class_pdf: dict[str, float] | None = None
    track_reference_id: str | None = None
    _task_id: str | None = _no_task_id()


@attrs.define(on_setattr=attrs.setters.NO_OP)
class CuboidPrediction(Prediction, CuboidAnnotation):
    """A prediction of 3D cuboid.

    Parameters:
        label (str): The label for this annotation (e.g. car, pedestrian, bicycle)
        position (:class:`Point3D`): The point at the center of the cuboid
        dimensions (:class:`Point3D`): The length (x), width (y), and height (z) of the cuboid
        yaw (float): The rotation, in radians, about the Z axis of the cuboid
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        confidence (Optional[float]): 0-1 indicating the confidence of the prediction.
        annotation_id (Optional[str]): The annotation ID.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach.
        class_pdf (Optional[Dict]): An optional complete class probability distribution.
        track_reference_id (Optional[str]): A unique string to identify the prediction as part
          of a group.
    """

    label: str
    position: Point3D
    dimensions: Point3D
    yaw: float
    reference_id: str
    confidence: float | None = None
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    class_pdf: dict[str, float] | None = None
    track_reference_id: str | None = None
    _task_id: str | None = _no_task_id()


@attrs.define(on_setattr=attrs.setters.NO_OP)
class CategoryPrediction(Prediction, CategoryAnnotation):
    """A prediction of a category.

    Parameters:
        label: The label for this annotation (e.g. car, pedestrian, bicycle).
        reference_id: The reference ID of the image you wish to apply this annotation to.
        taxonomy_name: The name of the taxonomy this annotation conforms to.
        confidence: 0-1 indicating the confidence of the prediction.
        metadata: Arbitrary key/value dictionary of info to attach to this annotation.
        class_pdf: An optional complete class probability distribution on this prediction.
        track_reference_id: A unique string to identify the prediction as part of a group.
    """

    label: str
    reference_id: str
    taxonomy_name: str | None = None
    confidence: float | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    class_pdf: dict[str, float] | None = None
    track_reference_id: str | None = None
    _task_id: str | None = _no_task_id()


@attrs.define(on_setattr=attrs.setters.NO_OP)
class SceneCategoryPrediction(Prediction, SceneCategoryAnnotation):
    """A prediction of a category for a scene.

    Parameters:
        label: The label for this annotation (e.g. action, subject, scenario).
        reference_id: The reference ID of the scene you wish to apply this annotation to.
        taxonomy_name: The name of the taxonomy this annotation conforms to.
        confidence: 0-1 indicating the confidence of the prediction.
        metadata: Arbitrary key/value dictionary of info to attach to this annotation.
    """

    label: str
    reference_id: str
    taxonomy_name: str | None = None
    confidence: float | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    _task_id: str | None = _no_task_id()


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class SegmentationPrediction(Prediction, SegmentationAnnotation):
    """Predicted segmentation mask on a 2D image.

    Parameters:
        mask_url (str): A URL pointing to the segmentation prediction mask which is accessible
          to Scale (or a path to a local PNG file).
        annotations (List[:class:`Segment`]): The list of mappings between the integer values
          contained in mask_url and string class labels.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        annotation_id (Optional[str]): Stored and returned on export.
    """

    mask_url: str
    annotations: list[Segment]
    reference_id: str
    annotation_id: str | None = None


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class UnknownPrediction(Prediction, UnknownAnnotation):
    """A prediction of a type this SDK does not know; ``payload`` is kept and re-sent as is."""

    type: str | None
    payload: JSONDict

    def validate(self) -> None:
        """Nothing to check: the payload is the server's own."""

    def duplicate_key(self) -> DuplicateKey | None:
        """Unknown types are never checked for duplicates."""
        return None


def prediction_from_json(payload: Mapping[str, Any]) -> Prediction:
    """Builds the prediction type named by ``payload["type"]``.

    ``mask``/``segmentation`` (or no type but a ``mask_url``) give a
    :class:`SegmentationPrediction`; a type this SDK does not know gives an
    :class:`UnknownPrediction` that keeps the raw payload.
    """
    return codec().structure(payload, Prediction)
