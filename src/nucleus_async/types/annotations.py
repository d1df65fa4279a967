"""Ground-truth annotation types (box, line, polygon, keypoints, cuboid, category, mask)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs

from .._errors import LocalFileNotFoundError, ValidationError
from ._codec import codec
from ._reading import check_unless_read
from .annotation_checks import (
    FAST_NUMBERS,
    as_point3d,
    check_common,
    check_keypoints,
    check_optional_str,
    check_segmentation,
    check_vertices,
    set_numbers,
)
from .base import (
    JSONDict,
    check_finite_vector,
    check_json_finite,
    is_local_path,
    metadata_or_empty,
)
from .geometry import Keypoint, Point, Point3D
from .segment import Segment
from .wire_unit import WireUnit

__all__ = [
    "Annotation",
    "BoxAnnotation",
    "CategoryAnnotation",
    "CuboidAnnotation",
    "KeypointsAnnotation",
    "LineAnnotation",
    "MultiCategoryAnnotation",
    "PolygonAnnotation",
    "SceneCategoryAnnotation",
    "SegmentationAnnotation",
    "UnknownAnnotation",
    "annotation_from_json",
]

#: A duplicate-detection key (see ``Annotation.duplicate_key``).
DuplicateKey = tuple[Any, ...]
#: What ``duplicate_key`` reads on a type that has no annotation id.
NO_ANNOTATION_ID: Any = object()


class Annotation(WireUnit):
    """Base class of every annotation type (and, through subclassing, of every prediction)."""

    __slots__ = ()

    reference_id: str

    def validate(self) -> None:
        """Re-checks the object (it may have been mutated since construction)."""
        raise NotImplementedError

    def has_local_files_to_upload(self) -> bool:
        """Returns True if annotation has local files that need to be uploaded.

        Nearly all subclasses have no local files, so this defaults to False.
        """
        return False

    def duplicate_key(self) -> DuplicateKey | None:
        """The identity checked for duplicates before an ``annotate`` call.

        ``(reference_id, annotation_id, task_id)`` for types that have an annotation id,
        ``None`` for types that are never checked (categories).
        """
        # One lookup each, with a default (a 100,000-box list asks every box).
        annotation_id = getattr(self, "annotation_id", NO_ANNOTATION_ID)
        if annotation_id is NO_ANNOTATION_ID:
            return None
        return (self.reference_id, annotation_id, getattr(self, "_task_id", None))


class _TaskIdMixin:
    __slots__ = ()
    _task_id: str | None

    @property
    def task_id(self) -> str | None:
        """The private task id (``null`` on the wire unless set)."""
        return self._task_id


@attrs.define(on_setattr=attrs.setters.NO_OP)
class BoxAnnotation(_TaskIdMixin, Annotation):
    """A bounding box annotation.

    ::

        from nucleus_async import BoxAnnotation

        box = BoxAnnotation(
            label="car",
            x=0,
            y=0,
            width=10,
            height=10,
            reference_id="image_1",
            annotation_id="image_1_car_box_1",
            metadata={"vehicle_color": "red"},
            embedding_vector=[0.1423, 1.432, 3.829],
            track_reference_id="car_a",
        )

    Parameters:
        label (str): The label for this annotation.
        x (Union[float, int]): The distance, in pixels, between the left border of the bounding
          box and the left border of the image.
        y (Union[float, int]): The distance, in pixels, between the top border of the bounding
          box and the top border of the image.
        width (Union[float, int]): The width in pixels of the annotation.
        height (Union[float, int]): The height in pixels of the annotation.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        annotation_id (Optional[str]): The annotation ID that uniquely identifies this annotation
          within its target dataset item. Upon ingest, a matching annotation id will be ignored by
          default, and overwritten if update=True for dataset.annotate. If no annotation ID is
          passed, one will be automatically generated using the label, x, y, width, and height,
          so that you can make inserts idempotently as identical boxes will be ignored.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach to this
          annotation.
        embedding_vector: Custom embedding vector for this object annotation.
        track_reference_id: A unique string to identify the annotation as part of a group.
    """

    label: str
    x: float
    y: float
    width: float
    height: float
    reference_id: str
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    embedding_vector: list[float] | None = None
    track_reference_id: str | None = None
    _task_id: str | None = attrs.field(default=None, repr=False, alias="_task_id")
    #: Keys the server sent that this type does not know (never sent back).
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.annotation_id is None:
            self.annotation_id = (
                f"{self.label}-{self.x}-{self.y}-{self.width}-{self.height}-{self.reference_id}"
            )
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` for a non-finite or non-numeric geometry or bad ids."""
        ref, metadata = self.reference_id, self.metadata
        x, y, width, height = self.x, self.y, self.width, self.height
        # The common box (string ids and label, no metadata or embedding, plain finite
        # numbers) in one test: ``annotate`` checks every box of a 100,000-box list.
        if (
            type(ref) is str
            and ref
            and type(self.label) is str
            and type(metadata) is dict
            and not metadata
            and self.embedding_vector is None
            and type(self.annotation_id) is str
            and self.track_reference_id is None
            and self._task_id is None
            and type(x) in FAST_NUMBERS
            and type(y) in FAST_NUMBERS
            and type(width) in FAST_NUMBERS
            and type(height) in FAST_NUMBERS
            and x - x == y - y == width - width == height - height == 0
        ):
            return
        ref = check_common(self)
        # Fast path for plain finite numbers (x - x is NaN for NaN and infinity).
        if not (
            type(x) in FAST_NUMBERS
            and type(y) in FAST_NUMBERS
            and type(width) in FAST_NUMBERS
            and type(height) in FAST_NUMBERS
            and x - x == y - y == width - width == height - height == 0
        ):
            set_numbers(self, ("x", "y", "width", "height"), ref)
        if self.embedding_vector is not None:
            check_finite_vector(self.embedding_vector, "embedding_vector", ref)


