"""DatasetBase: identity, cached properties and request helpers shared by the dataset mixins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..types import DatasetItem, annotation_from_json

if TYPE_CHECKING:
    from .._client import NucleusClient

__all__ = ["DatasetBase", "group_annotations", "item_with_annotations", "segment"]


def segment(value: str) -> str:
    """Percent-encode a path segment fully (``/`` too), as the service's routes require."""
    return quote(value, safe="")


def group_annotations(raw: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Convert ``{"box": [...], ...}`` from the server into annotation objects, by type."""
    grouped: dict[str, list[Any]] = {}
    for kind, entries in raw.items():
        if entries is None:
            continue
        if isinstance(entries, Mapping):
            entries = [entries]
        grouped[kind] = [annotation_from_json(entry) for entry in entries]
    return grouped


def item_with_annotations(response: Mapping[str, Any]) -> dict[str, Any]:
    """``{"item": DatasetItem, "annotations": {type: [Annotation]}}`` from a read answer."""
    if "item" not in response or "annotations" not in response:
        raise ValueError(f"Expected 'item' and 'annotations' in the answer: {response!r:.300}")
    return {
        "item": DatasetItem.from_json(response["item"]),
        "annotations": group_annotations(response["annotations"] or {}),
    }


class DatasetBase:
    """What every dataset mixin builds on: the id, the client, cached properties."""

    def __init__(
        self,
        dataset_id: str,
        client: NucleusClient,
        name: str | None = None,
        *,
        is_scene: bool | None = None,
        use_privacy_mode: bool | None = None,
    ) -> None:
        self.id = dataset_id
        self.name = name
        self.is_scene = is_scene
        self.use_privacy_mode = use_privacy_mode
        self._client = client

    def __repr__(self) -> str:
        return f"Dataset(dataset_id={self.id!r}, name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatasetBase) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def dataset_id(self) -> str:
        """The dataset's id (``ds_…``)."""
        return self.id

    @property
    def _transport(self) -> Any:
        return self._client._transport

    def _route(self, suffix: str) -> str:
        return f"dataset/{self.id}/{suffix}"

    async def _privacy_mode(self) -> bool:
        if self.use_privacy_mode is None:
            response = await self._transport.request("GET", self._route("use_privacy_mode"))
            self.use_privacy_mode = bool(response.get("use_privacy_mode", False))
        return self.use_privacy_mode
