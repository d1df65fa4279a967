"""Bulk dataset-item uploads: remote items as JSON batches, local files as multipart batches.

Both kinds stream from any (async) iterable through the client's worker pool, and every item
is accounted for: the folded server answers say how many were new, updated, ignored or failed,
and batches that did not land after the transport's retries are reported by reference id.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from functools import partial
from typing import Any

import anyio

from ._concurrency import MAX_BODY_BYTES_IN_FLIGHT, BatchFailure, ByteBudget, fan_out
from ._errors import NotFoundError, UploadError, ValidationError
from ._progress import progress_for
from ._transport import FilePart, Transport, dumps, dumps_batch
from .types import DatasetItem, UploadResponse

__all__ = [
    "ItemBatch",
    "MAX_LOCAL_FILES_PER_REQUEST",
    "ItemUploader",
    "check_duplicate_reference_ids",
]

#: The service accepts at most this many files in one multipart request.
MAX_LOCAL_FILES_PER_REQUEST = 10


class ItemBatch:
    """One request's worth of items (all local or all remote), and its JSON body once built.

    A remote batch's body is built by the producer (so the byte budget counts it) and dropped
    by the worker once the request is over; a failed batch keeps only its items.
    """

    __slots__ = ("body", "error", "is_local", "items", "size")

    def __init__(self, is_local: bool, items: list[DatasetItem]) -> None:
        self.is_local = is_local
        self.items = items
        self.body: bytes | None = None
        self.error: ValueError | None = None
        self.size = 0


def check_duplicate_reference_ids(items: Sequence[DatasetItem]) -> None:
    """Refuse an upload that names one reference id twice (the server would keep one)."""
    counts = Counter(item.reference_id for item in items)
    duplicates = {ref: f"Count: {n}" for ref, n in counts.items() if n > 1}
    if duplicates:
        raise ValidationError(
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


def _validate_item(item: object, privacy_mode: bool) -> DatasetItem:
    if not isinstance(item, DatasetItem):
        raise ValidationError(f"expected a DatasetItem, got {type(item).__name__}", field="items")
    item.validate()
    _check_json_value(item.metadata, "metadata", item.reference_id)
    if privacy_mode and (not item.width or not item.height):
        raise ValidationError(
            "items uploaded to a privacy-mode dataset need width and height",
            field="width/height",
            obj=item.reference_id,
        )
    return item


#: Location prefixes that are certainly remote (the scheme is one the service fetches); anything
#: else goes through ``DatasetItem.is_local`` (a full URL parse, ~25 µs, the top per-item cost).
_REMOTE_PREFIXES = ("s3://", "gs://", "https://", "http://")


def _is_local(item: DatasetItem) -> bool:
    location = item.image_location or item.pointcloud_location
    if location and location.startswith(_REMOTE_PREFIXES):
        return False
    return item.is_local


def _item_payload(item: DatasetItem) -> Any:
    return item.to_payload()


def _image_content_type(path: str) -> str:
    # The service expects the extension verbatim: .jpg -> image/jpg, .jpeg -> image/jpeg.
    ext = os.path.splitext(path)[1][1:].lower()
    return f"image/{ext or 'jpeg'}"


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
        self._transport = transport
        self._dataset_id = dataset_id
        self._concurrency = concurrency
        self._progress = progress
        self._route = f"dataset/{dataset_id}/append"

    async def upload(
        self,
        items: Iterable[DatasetItem] | AsyncIterable[DatasetItem],
        *,
        update: bool,
        batch_size: int,
        local_files_per_upload_request: int,
        privacy_mode: bool,
    ) -> UploadResponse:
        """Upload every item; raise ``UploadError`` (with the partial answer) if a batch failed."""
        if batch_size < 1:
            raise ValidationError(f"must be at least 1, got {batch_size}", field="batch_size")
        if not 1 <= local_files_per_upload_request <= MAX_LOCAL_FILES_PER_REQUEST:
            raise ValidationError(
                f"must be between 1 and {MAX_LOCAL_FILES_PER_REQUEST}, "
                f"got {local_files_per_upload_request}",
                field="local_files_per_upload_request",
            )
        total: int | None = None
        if isinstance(items, Sequence):
            # A list can be checked whole before the first request.
            checked = [_validate_item(item, privacy_mode) for item in items]
            check_duplicate_reference_ids(checked)
            await _check_local_files_exist(checked)
            total = len(checked)
            items = checked
        response = UploadResponse(json={"dataset_id": self._dataset_id})
        # What was read from the input but not yet handed to a worker: on the first failure
        # the producer stops, and these (and, for a list, the items never read) are reported
        # as unsent instead of vanishing.
        pending: dict[int, list[DatasetItem]] = {}
        done: set[str] | None = set() if total is not None else None

        budget = ByteBudget(MAX_BODY_BYTES_IN_FLIGHT)
        tail = {"update": update}

        async def tracked() -> AsyncIterator[ItemBatch]:
            async for batch in self._batches(
                items, batch_size, local_files_per_upload_request, privacy_mode, total
            ):
                pending[id(batch.items)] = batch.items
                if not batch.is_local:
                    # Built here once the budget has room for it: only the bodies in flight
                    # (and the one being built) exist.
                    chunk = batch.items
                    try:
                        make = partial(dumps_batch, {}, "items", chunk, _item_payload, tail)
                        batch.body = await budget.build(len(chunk), make)
                        batch.size = len(batch.body)
                    except ValueError as exc:
                        batch.error = exc  # this batch's failure, like a request that failed
                yield batch

        with progress_for(self._progress).task("Uploading items", total=total) as task:

            async def send(batch: ItemBatch) -> None:
                chunk = batch.items
                pending.pop(id(chunk), None)
                if done is not None:
                    done.update(item.reference_id for item in chunk)
                try:
                    if batch.error is not None:
                        raise batch.error
                    if batch.is_local:
                        answer = await self._transport.request(
                            "POST", self._route, multipart=self._multipart_factory(chunk, update)
                        )
                    else:
                        answer = await self._transport.request(
                            "POST", self._route, content=batch.body
                        )
                finally:
                    batch.body = None
                    budget.release(batch.size)
                response.update_response(answer)
                task.advance(len(chunk))

            _, failures = await fan_out(tracked(), send, concurrency=self._concurrency)
        if failures:
            unsent = [item.reference_id for chunk in pending.values() for item in chunk]
            if done is not None and isinstance(items, Sequence):
                unsent = [item.reference_id for item in items if item.reference_id not in done]
            raise _upload_error(failures, response, unsent)
        return response

    async def _batches(
        self,
        items: Iterable[DatasetItem] | AsyncIterable[DatasetItem],
        batch_size: int,
        local_batch_size: int,
        privacy_mode: bool,
        total: int | None,
    ) -> AsyncIterator[ItemBatch]:
        """Split the stream into remote and local batches, validating streamed items on the way."""
        remote: list[DatasetItem] = []
        local: list[DatasetItem] = []
        seen: set[str] | None = None if total is not None else set()

        async def iterate() -> AsyncIterator[DatasetItem]:
            if isinstance(items, AsyncIterable):
                async for item in items:
                    yield item
            else:
                for item in items:
                    yield item

        async for raw in iterate():
            if seen is not None:
                item = _validate_item(raw, privacy_mode)
                if item.reference_id in seen:
                    raise ValidationError(
                        "Duplicate reference IDs found among dataset_items",
                        field="reference_id",
                        obj=item.reference_id,
                    )
                seen.add(item.reference_id)
            else:
                item = raw
            if _is_local(item):
                local.append(item)
                if len(local) >= local_batch_size:
                    if seen is not None:
                        await _check_local_files_exist(local)
                    yield ItemBatch(True, local)
                    local = []
            else:
                remote.append(item)
                if len(remote) >= batch_size:
                    yield ItemBatch(False, remote)
                    remote = []
        if remote:
            yield ItemBatch(False, remote)
        if local:
            if seen is not None:
                await _check_local_files_exist(local)
            yield ItemBatch(True, local)

    def _multipart_factory(self, chunk: list[DatasetItem], update: bool) -> Any:
        async def build() -> Sequence[FilePart]:
            # Rebuilt on every attempt, so a retried upload re-reads the files.
            items_json = dumps([{**item.to_payload(), "update": update} for item in chunk])
            paths = [item.image_location for item in chunk]
            # All of the batch's files in one worker-thread call (a thread hop per file, or
            # three with aiofiles, costs more than reading 20 KB).
            contents = await anyio.to_thread.run_sync(read_files, paths)
            parts: list[FilePart] = [("items", (None, items_json, "application/json"))]
            for path, content in zip(paths, contents, strict=True):
                assert path is not None
                parts.append(("image", (path, content, _image_content_type(path))))
            return parts

        return build


def read_files(paths: Sequence[str | None]) -> list[bytes]:
    """The contents of the files, in order (run in a worker thread)."""
    contents = []
    for path in paths:
        assert path is not None
        with open(path, "rb") as f:
            contents.append(f.read())
    return contents


async def _check_local_files_exist(items: Sequence[DatasetItem]) -> None:
    local = [(item.image_location, item.reference_id) for item in items if _is_local(item)]
    if not local:
        return

    def missing() -> list[tuple[str, str]]:
        return [(str(p), ref) for p, ref in local if p is None or not os.path.isfile(p)]

    absent = await anyio.to_thread.run_sync(missing)
    if absent:
        more = " …" if len(absent) > 5 else ""
        raise NotFoundError(
            f"Local file(s) not found: {[p for p, _ in absent[:5]]}{more} "
            f"(image_location of reference ids {[r for _, r in absent[:5]]}{more})"
        )


def _upload_error(
    failures: list[BatchFailure[ItemBatch]], partial: UploadResponse, unsent: list[str]
) -> UploadError:
    failed = [([item.reference_id for item in f.batch.items], f.error) for f in failures]
    refs = sum(len(refs) for refs, _ in failed)
    first = failures[0].error
    not_sent = (
        f" {len(unsent)} more item(s) were not sent after the first failure "
        "(see .unsent_reference_ids)."
        if unsent
        else ""
    )
    return UploadError(
        f"{len(failures)} batch(es) holding {refs} item(s) did not land "
        f"(first error: {first}); see .failed_batches. The batches that landed are in "
        f".partial.{not_sent}",
        failed_batches=failed,
        partial=partial,
        unsent_reference_ids=unsent,
    )