@attrs.define(on_setattr=attrs.setters.NO_OP)
class LineAnnotation(_TaskIdMixin, Annotation):
    """A polyline annotation consisting of an ordered list of 2D points.

    A LineAnnotation differs from a PolygonAnnotation by not forming a closed loop, and by having
    zero area.

    Parameters:
        label (str): The label for this annotation.
        vertices (List[:class:`Point`]): The list of points making up the line (dicts with ``x``
          and ``y`` are converted).
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        annotation_id (Optional[str]): The annotation ID that uniquely identifies this annotation
          within its target dataset item.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach to this
          annotation.
        track_reference_id: A unique string to identify the annotation as part of a group.
    """

    label: str
    vertices: list[Point]
    reference_id: str
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    track_reference_id: str | None = None
    _task_id: str | None = attrs.field(default=None, repr=False, alias="_task_id")
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` for bad vertices or ids."""
        check_vertices(self, check_common(self))


@attrs.define(on_setattr=attrs.setters.NO_OP)
class PolygonAnnotation(_TaskIdMixin, Annotation):
    """A polygon annotation consisting of an ordered list of 2D points.

    Parameters:
        label (str): The label for this annotation.
        vertices (List[:class:`Point`]): The list of points making up the polygon (dicts with
          ``x`` and ``y`` are converted).
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        annotation_id (Optional[str]): The annotation ID that uniquely identifies this annotation
          within its target dataset item.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach to this
          annotation.
        embedding_vector: Custom embedding vector for this object annotation.
        track_reference_id: A unique string to identify the annotation as part of a group.
    """

    label: str
    vertices: list[Point]
    reference_id: str
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    embedding_vector: list[float] | None = None
    track_reference_id: str | None = None
    _task_id: str | None = attrs.field(default=None, repr=False, alias="_task_id")
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` for bad vertices, embedding or ids."""
        ref = check_common(self)
        check_vertices(self, ref)
        check_finite_vector(self.embedding_vector, "embedding_vector", ref)


@attrs.define(on_setattr=attrs.setters.NO_OP)
class KeypointsAnnotation(_TaskIdMixin, Annotation):
    """A keypoints annotation containing a list of keypoints and the structure of those
    keypoints: the naming of each point and the skeleton that connects those keypoints.

    Parameters:
        label (str): The label for this annotation.
        keypoints (List[:class:`Keypoint`]): The list of keypoints objects.
        names (List[str]): A list that corresponds to the names of each keypoint.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        skeleton (List[List[int]]): A list of 2-length lists indicating a beginning and ending
          index for each line segment in the skeleton of this keypoint label.
        annotation_id (Optional[str]): The annotation ID (default
          ``f"{label}-{reference_id}-keypoints"``).
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach to this
          annotation.
        track_reference_id: A unique string to identify the annotation as part of a group.
    """

    label: str
    keypoints: list[Keypoint]
    names: list[str]
    reference_id: str
    skeleton: list[list[int]] | None = None
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    track_reference_id: str | None = None
    _task_id: str | None = attrs.field(default=None, repr=False, alias="_task_id")
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.annotation_id is None:
            self.annotation_id = f"{self.label}-{self.reference_id}-keypoints"
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` when keypoints, names and skeleton do not match."""
        check_keypoints(self, check_common(self))


