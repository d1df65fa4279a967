"""Dataset scene methods (append scenes, get/delete scenes, scene metadata)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._errors import ValidationError
from .._jobs import AsyncJob
from .._upload import upload_scenes, validate_scenes
from ..types import DatasetItem, LidarScene, VideoScene
from ._dataset_base import DatasetBase, segment

__all__ = ["SceneMethods", "append_scenes", "take_scenes"]

Scene = LidarScene | VideoScene
Units = Iterable[Any] | AsyncIterable[Any]

_MIXED = "You must append either DatasetItems or Scenes to the dataset, not both."


def scene_from_json(payload: Mapping[str, Any]) -> Scene:
    """A scene answer: a ``VideoScene`` if ``frame_rate`` or ``video_url`` is present (even
    null), else a ``LidarScene`` (validated: frames with one pointcloud each)."""
    if "frame_rate" in payload or "video_url" in payload:
        return VideoScene.from_json(payload)
    return LidarScene.from_json(payload)


async def take_scenes(dataset: DatasetBase, units: Units) -> tuple[list[Scene], Units]:
    """Split an ``append`` input: ``(scenes, [])`` if it holds scenes, else ``([], items)``.

    A list is inspected whole; a stream only at its first unit (the rest is handed on
    unread, so a stream of items is still uploaded with bounded memory). Scenes mixed with
    items are refused, and so are items for a dataset known to hold scenes.
    """
    if isinstance(units, Sequence):
        if any(isinstance(unit, (LidarScene, VideoScene)) for unit in units):
            return _only_scenes(units), []
        await _check_items_allowed(dataset)
        return [], units
    if isinstance(units, AsyncIterable):
        stream = units.__aiter__()
        try:
            first = await stream.__anext__()
        except StopAsyncIteration:
            return [], []
        if isinstance(first, (LidarScene, VideoScene)):
            return _only_scenes([first, *[unit async for unit in stream]]), []
        await _check_items_allowed(dataset)
        return [], _prepend(first, stream)
    iterator = iter(units)
    for first in iterator:
        if isinstance(first, (LidarScene, VideoScene)):
            return _only_scenes([first, *iterator]), []
        await _check_items_allowed(dataset)
        return [], itertools.chain([first], iterator)
    return [], []


async def _prepend(first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    yield first
    async for unit in rest:
        yield unit


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


async def _is_scene(dataset: DatasetBase) -> bool:
    if dataset.is_scene is None:
        response = await dataset._transport.request("GET", dataset._route("is_scene"))
        value = response.get("is_scene") if isinstance(response, Mapping) else response
        dataset.is_scene = bool(value)
    return dataset.is_scene


async def _check_items_allowed(dataset: DatasetBase) -> None:
    # Only when already known: a GET per append of items would cost every upload a round
    # trip, and the service refuses items in a scene dataset anyway.
    if dataset.is_scene:
        raise ValidationError(
            f"Dataset {dataset.id} is a scene dataset and only accepts LidarScenes or "
            "VideoScenes; create a dataset with is_scene=False for DatasetItems.",
            field="items",
        )


async def append_scenes(dataset: DatasetBase, scenes: Sequence[Scene], update: bool) -> AsyncJob:
    """Validate, then upload lidar or video scenes asynchronously; return the upload job.

    Lidar and video scenes go to different routes, so one call takes one kind.
    """
    if not await _is_scene(dataset):
        raise ValidationError(
            f"Dataset {dataset.id} is not a scene dataset but only supports single dataset "
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
    validate_scenes(scenes, privacy_mode=await dataset._privacy_mode())
    response = await upload_scenes(dataset._transport, dataset.id, scenes, update=update)
    return AsyncJob.from_json(response, dataset._client)


class SceneMethods(DatasetBase):
    """Dataset scene methods (append scenes, get/delete scenes, scene metadata).

    Scenes are appended with ``Dataset.append`` (which dispatches here) and always uploaded
    asynchronously: the call returns an ``AsyncJob``.
    """

    if TYPE_CHECKING:
        # Provided by ItemMethods (the shared metadata route); Dataset combines both.
        async def _update_metadata(
            self, entries: list[dict[str, Any]], level: str, asynchronous: bool
        ) -> dict[str, Any] | AsyncJob: ...

    async def get_scene(self, reference_id: str) -> LidarScene | VideoScene:
        """Fetches a single scene in the dataset by its reference ID.

        The reference id is percent-encoded whole (``/`` too), as ``delete_scene`` sends it:
        the official client inserts it raw here, which breaks on ids holding ``/``.

        Returns a ``VideoScene`` when the answer describes a video (``frame_rate`` or
        ``video_url``), else a ``LidarScene`` with its frames of pointcloud and image items.
        """
        response = await self._transport.request(
            "GET", self._route(f"scene/{segment(reference_id)}")
        )
        return scene_from_json(response)

    async def get_scene_from_item_ref_id(
        self, item_reference_id: str
    ) -> LidarScene | VideoScene | None:
        """Given a dataset item reference ID, find the Scene it belongs to.

        Returns ``None`` without a request when the dataset is not a scene dataset (asking
        the service whether it is, once, if unknown).
        """
        if not await _is_scene(self):
            return None
        response = await self._transport.request(
            "GET", self._route(f"scene/{segment(item_reference_id)}?from_item=1")
        )
        return scene_from_json(response)

    async def delete_scene(self, reference_id: str) -> None:
        """Deletes a scene from the Dataset by scene reference ID.

        All items, annotations, and predictions associated with the scene are deleted too.
        """
        await self._transport.request("DELETE", self._route(f"scene/{segment(reference_id)}"), {})

    async def update_scene_metadata(
        self, mapping: dict[str, dict[str, Any]], asynchronous: bool = False
    ) -> dict[str, Any] | AsyncJob:
        """Update (merge) scene metadata for each reference_id given in the mapping.

        The backend joins the given metadata to the existing metadata; on a key collision the
        value given here wins. ``mapping`` is ``{scene_reference_id: {key: value}}``. More
        than 500 entries need ``asynchronous=True``, which returns an ``AsyncJob``; otherwise
        the service's summary dict is returned. Errors are raised, not swallowed.
        ::

            await dataset.update_scene_metadata({"scene_1": {"weather": "fog"}})
        """
        entries = [{"reference_id": ref, "metadata": metadata} for ref, metadata in mapping.items()]
        return await self._update_metadata(entries, "scene", asynchronous)
