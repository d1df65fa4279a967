"""Scenes in a dataset: telling them from items in an append, checking them, reading them back.

Scenes are appended with ``Dataset.append`` (like items) but go to their own upload: this
module splits an ``append`` input into scenes or items, checks that a dataset takes the kind it
is given, and decodes a scene answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._errors import ValidationError
from ._iterables import AnyIterable, Empty, iterate, peek
from .types import DatasetItem, LidarScene, VideoScene

__all__ = ["Scene", "Units", "check_scene_upload", "scene_from_json", "split_scenes"]

Scene = LidarScene | VideoScene
Units = AnyIterable[Any]

_MIXED = "You must append either DatasetItems or Scenes to the dataset, not both."


def scene_from_json(payload: Mapping[str, Any]) -> Scene:
    """A scene answer: a ``VideoScene`` if ``frame_rate`` or ``video_url`` is present (even
    null), else a ``LidarScene`` (validated: frames with one pointcloud each)."""
    if "frame_rate" in payload or "video_url" in payload:
        return VideoScene.from_json(payload)
    return LidarScene.from_json(payload)


async def split_scenes(
    units: Units, *, dataset_id: str, is_scene: bool | None
) -> tuple[list[Scene], Units]:
    """Split an ``append`` input: ``(scenes, [])`` if it holds scenes, else ``([], items)``.

    A list is inspected whole; a stream only at its first unit (the rest is handed on
    unread, so a stream of items is still uploaded with bounded memory). Scenes mixed with
    items are refused, and so are items for a dataset known (``is_scene``) to hold scenes.
    """
    if isinstance(units, Sequence):
        if any(isinstance(unit, (LidarScene, VideoScene)) for unit in units):
            return _only_scenes(units), []
        _check_items_allowed(dataset_id, is_scene)
        return [], units
    first, units = await peek(units)
    if isinstance(first, Empty):
        return [], []
    if isinstance(first, (LidarScene, VideoScene)):
        return _only_scenes([unit async for unit in iterate(units)]), []
    _check_items_allowed(dataset_id, is_scene)
    return [], units


def check_scene_upload(dataset_id: str, scenes: Sequence[Scene], *, is_scene: bool) -> None:
    """Refuse scenes for an item dataset, and lidar and video scenes in one upload.

    Lidar and video scenes go to different routes, so one call takes one kind.
    """
    if not is_scene:
        raise ValidationError(
            f"Dataset {dataset_id} is not a scene dataset but only supports single dataset "
            "items. To add scenes, create a dataset with client.create_dataset(<name>, "
            "is_scene=True) or add the scenes to an existing scene dataset.",
            field="items",
        )
    kinds = {type(scene) for scene in scenes}
    if any(issubclass(kind, LidarScene) for kind in kinds) and any(
        issubclass(kind, VideoScene) for kind in kinds
    ):
        raise ValidationError(
            "Append LidarScenes and VideoScenes in separate calls (they are separate uploads).",
            field="items",
        )


def _only_scenes(units: Iterable[Any]) -> list[Scene]:
    scenes = list(units)
    if any(isinstance(unit, DatasetItem) for unit in scenes):
        raise ValidationError(_MIXED, field="items")
    for index, unit in enumerate(scenes):
        if not isinstance(unit, (LidarScene, VideoScene)):
            raise ValidationError(
                f"expected a LidarScene or VideoScene, got {type(unit).__name__}",
                field=f"items[{index}]",
            )
    return scenes


def _check_items_allowed(dataset_id: str, is_scene: bool | None) -> None:
    # Only when already known: a GET per append of items would cost every upload a round
    # trip, and the service refuses items in a scene dataset anyway.
    if is_scene:
        raise ValidationError(
            f"Dataset {dataset_id} is a scene dataset and only accepts LidarScenes or "
            "VideoScenes; create a dataset with is_scene=False for DatasetItems.",
            field="items",
        )
