"""Scene uploads: checking lidar and video scenes, then the asynchronous NDJSON round trip.

Scenes always travel the asynchronous way (the service processes pointclouds and videos in a
background job): their payloads go as NDJSON to a presigned URL, then
``{ds}/upload_scenes?async=1`` (lidar) or ``{ds}/upload_video_scenes?async=1`` (video) starts
the job. Those two routes have no ``dataset/`` prefix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .._errors import ValidationError
from .._transport import Transport
from ..types import LidarScene, VideoScene
from ..types.base import is_local_path
from .signed import upload_ndjson

__all__ = [
    "MAX_VIDEO_SCENE_ITEMS",
    "check_scene_paths_remote",
    "upload_scenes",
    "validate_scenes",
]

#: The service accepts at most this many items (frames) in one video scene.
MAX_VIDEO_SCENE_ITEMS = 3000

Scene = LidarScene | VideoScene


def check_scene_paths_remote(scene: Scene) -> None:
    """Raise ``ValidationError`` for a scene item or video location that is a local path.

    The service fetches scene data itself, so every location must be ``http``, ``https``,
    ``s3`` or ``gs``.
    """
    if isinstance(scene, VideoScene):
        if scene.video_location and is_local_path(scene.video_location):
            raise ValidationError(
                f"All paths for videos must be remote, but {scene.video_location!r} is either "
                "local, or a remote URL type that is not supported.",
                field="video_location",
                obj=scene.reference_id,
            )
        items = scene.items
    else:
        items = scene.get_items()
    for item in items:
        for field, location in (
            ("pointcloud_location", item.pointcloud_location),
            ("image_location", item.image_location),
        ):
            if location and is_local_path(location):
                raise ValidationError(
                    f"All paths for DatasetItems in a Scene must be remote, but {location!r} is "
                    "either local, or a remote URL type that is not supported.",
                    field=f"{field} of item {item.reference_id!r}",
                    obj=scene.reference_id,
                )


def validate_scenes(scenes: Sequence[Scene], *, privacy_mode: bool) -> None:
    """Check every scene before anything is sent.

    Lidar: at least one frame, each with exactly one pointcloud (one lidar sensor), unique
    item reference ids, frames indexed 0..n-1. Video: items with a frame rate, or a video
    location (items and a video location together only in privacy mode), at most
    ``MAX_VIDEO_SCENE_ITEMS`` items. All locations remote; scene reference ids unique within
    the upload. A video scene's ``use_privacy_mode`` is set from the dataset first (it decides
    the payload's ``upload_to_scale``), as the official client does.
    """
    for scene in scenes:
        if isinstance(scene, VideoScene):
            scene.use_privacy_mode = privacy_mode
            scene.validate()
            if len(scene.items) > MAX_VIDEO_SCENE_ITEMS:
                raise ValidationError(
                    f"a video scene holds at most {MAX_VIDEO_SCENE_ITEMS} items, "
                    f"got {len(scene.items)}",
                    field="items",
                    obj=scene.reference_id,
                )
        else:
            scene.validate()
        check_scene_paths_remote(scene)
    counts = Counter(scene.reference_id for scene in scenes)
    duplicates = {ref: f"Count: {n}" for ref, n in counts.items() if n > 1}
    if duplicates:
        raise ValidationError(
            f"Duplicate reference IDs found among scenes: {duplicates}", field="reference_id"
        )


def scene_route(dataset_id: str, video: bool) -> str:
    """The job-starting route of a scene upload (no ``dataset/`` prefix, as the service has it)."""
    kind = "upload_video_scenes" if video else "upload_scenes"
    return f"{dataset_id}/{kind}?async=1"


async def upload_scenes(
    transport: Transport,
    dataset_id: str,
    scenes: Sequence[Scene],
    *,
    update: bool,
) -> Any:
    """Upload already-validated scenes of one kind; return the service's job object."""
    video = isinstance(scenes[0], VideoScene)
    request_id = await upload_ndjson(
        transport, dataset_id, (scene.to_payload() for scene in scenes)
    )
    return await transport.request(
        "POST", scene_route(dataset_id, video), {"requestId": request_id, "update": update}
    )