@attrs.define(on_setattr=attrs.setters.NO_OP)
class CuboidAnnotation(_TaskIdMixin, Annotation):
    """A 3D Cuboid annotation.

    Parameters:
        label (str): The label for this annotation.
        position (:class:`Point3D`): The point at the center of the cuboid
        dimensions (:class:`Point3D`): The length (x), width (y), and height (z) of the cuboid
        yaw (float): The rotation, in radians, about the Z axis of the cuboid
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        annotation_id (Optional[str]): The annotation ID that uniquely identifies this annotation
          within its target dataset item.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach to this
          annotation.
        track_reference_id: A unique string to identify the annotation as part of a group.
    """

    label: str
    position: Point3D
    dimensions: Point3D
    yaw: float
    reference_id: str
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    track_reference_id: str | None = None
    _task_id: str | None = attrs.field(default=None, repr=False, alias="_task_id")
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` for a bad position, dimensions or yaw."""
        ref = check_common(self)
        if type(self.position) is not Point3D:
            self.position = as_point3d(self.position, "position", ref)
        if type(self.dimensions) is not Point3D:
            self.dimensions = as_point3d(self.dimensions, "dimensions", ref)
        set_numbers(self, ("yaw",), ref)


@attrs.define(on_setattr=attrs.setters.NO_OP)
class CategoryAnnotation(_TaskIdMixin, Annotation):
    """A category annotation.

    Parameters:
        label (str): The label for this annotation.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        taxonomy_name (Optional[str]): The name of the taxonomy this annotation conforms to.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach to this
          annotation.
        track_reference_id: A unique string to identify the annotation as part of a group.
    """

    label: str
    reference_id: str
    taxonomy_name: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    track_reference_id: str | None = None
    _task_id: str | None = attrs.field(default=None, repr=False, alias="_task_id")
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` for bad ids or metadata."""
        ref = check_common(self)
        check_optional_str(self.taxonomy_name, "taxonomy_name", ref)


@attrs.define(on_setattr=attrs.setters.NO_OP)
class MultiCategoryAnnotation(_TaskIdMixin, Annotation):
    """A multi-category annotation: several labels of one taxonomy on one item.

    Parameters:
        labels (List[str]): The labels for this annotation.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        taxonomy_name (Optional[str]): The name of the taxonomy this annotation conforms to.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach.
        track_reference_id: A unique string to identify the annotation as part of a group.
    """

    labels: list[str]
    reference_id: str
    taxonomy_name: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    track_reference_id: str | None = None
    _task_id: str | None = attrs.field(default=None, repr=False, alias="_task_id")
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` for non-list labels, bad ids or metadata."""
        ref = check_common(self)
        if not isinstance(self.labels, (list, tuple)):
            raise ValidationError(
                f"must be a list of strings, got {type(self.labels).__name__}",
                field="labels",
                obj=ref,
            )
        check_optional_str(self.taxonomy_name, "taxonomy_name", ref)


