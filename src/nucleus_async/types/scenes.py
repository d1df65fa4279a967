"""Scenes: Frame (one time step of sensors), LidarScene, VideoScene, and their Track."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import attrs

from .._errors import ValidationError
from ._codec import codec
from .base import JSONDict, check_mapping, metadata_or_empty
from .dataset_item import DatasetItem, DatasetItemType
from .wire_unit import WireUnit

__all__ = ["Frame", "LidarScene", "Track", "VideoScene"]

_Scene = TypeVar("_Scene", bound="LidarScene")
_Video = TypeVar("_Video", bound="VideoScene")


def _check_unique_reference_ids(items: Iterable[DatasetItem], obj: str | None) -> None:
    counts: dict[Any, int] = {}
    for item in items:
        counts[item.reference_id] = counts.get(item.reference_id, 0) + 1
    duplicates = {f"{ref}": f"Count: {n}" for ref, n in counts.items() if n > 1}
    if duplicates:
        raise ValidationError(
            f"Duplicate reference IDs found among dataset_items: {duplicates}",
            field="reference_id",
            obj=obj,
        )


@attrs.define(on_setattr=attrs.setters.NO_OP)
class Track(WireUnit):
    """A track: a group of annotations/predictions of one object across items (data only)."""

    dataset_id: str
    reference_id: str
    metadata: dict[str, Any] | None = None


@attrs.define(init=False, on_setattr=attrs.setters.NO_OP)
class Frame(WireUnit):
    """Collection of sensor data pertaining to a single time step.

    For 3D data, each Frame houses a sensor-to-data mapping and must have exactly one pointcloud
    with any number of camera images.

    Parameters:
        **kwargs (Dict[str, :class:`DatasetItem`]): Mappings from sensor name to dataset item.
    """

    items: dict[str, DatasetItem]

    def __init__(self, **kwargs: DatasetItem) -> None:
        self.items = {}
        for sensor, item in kwargs.items():
            if not isinstance(item, DatasetItem):
                raise ValidationError(
                    f"All values must be DatasetItems, instead got type {type(item).__name__}",
                    field=sensor,
                )
            self.items[sensor] = item
        _check_unique_reference_ids(self.items.values(), None)

    def validate(self) -> None:
        """Re-checks every item and that reference ids are unique within the frame."""
        for item in self.items.values():
            item.validate()
        _check_unique_reference_ids(self.items.values(), None)

    def add_item(self, item: DatasetItem, sensor_name: str) -> None:
        """Adds DatasetItem object to frame as sensor data.

        Parameters:
            item (:class:`DatasetItem`): Pointcloud or camera image item to add.
            sensor_name: Name of the sensor, e.g. "lidar" or "front_cam."
        """
        self.items[sensor_name] = item

    def get_item(self, sensor_name: str) -> DatasetItem:
        """Fetches the DatasetItem object associated with the given sensor."""
        if sensor_name not in self.items:
            raise ValidationError(
                f"This frame does not have a {sensor_name} sensor", field="sensor_name"
            )
        return self.items[sensor_name]

    def get_items(self) -> list[DatasetItem]:
        """Fetches all items in the frame."""
        return list(self.items.values())

    def get_sensors(self) -> list[str]:
        """Fetches all sensor names of the frame."""
        return list(self.items)


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class LidarScene(WireUnit):
    """Sequence of lidar pointcloud and camera images over time.

    Parameters:
        reference_id (str): User-specified identifier to reference the scene.
        frames (Optional[List[:class:`Frame`]]): List of frames to be a part of the scene. A
          scene can be created before frames or items have been added to it, but must be
          non-empty when uploading to a :class:`Dataset`.
        metadata (Optional[Dict]): Optional metadata to include with the scene.
        tracks (Optional[List[Track]]): Tracks of the scene.
        skip_validate (bool): Skip the structural checks at construction.
    """

    reference_id: str
    frames: list[Frame] = attrs.field(factory=list)
    metadata: dict[str, Any] = attrs.field(factory=dict, converter=metadata_or_empty)
    tracks: list[Track] = attrs.field(factory=list)
    skip_validate: bool | None = False
    #: Frames by index: the truth behind ``frames`` (which is kept sorted by index).
    frames_dict: dict[int, Frame] = attrs.field(init=False, repr=False)
    sensors: dict[str, None] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self.frames_dict = dict(enumerate(self.frames))
        self.sensors = {}
        for frame in self.frames:
            if isinstance(frame, Frame):
                self.sensors.update(dict.fromkeys(frame.items))
        # A scene may be built empty and filled later; a non-empty one is checked at once.
        if self.frames and not self.skip_validate:
            self.validate()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LidarScene):
            return NotImplemented
        return (
            self.reference_id == other.reference_id
            and sorted(self.frames_dict.items(), key=_first)
            == sorted(other.frames_dict.items(), key=_first)
            and self.metadata == other.metadata
            and self.tracks == other.tracks
        )

    __hash__ = None  # type: ignore[assignment]

    def _sync(self) -> None:
        self.frames = self.get_frames()

    @property
    def length(self) -> int:
        """Number of frames in the scene."""
        return len(self.frames_dict)

    @property
    def num_sensors(self) -> int:
        """Number of sensors in the scene."""
        return len(self.sensors)

    def validate(self) -> None:
        """Raises ``ValidationError`` unless the scene can be uploaded.

        At least one frame; frames indexed 0..n-1; unique reference ids across the scene;
        exactly one sensor carries pointclouds, and each frame has exactly one pointcloud.
        """
        ref = self.reference_id
        if type(ref) is not str or not ref:
            raise ValidationError(f"must be a non-empty string, got {ref!r}", field="reference_id")
        check_mapping(self.metadata, "metadata", ref)
        if self.length == 0:
            raise ValidationError("Must have at least 1 frame in a scene", field="frames", obj=ref)
        all_items: list[DatasetItem] = []
        lidar_sensors: set[str] = set()
        for index, frame in self.frames_dict.items():
            if not isinstance(frame, Frame):
                raise ValidationError(
                    "Each frame in a scene must be a Frame object",
                    field=f"frames[{index}]",
                    obj=ref,
                )
            pointclouds = 0
            for sensor, item in frame.items.items():
                item.validate()
                all_items.append(item)
                if item.type is DatasetItemType.POINTCLOUD:
                    pointclouds += 1
                    lidar_sensors.add(sensor)
            if pointclouds != 1:
                raise ValidationError(
                    "Each frame of a lidar scene must have exactly 1 pointcloud",
                    field=f"frames[{index}]",
                    obj=ref,
                )
        if len(lidar_sensors) != 1:
            raise ValidationError(
                "Each lidar scene must have exactly one lidar sensor "
                f"(found {sorted(lidar_sensors)})",
                field="frames",
                obj=ref,
            )
        _check_unique_reference_ids(all_items, ref)
        self.validate_frames_dict()

    def validate_frames_dict(self) -> None:
        """Raises ``ValidationError`` unless frames are indexed 0..n-1 without gaps."""
        if set(self.frames_dict) != set(range(len(self.frames_dict))):
            raise ValidationError(
                "frames must be 0-indexed and continuous (no missing frames)",
                field="frames",
                obj=self.reference_id,
            )

    def add_item(self, index: int, sensor_name: str, item: DatasetItem) -> None:
        """Adds DatasetItem to the specified frame as sensor data (creating the frame)."""
        self.sensors[sensor_name] = None
        if index not in self.frames_dict:
            self.frames_dict[index] = Frame(**{sensor_name: item})
        else:
            self.frames_dict[index].items[sensor_name] = item
        self._sync()

    def add_frame(self, frame: Frame, index: int, update: bool = False) -> None:
        """Adds frame to scene at the specified index.

        Parameters:
            frame (:class:`Frame`): Frame object to add.
            index: Serial index at which to add the frame.
            update: Whether to overwrite the frame at the specified index, if it exists.
        """
        if index not in self.frames_dict or update:
            self.frames_dict[index] = frame
            self.sensors.update(dict.fromkeys(frame.get_sensors()))
            self._sync()

    def get_frame(self, index: int) -> Frame:
        """Fetches the Frame object at the specified index."""
        if index not in self.frames_dict:
            raise ValidationError(
                f"This scene does not have a frame at index {index}",
                field="index",
                obj=self.reference_id,
            )
        return self.frames_dict[index]

    def get_frames(self) -> list[Frame]:
        """Fetches a sorted list of Frames of the scene (by index ascending)."""
        return [frame for _, frame in sorted(self.frames_dict.items(), key=_first)]

    def get_sensors(self) -> list[str]:
        """Fetches all sensor names of the scene."""
        return list(self.sensors)

    def get_item(self, index: int, sensor_name: str) -> DatasetItem:
        """Fetches the DatasetItem object of the given frame and sensor."""
        return self.get_frame(index).get_item(sensor_name)

    def get_items_from_sensor(self, sensor_name: str) -> list[DatasetItem | None]:
        """Fetches the DatasetItem of the given sensor in every frame (``None`` where absent)."""
        if sensor_name not in self.sensors:
            raise ValidationError(
                f"This scene does not have a {sensor_name} sensor",
                field="sensor_name",
                obj=self.reference_id,
            )
        return [frame.items.get(sensor_name) for frame in self.get_frames()]

    def get_items(self) -> list[DatasetItem]:
        """Fetches all items in the scene (frame by frame)."""
        return [item for frame in self.get_frames() for item in frame.get_items()]

    def info(self) -> dict[str, Any]:
        """``{"reference_id", "length", "num_sensors"}``."""
        return {
            "reference_id": self.reference_id,
            "length": self.length,
            "num_sensors": self.num_sensors,
        }

    @classmethod
    def from_json(
        cls: type[_Scene],
        payload: Mapping[str, Any],
        client: Any = None,
        skip_validate: bool | None = False,
    ) -> _Scene:
        """Instantiates scene object from schematized JSON dict payload (``client`` unused)."""
        return codec().structure_lidar_scene(payload, cls, bool(skip_validate))


def _first(pair: tuple[int, Frame]) -> int:
    return pair[0]


@attrs.define(eq=False, on_setattr=attrs.setters.NO_OP)
class VideoScene(WireUnit):
    """Video or sequence of images over time.

    Parameters:
        reference_id (str): User-specified identifier to reference the scene.
        frame_rate (Optional[int]): Required if uploading items. Frame rate of the video.
        video_location (Optional[str]): Required if not uploading items. The remote URL
          containing the video MP4.
        items (Optional[List[:class:`DatasetItem`]]): Required if not uploading video_location.
          List of items representing frames.
        metadata (Optional[Dict]): Optional metadata to include with the scene.
        attachment_type (Optional[str]): Deprecated; ignored.
        tracks (Optional[List[Track]]): Tracks of the scene.
        use_privacy_mode (bool): Set by ``Dataset.append`` from the dataset.
    """

    reference_id: str
    frame_rate: int | None = None
    video_location: str | None = None
    items: list[DatasetItem] = attrs.field(factory=list)
    metadata: dict[str, Any] = attrs.field(factory=dict, converter=metadata_or_empty)
    attachment_type: str | None = None
    tracks: list[Track] = attrs.field(factory=list)
    use_privacy_mode: bool = False

    def __attrs_post_init__(self) -> None:
        if self.attachment_type:
            warnings.warn(
                "The attachment_type parameter is no longer required and will be deprecated soon.",
                DeprecationWarning,
                stacklevel=3,
            )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VideoScene):
            return NotImplemented
        return (
            self.reference_id == other.reference_id
            and self.items == other.items
            and self.video_location == other.video_location
            and self.metadata == other.metadata
            and self.tracks == other.tracks
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def length(self) -> int:
        """Number of items (for videos uploaded as an array of images)."""
        return len(self.items)

    def validate(self) -> None:
        """Raises ``ValidationError`` unless the scene can be uploaded.

        Either items (with ``frame_rate >= 1``, each item an image; a video location only in
        privacy mode) or a video location (then no frame rate and no items).
        """
        ref = self.reference_id
        if type(ref) is not str or not ref:
            raise ValidationError(f"must be a non-empty string, got {ref!r}", field="reference_id")
        check_mapping(self.metadata, "metadata", ref)
        if not self.items and not self.video_location:
            raise ValidationError(
                "Please upload either a video_location or an array of dataset items "
                "representing frames",
                field="items",
                obj=ref,
            )
        if self.items:
            rate = self.frame_rate
            if type(rate) is not int or rate < 1:
                raise ValidationError(
                    f"When uploading an array of items frame rate must be at least 1, got {rate!r}",
                    field="frame_rate",
                    obj=ref,
                )
            if self.video_location and not self.use_privacy_mode:
                raise ValidationError(
                    "No video location is accepted when uploading an array of items unless you "
                    "are using privacy mode",
                    field="video_location",
                    obj=ref,
                )
            for index, item in enumerate(self.items):
                if not isinstance(item, DatasetItem):
                    raise ValidationError(
                        "Each item in a scene must be a DatasetItem object",
                        field=f"items[{index}]",
                        obj=ref,
                    )
                item.validate()
                if not item.image_location:
                    raise ValidationError(
                        "Each item in a video scene must have an image_location",
                        field=f"items[{index}]",
                        obj=ref,
                    )
            _check_unique_reference_ids(self.items, ref)
        elif self.frame_rate:
            raise ValidationError(
                "No frame rate is accepted when uploading a video_location",
                field="frame_rate",
                obj=ref,
            )

    def _check_has_items(self) -> None:
        if self.video_location and not self.use_privacy_mode:
            raise ValidationError(
                "Cannot add item to a video without items",
                field="video_location",
                obj=self.reference_id,
            )

    def add_item(self, item: DatasetItem, index: int | None = None, update: bool = False) -> None:
        """Adds DatasetItem to the specified index for videos uploaded as an array of images.

        Parameters:
            item (:class:`DatasetItem`): Video item to add.
            index: Serial index at which to add the item (default: append).
            update: Whether to overwrite the item at the specified index, if it exists.
        """
        self._check_has_items()
        if index is None:
            index = len(self.items)
        if not 0 <= index <= len(self.items):
            raise ValidationError(
                "Video scenes must be contiguous so index must be at least 0 and at most "
                f"{len(self.items)}.",
                field="index",
                obj=self.reference_id,
            )
        if index < len(self.items) and update:
            self.items[index] = item
        else:
            self.items.append(item)

    def get_item(self, index: int) -> DatasetItem:
        """Fetches the DatasetItem at the specified index."""
        self._check_has_items()
        if not 0 <= index < len(self.items):
            raise ValidationError(
                f"This scene does not have an item at index {index}",
                field="index",
                obj=self.reference_id,
            )
        return self.items[index]

    def get_items(self) -> list[DatasetItem]:
        """Fetches the DatasetItems of the scene, by index ascending."""
        self._check_has_items()
        return self.items

    def info(self) -> dict[str, Any]:
        """``{"reference_id", "frame_rate"?, "video_url"?, "length"?}`` (only truthy keys)."""
        payload: dict[str, Any] = {"reference_id": self.reference_id}
        if self.frame_rate:
            payload["frame_rate"] = self.frame_rate
        if self.video_location:
            payload["video_url"] = self.video_location
        if self.items:
            payload["length"] = self.length
        return payload

    @classmethod
    def from_json(cls: type[_Video], payload: Mapping[str, Any], client: Any = None) -> _Video:
        """Instantiates scene object from schematized JSON dict payload (``client`` unused)."""
        return codec().structure(payload, cls)

    def to_payload(self) -> JSONDict:
        """Serializes the scene (validating it first)."""
        self.validate()
        return codec().unstructure(self)
