"""Slice: a named subset of a dataset's items, with its reads, exports and labeling."""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import Any

import attrs

from .._awaitable_property import awaitable_property
from .._errors import NotFoundError, ValidationError
from .._exports import convert_export_row, convert_export_rows, scale_task_info_rows
from .._pagination import AsyncPager
from .._session import SessionSource
from .._slice_members import slice_members
from ..types import DatasetItem
from ._base import Resource
from ._refs import ModelRef, model_id_of
from .jobs import AsyncJob

__all__ = [
    "Slice",
    "SliceBuilderFilterAutotag",
    "SliceBuilderFilters",
    "SliceBuilderMethods",
    "SliceType",
]


class SliceType(str, enum.Enum):
    """Types of slices supported by Nucleus."""

    DATASET_ITEM = "dataset_item"
    OBJECT = "object"
    SCENE = "scene"

    @staticmethod
    def options() -> list[str]:
        """The values the service accepts."""
        return [member.value for member in SliceType]


class SliceBuilderMethods(str, enum.Enum):
    """How ``Dataset.build_slice`` samples items.

    ``Random`` selects items at random; ``Uniqueness`` prefers items far apart in embedding
    space, so the sample holds fewer similar images.
    """

    RANDOM = "Random"
    UNIQUENESS = "Uniqueness"

    @staticmethod
    def options() -> list[str]:
        """The values the service accepts."""
        return [member.value for member in SliceBuilderMethods]


def _check_score_range(
    instance: SliceBuilderFilterAutotag, attribute: Any, value: list[float]
) -> None:
    message = f"Autotag score range must be within [-1, 1]. But got {value}."
    if len(value) != 2 or not all(isinstance(v, (int, float)) for v in value):
        raise ValidationError(message, field="score_range", obj=instance.autotag_id)
    if min(value) < -1 or max(value) > 1:
        raise ValidationError(message, field="score_range", obj=instance.autotag_id)


@attrs.define
class SliceBuilderFilterAutotag:
    """An autotag filter for ``Dataset.build_slice``.

    Args:
        autotag_id: Sample only items of this autotag.
        score_range: ``[low, high]`` within ``[-1, 1]``: the autotag scores to consider.
    """

    autotag_id: str
    score_range: list[float] = attrs.field(validator=_check_score_range)


@attrs.define
class SliceBuilderFilters:
    """Filters for ``Dataset.build_slice``: sample from an existing slice and/or an autotag."""

    slice_id: str | None = None
    autotag: SliceBuilderFilterAutotag | None = None

    def to_payload(self) -> dict[str, Any]:
        """The ``filters`` object of the request (``{}`` when nothing is set)."""
        payload: dict[str, Any] = {}
        if self.slice_id is not None:
            payload["sliceId"] = self.slice_id
        if self.autotag is not None:
            payload["autotag"] = {
                "autotagId": self.autotag.autotag_id,
                "range": list(self.autotag.score_range),
            }
        return payload


def parse_created_at(value: Any) -> datetime | None:
    """The service's ISO timestamp (optionally ending in ``Z``) as a ``datetime``."""
    if isinstance(value, datetime) or value is None:
        return value
    try:
        return datetime.fromisoformat(str(value).rstrip("Z"))
    except ValueError:
        return None