@attrs.define(on_setattr=attrs.setters.NO_OP)
class SceneCategoryAnnotation(_TaskIdMixin, Annotation):
    """A scene category annotation (sent with ``type: "category"``; ``reference_id`` is a
    scene's reference id).

    Parameters:
        label (str): The label for this annotation.
        reference_id (str): User-defined ID of the scene to which to apply this annotation.
        taxonomy_name (Optional[str]): The name of the taxonomy this annotation conforms to.
        metadata: Arbitrary key/value dictionary of info to attach to this annotation.
    """

    label: str
    reference_id: str
    taxonomy_name: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict, converter=metadata_or_empty)
    _task_id: str | None = attrs.field(default=None, repr=False, alias="_task_id")
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` for bad ids or metadata."""
        ref = check_common(self)
        check_optional_str(self.taxonomy_name, "taxonomy_name", ref)


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class SegmentationAnnotation(Annotation):
    """A segmentation mask on a 2D image.

    Parameters:
        mask_url (str): A URL pointing to the segmentation mask which is accessible to Scale
          (or a path to a local PNG file).
        annotations (List[:class:`Segment`]): The list of mappings between the integer values
          contained in mask_url and string class labels.
        reference_id (str): User-defined ID of the image to which to apply this annotation.
        annotation_id (Optional[str]): Stored and returned on export; there is only one
          segmentation per dataset item regardless of the id.
        metadata (Optional[Dict]): Keyword-only; arbitrary key/value data about the mask as a
          whole (per-class data goes on each :class:`Segment`).
    """

    mask_url: str
    annotations: list[Segment]
    reference_id: str
    annotation_id: str | None = None
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty, kw_only=True)
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` for an empty ``mask_url`` or bad segments."""
        check_segmentation(self)

    def has_local_files_to_upload(self) -> bool:
        """True when ``mask_url`` is a local path (which must exist: ``FileNotFoundError``)."""
        if is_local_path(self.mask_url):
            if not os.path.isfile(self.mask_url):
                raise LocalFileNotFoundError(self.mask_url, "mask_url", self.reference_id)
            return True
        return False

    def __eq__(self, other: object) -> bool:
        # Segments compare regardless of order: the server may return them re-ordered.
        if not isinstance(other, SegmentationAnnotation):
            return NotImplemented
        return (
            self.annotation_id == other.annotation_id
            and self.mask_url == other.mask_url
            and self.reference_id == other.reference_id
            and sorted(self.annotations, key=Segment.sort_key)
            == sorted(other.annotations, key=Segment.sort_key)
        )

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class UnknownAnnotation(Annotation):
    """An annotation of a type this SDK does not know; ``payload`` is kept and re-sent as is."""

    type: str | None
    payload: JSONDict

    def validate(self) -> None:
        """The payload is the server's own; only NaN and infinity (which JSON cannot carry,
        though Python's reader accepts them) are refused, as for any other annotation."""
        if self.payload:
            check_json_finite(self.payload, "payload", None)

    @property
    def reference_id(self) -> str:  # type: ignore[override]
        """The ``reference_id`` of the payload, if any."""
        return self.payload.get("reference_id")  # type: ignore[return-value]

    def duplicate_key(self) -> DuplicateKey | None:
        """Unknown types are never checked for duplicates."""
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UnknownAnnotation) or type(other) is not type(self):
            return NotImplemented
        return self.type == other.type and self.payload == other.payload

    __hash__ = None  # type: ignore[assignment]


def annotation_from_json(payload: Mapping[str, Any]) -> Annotation:
    """Builds the annotation type named by ``payload["type"]``.

    ``mask``/``segmentation`` (or no type but a ``mask_url``) give a
    :class:`SegmentationAnnotation`; a type this SDK does not know gives an
    :class:`UnknownAnnotation` that keeps the raw payload.
    """
    return codec().structure(payload, Annotation)
