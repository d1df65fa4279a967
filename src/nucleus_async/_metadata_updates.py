"""Metadata update requests: entries for items and scenes, and the synchronous size limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._errors import ValidationError
from .types import CameraParams

__all__ = [
    "MAX_SYNC_METADATA_UPDATES",
    "check_sync_update_size",
    "item_metadata_entries",
    "scene_metadata_entries",
]

#: The service refuses synchronous metadata updates larger than this.
MAX_SYNC_METADATA_UPDATES = 500


def item_metadata_entries(mapping: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``{reference_id: metadata}`` as update entries; ``camera_params`` also sent on its own."""
    entries = []
    for ref, metadata in mapping.items():
        entry: dict[str, Any] = {"reference_id": ref, "metadata": metadata}
        camera = metadata.get("camera_params") if isinstance(metadata, Mapping) else None
        if camera is not None:
            params = camera if isinstance(camera, CameraParams) else CameraParams.from_json(camera)
            entry["camera_params"] = params.to_payload()
            if isinstance(camera, CameraParams):
                entry["metadata"] = {**metadata, "camera_params": params.to_payload()}
        entries.append(entry)
    return entries


def scene_metadata_entries(mapping: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``{scene reference_id: metadata}`` as update entries."""
    return [{"reference_id": ref, "metadata": metadata} for ref, metadata in mapping.items()]


def check_sync_update_size(entries: list[dict[str, Any]], *, asynchronous: bool) -> None:
    """Refuse a synchronous update the service would refuse for its size."""
    if not asynchronous and len(entries) > MAX_SYNC_METADATA_UPDATES:
        raise ValidationError(
            f"{len(entries)} updates; more than {MAX_SYNC_METADATA_UPDATES} need asynchronous=True",
            field="mapping",
        )
