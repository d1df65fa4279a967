"""Bulk dataset-item uploads: remote items as JSON batches, local files as multipart batches.

Both kinds stream from any (async) iterable through the bulk-upload pipeline, and every item
is accounted for: the folded server answers say how many were new, updated, ignored or failed,
and batches that did not land after the transport's retries are reported by reference id.
"""

from __future__ import annotations

import itertools
import math
import os
from collections import Counter
from collections.abc import Sequence
from functools import partial
from operator import attrgetter, contains
from typing import Any

from .._errors import DuplicateIDError, LocalFileNotFoundError, ValidationError
from .._iterables import AnyIterable
from .._json import dumps
from .._transport import FilePart, Transport
from .._wire.payloads import bulk_payload
from ..types import DatasetItem, UploadResponse
from ..types.base import REMOTE_PREFIXES, seen_keys
from ..types.dataset_item import CAMERA_PARAMS_KEY
from .files import check_files_per_request, missing_files, multipart_parts
from .journal import JournalOption, journal_at
from .pipeline import BulkUpload, FileLane, JsonLane, Lane, check_batch_size
from .probe import ItemProbe

__all__ = ["ItemUploader", "check_duplicate_reference_ids", "is_local_item", "plain_remote_items"]


def check_duplicate_reference_ids(items: Sequence[DatasetItem]) -> None:
    """Refuse an upload that names one reference id twice (the server would keep one)."""
    # Only string ids are counted: any other (a list is not even hashable) is refused with its
    # field by the per-item check that follows, not with a TypeError here.
    counts = Counter(item.reference_id for item in items if isinstance(item.reference_id, str))
    duplicates = {ref: f"Count: {n}" for ref, n in counts.items() if n > 1}
    if duplicates:
        raise DuplicateIDError(
            f"Duplicate reference IDs found among dataset_items: {duplicates}",
            field="reference_id",
        )


