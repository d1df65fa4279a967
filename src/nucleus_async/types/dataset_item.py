"""DatasetItem: one image or pointcloud with its metadata."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from typing import Any

import attrs

from .._errors import ValidationError
from .._json import dumps_text
from ._codec import codec
from ._reading import check_unless_read
from .base import (
    JSONDict,
    check_finite_vector,
    check_mapping,
    is_local_path,
    metadata_or_empty,
)
from .camera import CameraParams
from .wire_unit import WireUnit

__all__ = ["DatasetItem", "DatasetItemEmbeddingInfo", "DatasetItemType"]

CAMERA_PARAMS_KEY = "camera_params"


class DatasetItemType(str, enum.Enum):
    """What a dataset item holds."""

    IMAGE = "image"
    POINTCLOUD = "pointcloud"


@attrs.frozen
class DatasetItemEmbeddingInfo(WireUnit):
    """A custom embedding for an image item: the index it belongs to and the vector."""

    index_id: str
    embedding_vector: list[float]

    def __attrs_post_init__(self) -> None:
        check_unless_read(self)

    def validate(self, obj: str | None = None) -> None:
        """Raises ``ValidationError`` for a non-string index id or a non-finite vector."""
        if type(self.index_id) is not str:
            raise ValidationError(
                f"must be a string, got {self.index_id!r}", field="embedding_info.index_id", obj=obj
            )
        if self.embedding_vector is None:
            raise ValidationError("is required", field="embedding_info.embedding_vector", obj=obj)
        check_finite_vector(self.embedding_vector, "embedding_info.embedding_vector", obj)


def _embedding_info(value: Any) -> DatasetItemEmbeddingInfo | None:
    if value is None:  # the common case, without an ABC instance check per item
        return None
    if isinstance(value, Mapping):
        return DatasetItemEmbeddingInfo(value.get("index_id"), value.get("embedding_vector"))  # type: ignore[arg-type]
    return value  # type: ignore[no-any-return]


def _validated_later(value: str | None) -> str:
    return value  # type: ignore[return-value]


@attrs.define(on_setattr=attrs.setters.NO_OP)
class DatasetItem(WireUnit):
    """A dataset item is an image or pointcloud that has associated metadata.

    Note: for 3D data, please include a :class:`CameraParams` payload under a key named
    ``"camera_params"`` within the metadata dictionary. This will allow for projecting 3D
    annotations to any image within a scene.

    Parameters:
        image_location (Optional[str]): Required if pointcloud_location is not present: the
          location containing the image for the given row of data. This can be a local path, or
          a remote URL (``http://``, ``https://``, ``s3://``, ``gs://``).
        reference_id (str): A user-specified identifier to reference the item (required).
        metadata (Optional[dict]): Extra information about the particular dataset item. ints,
          floats, string values will be made searchable in the query bar by the key in this dict.
        pointcloud_location (Optional[str]): Required if image_location is not present: the
          remote URL containing the pointcloud JSON.
        embedding_info (Optional[DatasetItemEmbeddingInfo]): A custom embedding of the image
          (``{"index_id", "embedding_vector"}``); not allowed with a pointcloud.
        width (Optional[int]): Width of the image in pixels (required in privacy mode).
        height (Optional[int]): Height of the image in pixels (required in privacy mode).
        phash (Optional[str]): Perceptual hash the service computes (not compared).
        upload_to_scale (Optional[bool]): Keyword-only. Set this to false in order to use
          privacy mode: the image itself is not uploaded to Scale, so its location may be a
          link only certain users can open. Only images can skip the upload, and they need
          ``width`` and ``height``. Left out (``None``), the dataset's privacy mode decides and
          the payload is the official client's.
        dataset_item_id (Optional[str]): The server-assigned id (keyword-only, not compared).
    """

    image_location: str | None = None
    # Typed ``str``: ``validate()`` refuses None, so readers never see it.
    reference_id: str = attrs.field(default=None, converter=_validated_later)
    metadata: dict[str, Any] = attrs.field(default=None, converter=metadata_or_empty)
    pointcloud_location: str | None = None
    embedding_info: DatasetItemEmbeddingInfo | None = attrs.field(
        default=None, converter=_embedding_info
    )
    width: int | None = None
    height: int | None = None
    phash: str | None = attrs.field(default=None, eq=False)
    # An upload instruction, not data of the item: the service never sends it back.
    upload_to_scale: bool | None = attrs.field(default=None, kw_only=True, eq=False)
    dataset_item_id: str | None = attrs.field(default=None, kw_only=True, eq=False)
    #: Keys the server sent that this type does not know (never sent back).
    extra: JSONDict | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_unless_read(self)

    def validate(self) -> None:
        """Raises ``ValidationError`` unless the item can be uploaded.

        Checks: a reference id; exactly one of image/pointcloud location; no embedding with a
        pointcloud; dict metadata; positive integer width/height; valid ``camera_params``.
        """
        ref = self.reference_id
        metadata = self.metadata
        width, height = self.width, self.height
        # The common item (an image with a plain id and metadata, no embedding) in one test:
        # this runs at construction and again at upload, for every item of a million.
        if (
            type(ref) is str
            and ref
            and type(self.image_location) is str
            and self.image_location
            and self.pointcloud_location is None
            and self.embedding_info is None
            and self.upload_to_scale is None
            and type(metadata) is dict
            and CAMERA_PARAMS_KEY not in metadata
            and (width is None or (type(width) is int and width >= 0))
            and (height is None or (type(height) is int and height >= 0))
        ):
            return
        self._validate_fully(ref)

    def _validate_fully(self, ref: str) -> None:
        if type(ref) is not str or not ref:
            raise ValidationError(
                f"reference_id is required (a non-empty string), got {ref!r}",
                field="reference_id",
                obj=self.image_location or self.pointcloud_location,
            )
        image, pointcloud = self.image_location, self.pointcloud_location
        if bool(image) == bool(pointcloud):
            raise ValidationError(
                "Must specify exactly one of the image_location or pointcloud_location parameters",
                field="image_location",
                obj=ref,
            )
        location_field = "image_location" if image else "pointcloud_location"
        if type(image or pointcloud) is not str:
            raise ValidationError(
                f"must be a string, got {type(image or pointcloud).__name__}",
                field=location_field,
                obj=ref,
            )
        if self.embedding_info is not None:
            if pointcloud:
                raise ValidationError(
                    "Cannot upload embedding vector if pointcloud_location is set",
                    field="embedding_info",
                    obj=ref,
                )
            if not isinstance(self.embedding_info, DatasetItemEmbeddingInfo):
                raise ValidationError(
                    "must be a DatasetItemEmbeddingInfo or a dict",
                    field="embedding_info",
                    obj=ref,
                )
            self.embedding_info.validate(ref)
        metadata = self.metadata
        if type(metadata) is not dict:
            if metadata is None:
                self.metadata = metadata = {}
            else:
                check_mapping(metadata, "metadata", ref)
        for name in ("width", "height"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 0):
                raise ValidationError(
                    f"must be a non-negative int, got {value!r}", field=name, obj=ref
                )
        if metadata and metadata.get(CAMERA_PARAMS_KEY):
            self.camera_params  # noqa: B018 -- parsing is the check
        if self.upload_to_scale is not None:
            self._check_upload_to_scale(ref)

    def _check_upload_to_scale(self, ref: str) -> None:
        if type(self.upload_to_scale) is not bool:
            raise ValidationError(
                f"must be a bool or None, got {self.upload_to_scale!r}",
                field="upload_to_scale",
                obj=ref,
            )
        if self.upload_to_scale:
            return
        if not self.image_location:
            raise ValidationError(
                "Skipping upload to Scale is currently only implemented for images",
                field="upload_to_scale",
                obj=ref,
            )
        if not self.width or not self.height:
            raise ValidationError(
                "an item that is not uploaded to Scale (privacy mode) needs width and height",
                field="upload_to_scale",
                obj=ref,
            )

    @property
    def type(self) -> DatasetItemType:
        """``IMAGE`` or ``POINTCLOUD``."""
        return DatasetItemType.IMAGE if self.image_location else DatasetItemType.POINTCLOUD

    @property
    def location(self) -> str:
        """The image location, or the pointcloud location."""
        return (self.image_location or self.pointcloud_location) or ""

    @property
    def is_local(self) -> bool:
        """True when the location is a local file (scheme not http, https, s3 or gs)."""
        return is_local_path(self.location)

    @property
    def local(self) -> bool | None:
        """As in the official client: ``is_local`` for images, ``None`` for pointclouds."""
        return is_local_path(self.image_location) if self.image_location else None

    def local_file_exists(self) -> bool:
        """True when the image location is an existing local file."""
        return bool(self.image_location) and os.path.isfile(self.image_location or "")

    @property
    def camera_params(self) -> CameraParams | None:
        """The ``camera_params`` of the metadata, parsed (``ValidationError`` if invalid)."""
        raw = self.metadata.get(CAMERA_PARAMS_KEY) if self.metadata else None
        if not raw:
            return None
        if isinstance(raw, CameraParams):
            raise ValidationError(
                "metadata must hold camera_params.to_payload(), not the object itself",
                field="metadata.camera_params",
                obj=self.reference_id,
            )
        if not isinstance(raw, Mapping):
            raise ValidationError(
                f"must be a dict, got {type(raw).__name__}",
                field="metadata.camera_params",
                obj=self.reference_id,
            )
        try:
            return CameraParams.from_json(raw)
        except ValidationError as exc:
            raise ValidationError(
                str(exc), field=f"metadata.camera_params.{exc.field}", obj=self.reference_id
            ) from None

    def to_payload(self, is_scene: bool = False) -> JSONDict:
        """Serializes the item; ``is_scene=True`` gives the form used inside scenes."""
        return codec().item_payload(self, is_scene)

    def to_json(self) -> str:
        """Serializes the item (``is_scene=False`` form) to a JSON string."""
        return dumps_text(self.to_payload())
