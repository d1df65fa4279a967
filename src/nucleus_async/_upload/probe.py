"""Probing a batch in doubt: does the service already hold every unit of it?

A batch the journal holds *in doubt* was sent by an earlier run that ended before the answer
was recorded. Before sending it again, the upload asks the service with read-only ``GET``
requests, one per reference id of the batch, concurrently (under the client's limiter, at most
``concurrency`` at once), stopping at the first reference id whose units are missing:

* items: ``GET dataset/{ds}/refloc/{ref}`` answers 200 when the item is stored, 404 when not;
* annotations: the same answer lists the item's annotations by type;
* predictions: ``GET dataset/{ds}/model/{model}/referenceId/{ref}`` lists the model's
  predictions on the item by type.

An annotation or prediction counts as stored as the service identifies it: a segmentation by
its item (one per item), a category or multicategory by its item and taxonomy, any other type
by its item and ``annotation_id``. A unit the service cannot be asked about (no
``annotation_id``, or a scene category, which names a scene) is never provably stored, so its
batch is sent again. A 404 means "not stored"; any other failure of a probe (after the
transport's retries) fails the batch, which stays in doubt for the next run.

When every unit is stored the batch counts as landed without being sent, and the answer folded
into the result counts its units as a resend would have: updated (``update=True``; "processed"
for annotations and predictions) or ignored (``update=False``), never new, since the probe
cannot tell whether the earlier run stored them or they were there before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from .._concurrency import fan_out
from .._errors import NotFoundError
from .._routes import raw_segment, segment
from .._transport import Transport
from ..types import (
    Annotation,
    CategoryAnnotation,
    DatasetItem,
    MultiCategoryAnnotation,
    SegmentationAnnotation,
)

__all__ = ["AnnotationProbe", "BatchProbe", "ItemProbe"]

U_contra = TypeVar("U_contra", contravariant=True)


class BatchProbe(Protocol[U_contra]):
    """Whether the service holds a batch's units, and the answer a resend would have had."""

    async def stored(self, units: Sequence[U_contra]) -> bool: ...

    def answer(self, units: Sequence[U_contra]) -> dict[str, Any]: ...


class _Absent(Exception):
    """A reference id whose units are not all stored: ends the probe of its batch."""


async def _all_stored(
    refs: Iterable[str], stored: Callable[[str], Awaitable[bool]], concurrency: int
) -> bool:
    """Whether ``stored(ref)`` holds for every ref; asked concurrently, stops at the first no."""

    async def check(ref: str) -> None:
        if not await stored(ref):
            raise _Absent(ref)  # fan_out feeds no further ref after a failure

    failures = await fan_out(refs, check, concurrency=concurrency)
    for failure in failures:
        if not isinstance(failure.error, _Absent):
            raise failure.error
    return not failures


async def _read(transport: Transport, route: str) -> Mapping[str, Any] | None:
    """The JSON answer of a read, or None when the service answers 404."""
    try:
        answer = await transport.request("GET", route)
    except NotFoundError:
        return None
    return answer if isinstance(answer, Mapping) else {}


class ItemProbe:
    """Probes batches of dataset items: each reference id must name a stored item."""

    def __init__(
        self, transport: Transport, dataset_id: str, *, update: bool, concurrency: int
    ) -> None:
        self._transport = transport
        self._dataset_id = dataset_id
        self._update = update
        self._concurrency = concurrency

    async def stored(self, units: Sequence[DatasetItem]) -> bool:
        refs = dict.fromkeys(unit.reference_id for unit in units)
        return await _all_stored(refs, self._item_stored, self._concurrency)

    async def _item_stored(self, ref: str) -> bool:
        route = f"dataset/{self._dataset_id}/refloc/{segment(ref)}"
        return await _read(self._transport, route) is not None

    def answer(self, units: Sequence[DatasetItem]) -> dict[str, Any]:
        count = len(units)
        return {
            "dataset_id": self._dataset_id,
            "new_items": 0,
            "updated_items": count if self._update else 0,
            "ignored_items": 0 if self._update else count,
            "upload_errors": 0,
        }


class AnnotationProbe:
    """Probes batches of annotations (or predictions) uploaded to ``route``.

    ``route`` is the upload's: ``dataset/{ds}/annotate`` (read back through the item's
    ``refloc``) or ``dataset/{ds}/model/{model}/uploadPredictions`` (read back through the
    model's ``referenceId`` route).
    """

    def __init__(
        self,
        transport: Transport,
        dataset_id: str,
        route: str,
        *,
        predictions: bool,
        update: bool,
        concurrency: int,
    ) -> None:
        self._transport = transport
        self._dataset_id = dataset_id
        self._base = route.rpartition("/")[0]
        self._predictions = predictions
        self._update = update
        self._concurrency = concurrency

    async def stored(self, units: Sequence[Annotation]) -> bool:
        by_ref: dict[str, list[Annotation]] = {}
        for unit in units:
            if not _identifiable(unit):
                return False
            by_ref.setdefault(unit.reference_id, []).append(unit)

        async def all_of_ref_stored(ref: str) -> bool:
            answer = await _read(self._transport, self._read_route(ref))
            if answer is None:
                return False
            found = answer.get("annotations")
            return isinstance(found, Mapping) and all(
                _is_among(unit, found) for unit in by_ref[ref]
            )

        return await _all_stored(by_ref, all_of_ref_stored, self._concurrency)

    def _read_route(self, ref: str) -> str:
        # Each read as the core's own (``Dataset.predictions_refloc`` / ``Dataset.refloc``).
        if self._predictions:
            return f"{self._base}/referenceId/{raw_segment(ref)}"
        return f"{self._base}/refloc/{segment(ref)}"

    def answer(self, units: Sequence[Annotation]) -> dict[str, Any]:
        noun = "predictions" if self._predictions else "annotations"
        count = len(units)
        return {
            "dataset_id": self._dataset_id,
            f"{noun}_processed": count if self._update else 0,
            f"{noun}_ignored": 0 if self._update else count,
        }


#: Types the service identifies otherwise than by ``annotation_id`` (see ``_is_among``).
_NOT_BY_ID = frozenset({"segmentation", "category", "multicategory"})


def _category_kind(unit: Annotation) -> str | None:
    if isinstance(unit, MultiCategoryAnnotation):
        return "multicategory"
    if isinstance(unit, CategoryAnnotation):
        return "category"
    return None


def _identifiable(unit: Annotation) -> bool:
    """Whether the service can be asked if it holds ``unit`` (see the module's docstring)."""
    if isinstance(unit, SegmentationAnnotation) or _category_kind(unit) is not None:
        return True
    return getattr(unit, "annotation_id", None) is not None


def _is_among(unit: Annotation, found: Mapping[str, Any]) -> bool:
    """Whether ``found`` (an item's annotations by type, as read) holds ``unit``'s identity."""
    if isinstance(unit, SegmentationAnnotation):
        return bool(found.get("segmentation"))
    kind = _category_kind(unit)
    if kind is not None:
        taxonomy = getattr(unit, "taxonomy_name", None)
        return any(_field(entry, "taxonomy_name") == taxonomy for entry in _list(found, kind))
    annotation_id = getattr(unit, "annotation_id", None)
    return any(
        _field(entry, "annotation_id") == annotation_id
        for kind in found
        if kind not in _NOT_BY_ID
        for entry in _list(found, kind)
    )


def _list(found: Mapping[str, Any], kind: str) -> list[Any]:
    entries = found.get(kind)
    return entries if isinstance(entries, list) else []


def _field(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, Mapping) else None