def _check_json_value(value: Any, field: str, obj: str) -> None:
    """Refuse what ``json.dumps(allow_nan=False)`` would refuse, naming where it sits.

    Checked with the item, so one bad value fails the call before any request instead of
    failing its batch mid-upload after other batches were sent.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(
                f"must be a finite number, got {value!r} (JSON has no NaN or infinity)",
                field=field,
                obj=obj,
            )
        return
    if isinstance(value, (list, tuple)):
        for i, entry in enumerate(value):
            _check_json_value(entry, f"{field}[{i}]", obj)
        return
    if isinstance(value, dict):
        if {*map(type, value.values())} <= _ATOMIC_JSON and {*map(type, value)} <= _STR:
            return  # flat metadata of strings, ints, bools and None: one C-level pass
        for key, entry in value.items():
            if key is not None and not isinstance(key, (str, int, float, bool)):
                raise ValidationError(
                    f"keys must be strings, got {type(key).__name__}", field=field, obj=obj
                )
            _check_json_value(entry, f"{field}.{key}", obj)
        return
    raise ValidationError(
        f"is not JSON-serializable ({type(value).__name__})", field=field, obj=obj
    )


#: Value types JSON always takes as they are (a float may be NaN or infinity).
_ATOMIC_JSON = frozenset({str, int, bool, type(None)})
_STR = frozenset({str})


_REFERENCE_ID = attrgetter("reference_id")
_IMAGE_LOCATION = attrgetter("image_location")
_METADATA = attrgetter("metadata")
#: The optional fields a plain item leaves unset (None).
_UNSET = attrgetter("pointcloud_location", "embedding_info", "width", "height", "upload_to_scale")
_NOTHING = (None,) * 5


def plain_remote_items(items: list[Any]) -> bool:
    """True when every item is a plain remote image and no reference id repeats; False when
    any item needs its own check (which then names it).

    A plain remote image is a :class:`DatasetItem` with a non-empty string reference id, a
    string image location starting with a remote scheme, flat metadata (string keys; strings,
    ints, bools and None as values: JSON without a NaN) without ``camera_params``, and no
    pointcloud, embedding, width, height or ``upload_to_scale``. Such an item passes
    ``validate()`` and the metadata check and is remote; outside privacy mode (whose items need
    width and height) it needs nothing else. Each test is one C-level pass over the list, ~13 %
    less than the item-by-item check of an append list (an asynchronous append's own check,
    without the metadata walk, is as fast item by item and stays so).
    """
    if {*map(type, items)} != {DatasetItem}:
        return False
    try:
        if {*map(_UNSET, items)} != {_NOTHING}:
            return False
    except TypeError:
        return False  # an unhashable value is set (an embedding as a dict)
    references = [*map(_REFERENCE_ID, items)]
    locations = [*map(_IMAGE_LOCATION, items)]
    metadata = [*map(_METADATA, items)]
    if (
        {*map(type, references)} != _STR
        or not all(references)
        or {*map(type, locations)} != _STR
        or not all(map(str.startswith, locations, itertools.repeat(REMOTE_PREFIXES)))
        or {*map(type, metadata)} != {dict}
        or any(map(contains, metadata, itertools.repeat(CAMERA_PARAMS_KEY)))
        or not {*map(type, itertools.chain.from_iterable(map(dict.values, metadata)))}
        <= _ATOMIC_JSON
        or not {*map(type, itertools.chain.from_iterable(metadata))} <= _STR
    ):
        return False
    # Distinct hashes prove distinct ids; a clash (or a repeat) goes to the exact check.
    hashes = [*map(hash, references)]
    return len(set(hashes)) == len(hashes)


class _ItemChecks:
    """Each item valid (JSON-safe metadata, sizes in privacy mode); no reference id twice."""

    noun = "items"

    def __init__(self, privacy_mode: bool) -> None:
        self._privacy_mode = privacy_mode
        self._seen = seen_keys()

    def check_list(self, units: Sequence[Any]) -> list[DatasetItem]:
        listed = units if isinstance(units, list) else list(units)
        if not self._privacy_mode and plain_remote_items(listed):
            return listed  # used as given, as an annotation list is
        checked = [self._valid(item) for item in listed]
        check_duplicate_reference_ids(checked)
        return checked

    def check_unit(self, unit: Any) -> DatasetItem:
        item = self._valid(unit)
        if item.reference_id in self._seen:
            raise ValidationError(
                "Duplicate reference IDs found among dataset_items",
                field="reference_id",
                obj=item.reference_id,
            )
        self._seen[item.reference_id] = None
        return item

    def _valid(self, item: object) -> DatasetItem:
        if not isinstance(item, DatasetItem):
            raise ValidationError(
                f"expected a DatasetItem, got {type(item).__name__}", field="items"
            )
        item.validate()
        _check_json_value(item.metadata, "metadata", item.reference_id)
        if self._privacy_mode and (not item.width or not item.height):
            raise ValidationError(
                "items uploaded to a privacy-mode dataset need width and height",
                field="width/height",
                obj=item.reference_id,
            )
        return item


def is_local_item(item: DatasetItem) -> bool:
    """``item.is_local``, answered without a URL parse for the usual remote schemes."""
    # Only a location without a usual remote prefix pays for ``DatasetItem.is_local`` (a full
    # URL parse, ~25 µs, once the top per-item cost).
    location = item.image_location or item.pointcloud_location
    if location and location.startswith(REMOTE_PREFIXES):
        return False
    return item.is_local


def _image_content_type(path: str) -> str:
    # The service expects the extension verbatim: .jpg -> image/jpg, .jpeg -> image/jpeg.
    ext = os.path.splitext(path)[1][1:].lower()
    return f"image/{ext or 'jpeg'}"


async def _check_local_files_exist(items: Sequence[DatasetItem]) -> None:
    absent = [items[i] for i in await missing_files([item.image_location for item in items])]
    if absent:
        first = absent[0]
        raise LocalFileNotFoundError(
            str(first.image_location), "image_location", first.reference_id, len(absent) - 1
        )


async def _local_item_parts(update: bool, items: Sequence[DatasetItem]) -> list[FilePart]:
    items_json = dumps([{**item.to_payload(), "update": update} for item in items])
    paths = [item.image_location or "" for item in items]
    return await multipart_parts(
        "items",
        items_json,
        "image",
        paths,
        _image_content_type,
        field="image_location",
        reference_ids=[item.reference_id for item in items],
    )


class _ItemLanes:
    """Remote items in JSON batches of ``batch_size``; local files in multipart batches."""

    def __init__(self, *, update: bool, batch_size: int, files_per_request: int) -> None:
        self.remote: JsonLane[DatasetItem] = JsonLane(
            batch_size, "items", bulk_payload(), tail={"update": update}, finite=True
        )
        self.local: FileLane[DatasetItem] = FileLane(
            files_per_request, partial(_local_item_parts, update), _check_local_files_exist
        )
        self.all: tuple[Lane[DatasetItem], ...] = (self.remote, self.local)

    def of(self, item: DatasetItem) -> Lane[DatasetItem]:
        return self.local if is_local_item(item) else self.remote

    def by_class(self, cls: type) -> Lane[DatasetItem] | None:
        return None  # an item's lane depends on its image location (local or remote)


class _ItemTally:
    """The append answers folded into one ``UploadResponse``."""

    def __init__(self, dataset_id: str) -> None:
        self._response = UploadResponse(json={"dataset_id": dataset_id})

    def add(self, answer: Any) -> None:
        self._response.update_response(answer)

    def result(self) -> UploadResponse:
        return self._response


class ItemUploader:
    """Uploads dataset items to one dataset, concurrently, under the client's limiter."""

    def __init__(
        self,
        transport: Transport,
        dataset_id: str,
        *,
        concurrency: int,
        progress: bool | None,
    ) -> None:
        self._dataset_id = dataset_id
        self._bulk = BulkUpload(transport, f"dataset/{dataset_id}/append", concurrency, progress)

    async def upload(
        self,
        items: AnyIterable[DatasetItem],
        *,
        update: bool,
        batch_size: int,
        local_files_per_upload_request: int,
        privacy_mode: bool,
        journal: JournalOption | None = None,
    ) -> UploadResponse:
        """Upload every item; raise ``UploadError`` (with the partial answer) if a batch failed.

        With a ``journal`` (a path or a ``BatchJournal``), the batches an earlier run recorded
        there as landed are skipped, and those it left in doubt are probed first.
        """
        check_batch_size("batch_size", batch_size)
        check_files_per_request(local_files_per_upload_request)
        lanes = _ItemLanes(
            update=update, batch_size=batch_size, files_per_request=local_files_per_upload_request
        )
        tally = _ItemTally(self._dataset_id)
        bulk = self._bulk
        probe = ItemProbe(
            bulk.transport, self._dataset_id, update=update, concurrency=bulk.concurrency
        )
        async with journal_at(journal) as recorded:
            return await bulk.run(
                items,
                checks=_ItemChecks(privacy_mode),
                lanes=lanes,
                tally=tally,
                journal=recorded,
                probe=probe,
            )