class Slice(Resource):
    """A Slice represents a subset of DatasetItems in your Dataset.

    Slices are subsets of your Dataset that unlock curation and exploration workflows: a
    "foggy" slice of a driving dataset, say, to fine-tune a model where it performs poorly.
    Create one with ``await dataset.create_slice(name, reference_ids)``, or get one by id with
    ``await client.get_slice(slice_id)`` (no request).

    ``name``, ``dataset_id``, ``description``, ``created_at``, ``pending_job_count`` and
    ``type`` are fetched attributes, as in the official client: awaiting one answers from the
    values already known (``Dataset.get_slices`` and ``slices`` fill most of them from the
    listing) and otherwise calls :meth:`info` once. ``tags`` and ``items`` fetch on every read.
    ::

        slc = await client.get_slice("slc_123")
        print(await slc.name, await slc.dataset_id)
    """

    def __init__(self, slice_id: str, client: SessionSource) -> None:
        super().__init__(client)
        self.id = slice_id
        self._name: str | None = None
        self._dataset_id: str | None = None
        self._description: str | None = None
        self._created_at: datetime | None = None
        self._pending_job_count: int | None = None
        self._type: str | None = None

    def __repr__(self) -> str:
        # Only the values already known: a repr never sends a request.
        return (
            f"Slice(slice_id={self.id!r}, name={self._name!r}, dataset_id={self._dataset_id!r},"
            f" description={self._description!r})"
        )

    @property
    def _identity(self) -> Hashable:
        return self.id

    @property
    def slice_id(self) -> str:
        """The slice's id (``slc_…``)."""
        return self.id

    @property
    def _route_root(self) -> str:
        return f"slice/{self.id}"

    @classmethod
    def from_request(cls, request: Mapping[str, Any], client: SessionSource) -> Slice:
        """A slice from a summary the service lists (``id``, ``name``, ``dataset_id``, ...)."""
        instance = cls(request["id"], client)
        instance._cache(request)
        return instance

    def _cache(self, info: Mapping[str, Any]) -> None:
        for key in ("name", "dataset_id", "description", "pending_job_count", "type"):
            if info.get(key) is not None:
                setattr(self, f"_{key}", info[key])
        if info.get("created_at") is not None:
            self._created_at = parse_created_at(info["created_at"])

    async def _known(self, key: str) -> Any:
        """A cached value, or (when unknown) the value :meth:`info` reports for it."""
        if getattr(self, f"_{key}") is None:
            await self.info()
        return getattr(self, f"_{key}")

    @awaitable_property
    async def name(self) -> str | None:
        """The slice's name (fetched with :meth:`info` when not yet known)."""
        result: str | None = await self._known("name")
        return result

    @awaitable_property
    async def dataset_id(self) -> str | None:
        """The id of the dataset the slice belongs to (fetched when not yet known)."""
        result: str | None = await self._known("dataset_id")
        return result

    @awaitable_property
    async def description(self) -> str | None:
        """The slice's description (fetched when not yet known)."""
        result: str | None = await self._known("description")
        return result

    @awaitable_property
    async def created_at(self) -> datetime | None:
        """When the slice was created (fetched when not yet known)."""
        result: datetime | None = await self._known("created_at")
        return result

    @awaitable_property
    async def pending_job_count(self) -> int | None:
        """Jobs still running on the slice (fetched when not yet known)."""
        result: int | None = await self._known("pending_job_count")
        return result

    @awaitable_property
    async def type(self) -> str | None:
        """``dataset_item``, ``object`` or ``scene`` (fetched when not yet known)."""
        result: str | None = await self._known("type")
        return result

    @awaitable_property
    async def tags(self) -> list[str]:
        """The slice's tags, fetched on every read (they change with :meth:`add_tags`)."""
        info = await self.info()
        return list(info.get("tags") or [])

    async def info(self) -> dict[str, Any]:
        """Retrieves the name, slice_id, and dataset_id of the Slice.

        Returns the service's dict (``name``, ``slice_id``, ``dataset_id``, ``type``,
        ``pending_job_count``, ``created_at``, ``description``, ``tags``) and caches those
        values on the slice's attributes.
        """
        response: dict[str, Any] = await self._transport.request("GET", self._route("info"))
        self._cache(response)
        return response

    async def _required_dataset_id(self, operation: str) -> str:
        try:
            dataset_id = await self.dataset_id
        except NotFoundError as exc:
            # The user called ``operation``, not ``info``: name the slice and what it was for.
            raise NotFoundError(f"Slice {self.id} not found (while {operation})") from exc
        if dataset_id is None:
            raise ValueError(f"The service reported no dataset_id for slice {self.id}")
        return dataset_id

    async def append(self, reference_ids: list[str] | None = None) -> dict[str, Any]:
        """Appends existing DatasetItems from a Dataset to a Slice.

        ``reference_ids`` are user-defined reference IDs of dataset items or scenes (at most
        10,000 per request). Fetches :meth:`info` first if the slice's ``dataset_id`` is not
        cached. Returns ``{"slice_id": str, "new_items": [str]}``.
        """
        dataset_id = await self._required_dataset_id("appending items")
        result: dict[str, Any] = await self._transport.request(
            "POST",
            self._route("append"),
            {"reference_ids": reference_ids, "dataset_id": dataset_id},
        )
        return result

    async def dataset_items(self) -> list[DatasetItem]:
        """Fetch all DatasetItems contained in the Slice.

        We recommend :meth:`items_generator` if the Slice has more than 200k items.
        """
        response = await self._transport.request("GET", self._route())
        return [DatasetItem.from_json(entry) for entry in (response or {}).get("items", [])]

    @awaitable_property
    async def items(self) -> list[Any]:
        """Every member of the slice, fetched on each read.

        Following the slice's type: ``DatasetItem`` objects for a ``dataset_item`` slice,
        annotations and predictions for an ``object`` slice, scenes for a ``scene`` slice.
        We recommend :meth:`items_generator` if the slice has more than 200k items.
        """
        response = await self._transport.request("GET", self._route())
        return slice_members(response)

    def items_generator(self, page_size: int = 100000) -> AsyncPager[DatasetItem]:
        """Async iterator over every item of the slice, fetched page by page.

        ::

            async for item in slc.items_generator():
                print(item.reference_id)
        """
        return AsyncPager(
            self._transport,
            self._route("itemsPage"),
            result_key="items",
            page_size=page_size,
            convert=DatasetItem.from_json,
        )

    async def items_and_annotations(self) -> list[dict[str, Any]]:
        """Provides a list of all DatasetItems and Annotations in the Slice.

        Each element is ``{"item": DatasetItem, "annotations": {"box": [...], ...}}``.
        """
        response = await self._transport.request("GET", self._route("exportForTraining"))
        return convert_export_rows(response["exportedRows"])

    def items_and_annotation_generator(
        self, *, use_mirrored_images: bool = False
    ) -> AsyncPager[dict[str, Any]]:
        """Async iterator over every DatasetItem of the slice with its Annotations, by type.

        ``use_mirrored_images`` (keyword-only) returns the location of the copy of each image
        that Scale hosts, for when the original is no longer available.
        """
        return AsyncPager(
            self._transport,
            self._route("exportForTrainingPage"),
            result_key="data",
            page_size=10000,
            convert=convert_export_row,
            extra={"chip": use_mirrored_images},
        )

    async def export_predictions(self, model: ModelRef | str) -> list[dict[str, Any]]:
        """Provides a list of all DatasetItems and Predictions in the Slice for the given Model.

        Each element is ``{"item": DatasetItem, "predictions": {"box": [...], ...}}``.
        ``model`` is a ``Model`` (or its id).
        """
        route = self._route(f"{model_id_of(model)}/exportForTraining")
        response = await self._transport.request("GET", route)
        return convert_export_rows(response["exportedRows"], predictions=True)

    def export_predictions_generator(self, model: ModelRef | str) -> AsyncPager[dict[str, Any]]:
        """Async iterator over the slice's DatasetItems with the Predictions of ``model``."""
        return AsyncPager(
            self._transport,
            self._route(f"{model_id_of(model)}/exportForTrainingPage"),
            result_key="data",
            page_size=100000,
            convert=_prediction_row,
        )

    async def export_raw_items(self) -> Any:
        """Fetches a list of accessible URLs for each item in the Slice.

        Returned as the service sends it: ``{"raw_dataset_items": [{"id", "ref_id",
        "metadata", "original_url", "scale_url"}, ...]}``.
        """
        return await self._transport.request("GET", self._route("exportRawItems"))

    async def export_embeddings(self) -> list[dict[str, Any]]:
        """Fetches a pd.DataFrame-ready list of slice embeddings.

        Returns ``[{"reference_id": str, "embedding_vector": [float]}, ...]``.
        """
        result: list[dict[str, Any]] = await self._transport.request(
            "GET", self._route("embeddings")
        )
        return result

    async def export_scale_task_info(self) -> Any:
        """Fetches info for all linked Scale tasks of items/scenes in the slice.

        Returns ``[{"item" | "scene": ..., "scale_task_info": {...}}, ...]``.
        """
        response = await self._transport.request("GET", self._route("exportScaleTaskInfo"))
        return scale_task_info_rows(response)

    async def send_to_labeling(self, project_id: str) -> AsyncJob:
        """Send items in the Slice as tasks to a Scale labeling project.

        The project (``project_id``) must exist, be of type General Image Annotation and have
        its instructions and geometries configured. Returns the job creating the tasks.
        """
        response = await self._transport.request(
            "POST", self._route(f"{project_id}/send_to_labeling"), {}
        )
        return AsyncJob.from_json(response, self._session)

    async def export_class_labels(self) -> list[Any]:
        """Fetches the class labels of the annotations in the slice (the service's list)."""
        response = await self._transport.request("GET", self._route("class_labels"))
        return list(response.get("data", [])) if isinstance(response, Mapping) else []

    async def add_tags(self, tags: list[str]) -> dict[str, Any]:
        """Tags the slice (extra, as in the official client)."""
        if isinstance(tags, str):
            raise ValidationError("tags must be a list of strings, not a string", field="tags")
        result: dict[str, Any] = await self._transport.request(
            "POST", self._route("tag"), {"slice_tags": list(tags)}
        )
        return result


def _prediction_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return convert_export_row(row, predictions=True)
