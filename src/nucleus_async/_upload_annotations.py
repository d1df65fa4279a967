"""Bulk ground-truth and prediction uploads: concurrent JSON and local-mask batches, folded answers.

One pass over the input (any iterable or async iterable) sorts each unit into one of three
batch kinds, as the service wants them:

* segmentations whose mask is a local PNG: multipart requests of at most 10 masks;
* segmentations whose mask is remote: JSON batches under ``segmentations``;
* everything else: JSON batches under ``annotations``.

Full batches go straight to the client's worker pool (``fan_out``), so batches travel
concurrently and only the batches in flight exist as payloads. The answers are folded with the
service's summing merge (:func:`merge_upload_answers`). A list is validated whole before the
first request; a stream is validated unit by unit as it is read.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import anyio

from ._concurrency import MAX_BODY_BYTES_IN_FLIGHT, BatchFailure, ByteBudget, fan_out
from ._errors import DuplicateIDError, UploadError, ValidationError
from ._progress import progress_for
from ._signed_upload import upload_ndjson
from ._transport import FilePart, MultipartFactory, Transport, dumps, dumps_batch
from ._upload import read_files
from .types import Annotation, SegmentationAnnotation, check_duplicate_ids, is_local_path

__all__ = [
    "MAX_LOCAL_FILES_PER_REQUEST",
    "AnnotationUploader",
    "MaskFileNotFoundError",
    "UnitBatch",
    "merge_upload_answers",
]

#: The service accepts at most this many mask files in one multipart request.
MAX_LOCAL_FILES_PER_REQUEST = 10

#: Batch kinds, in the order the official client sends them.
LOCAL_MASKS = "local_masks"
REMOTE_MASKS = "remote_masks"
GEOMETRY = "annotations"


class UnitBatch:
    """One request's worth of annotations or predictions, and its JSON body once built.

    The body is built by the producer (so the byte budget counts it) and dropped by the worker
    once the request is over; a failed batch keeps only its units.
    """

    __slots__ = ("body", "error", "kind", "size", "units")

    def __init__(self, kind: str, units: list[Annotation]) -> None:
        self.kind = kind
        self.units = units
        self.body: bytes | None = None
        self.error: ValueError | None = None
        self.size = 0


#: Answer keys that are identities, not counters: the last answer wins.
_OVERWRITTEN_KEYS = frozenset({"dataset_id", "model_run_id"})


class MaskFileNotFoundError(ValidationError, FileNotFoundError):
    """A segmentation names a local mask file that does not exist."""


def merge_upload_answers(total: dict[str, Any], answer: Any) -> None:
    """Fold one batch's answer into ``total`` with the service's summing merge.

    The first occurrence of a key is taken; later ones are added (numbers sum, lists and
    strings concatenate), except ``dataset_id`` and ``model_run_id``, which are overwritten.
    Values that cannot be added are replaced by the later one.
    """
    if not isinstance(answer, Mapping):
        return
    for key, value in answer.items():
        if key not in total or key in _OVERWRITTEN_KEYS:
            total[key] = list(value) if isinstance(value, list) else value
            continue
        current = total[key]
        if isinstance(current, list) and isinstance(value, list):
            current.extend(value)
        elif _summable(current, value):
            total[key] = current + value
        else:
            total[key] = value


def _summable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return True
    return isinstance(a, str) and isinstance(b, str)


def _payload(unit: Annotation) -> Any:
    return unit.to_payload()


def _kind(unit: Annotation) -> str:
    if isinstance(unit, SegmentationAnnotation):
        return LOCAL_MASKS if is_local_path(unit.mask_url) else REMOTE_MASKS
    return GEOMETRY


async def _iterate(units: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
    if isinstance(units, AsyncIterable):
        async for unit in units:
            yield unit
    else:
        for unit in units:
            yield unit


def _mask_problems(masks: Sequence[SegmentationAnnotation]) -> None:
    """Raise for the first mask that is not a PNG or does not exist (runs in a worker thread)."""
    for mask in masks:
        path = mask.mask_url
        if os.path.splitext(path)[1].lower() != ".png":
            raise ValidationError(
                f"Only png files are supported; got {path!r}",
                field="mask_url",
                obj=mask.reference_id,
            )
        if not os.path.isfile(path):
            raise MaskFileNotFoundError(
                f"Mask file {path} does not exist.", field="mask_url", obj=mask.reference_id
            )


async def check_local_masks(units: Sequence[Annotation]) -> None:
    """Every local mask must be an existing ``.png`` file (checked off the event loop)."""
    masks = [u for u in units if isinstance(u, SegmentationAnnotation) and _kind(u) == LOCAL_MASKS]
    if masks:
        await anyio.to_thread.run_sync(_mask_problems, masks)


class AnnotationUploader:
    """Uploads annotations or predictions to one route, concurrently, under the client's limiter.

    ``route`` is ``dataset/{ds}/annotate`` or ``dataset/{ds}/model/{model}/uploadPredictions``;
    ``predictions`` selects the duplicate rule and the wording of messages.
    """

    def __init__(
        self,
        transport: Transport,
        dataset_id: str,
        route: str,
        *,
        predictions: bool,
        concurrency: int,
        progress: bool | None,
    ) -> None:
        self._transport = transport
        self._dataset_id = dataset_id
        self._route = route
        self._predictions = predictions
        self._concurrency = concurrency
        self._progress = progress
        self._noun = "predictions" if predictions else "annotations"

    # -- validation ----------------------------------------------------------------------

    def _check_unit(self, unit: Any) -> Annotation:
        if not isinstance(unit, Annotation):
            raise ValidationError(
                f"expected an annotation or prediction object, got {type(unit).__name__}",
                field=self._noun,
            )
        unit.validate()
        return unit

    def _check_list(self, units: Sequence[Any]) -> Sequence[Annotation]:
        for unit in units:
            self._check_unit(unit)
        # A list is used as given (a copy would be 8 bytes per unit for nothing).
        checked: Sequence[Annotation] = units if isinstance(units, list) else list(units)
        check_duplicate_ids(checked, predictions=self._predictions)
        return checked

    def _duplicate(self, unit: Annotation) -> DuplicateIDError:
        fields = (
            "(annotation_id, reference_id)"
            if self._predictions
            else "(reference_id, annotation_id, task_id)"
        )
        return DuplicateIDError(
            f"Duplicate {self._noun} with the same {fields} properties found: "
            f"{unit.duplicate_key()!r}. To fix this, avoid duplicate {self._noun}, or specify a "
            "different annotation_id attribute for the failing items.",
            field="annotation_id",
            obj=unit.reference_id,
        )

    # -- synchronous upload ----------------------------------------------------------------

    async def upload(
        self,
        units: Iterable[Any] | AsyncIterable[Any],
        *,
        update: bool,
        batch_size: int,
        remote_files_per_upload_request: int,
        local_files_per_upload_request: int,
        trained_slice_id: str | None = None,
    ) -> dict[str, Any]:
        """Upload every unit; return the folded answer (``{}`` for an empty input).

        Raises ``ValidationError``/``DuplicateIDError`` for bad input (before any request for a
        list), and ``UploadError`` holding the folded answer of the batches that landed and
        the reference ids of each batch that did not.
        """
        for name, value in (
            ("batch_size", batch_size),
            ("remote_files_per_upload_request", remote_files_per_upload_request),
        ):
            if value < 1:
                raise ValidationError(f"must be at least 1, got {value}", field=name)
        if not 1 <= local_files_per_upload_request <= MAX_LOCAL_FILES_PER_REQUEST:
            raise ValidationError(
                f"must be between 1 and {MAX_LOCAL_FILES_PER_REQUEST}, "
                f"got {local_files_per_upload_request}",
                field="local_files_per_upload_request",
            )
        total: int | None = None
        checked = False
        if isinstance(units, Sequence):
            units = self._check_list(units)
            await check_local_masks(units)
            total, checked = len(units), True
        sizes = {
            LOCAL_MASKS: local_files_per_upload_request,
            REMOTE_MASKS: remote_files_per_upload_request,
            GEOMETRY: batch_size,
        }
        merged: dict[str, Any] = {}
        budget = ByteBudget(MAX_BODY_BYTES_IN_FLIGHT)
        tail = {"trained_slice_id": trained_slice_id} if trained_slice_id else None

        async def bodies() -> AsyncIterator[UnitBatch]:
            # The body is built here, one batch at a time, once the budget has room for it:
            # only the bodies in flight (and the one being built) exist.
            async for batch in self._batches(units, sizes, checked=checked):
                if batch.kind != LOCAL_MASKS:
                    key = "segmentations" if batch.kind == REMOTE_MASKS else "annotations"
                    chunk = batch.units
                    try:
                        batch.body = await budget.build(
                            len(chunk),
                            partial(dumps_batch, {"update": update}, key, chunk, _payload, tail),
                        )
                        batch.size = len(batch.body)
                    except ValueError as exc:
                        # Reported as this batch's failure, like any batch that did not land.
                        batch.error = exc
                yield batch

        with progress_for(self._progress).task(f"Uploading {self._noun}", total=total) as task:

            async def send(batch: UnitBatch) -> None:
                try:
                    if batch.error is not None:
                        raise batch.error
                    if batch.kind == LOCAL_MASKS:
                        answer = await self._transport.request(
                            "POST",
                            self._route,
                            multipart=self._multipart_factory(batch.units, update),
                        )
                    else:
                        answer = await self._transport.request(
                            "POST", self._route, content=batch.body
                        )
                finally:
                    batch.body = None
                    budget.release(batch.size)
                merge_upload_answers(merged, answer)
                task.advance(len(batch.units))

            _, failures = await fan_out(bodies(), send, concurrency=self._concurrency)
        if failures:
            raise self._upload_error(failures, merged)
        return merged

    async def _batches(
        self,
        units: Iterable[Any] | AsyncIterable[Any],
        sizes: Mapping[str, int],
        *,
        checked: bool,
    ) -> AsyncIterator[UnitBatch]:
        """Sort the stream into batch kinds; yield each batch as soon as it is full."""
        buffers: dict[str, list[Annotation]] = {kind: [] for kind in sizes}
        seen: set[Any] | None = None if checked else set()
        async for raw in _iterate(units):
            if seen is None:
                unit: Annotation = raw
            else:
                unit = self._check_unit(raw)
                key = unit.duplicate_key()
                if key is not None:
                    if key in seen:
                        raise self._duplicate(unit)
                    seen.add(key)
            kind = _kind(unit)
            buffer = buffers[kind]
            buffer.append(unit)
            if len(buffer) >= sizes[kind]:
                if kind == LOCAL_MASKS and not checked:
                    await check_local_masks(buffer)
                yield UnitBatch(kind, buffer)
                buffers[kind] = []
        for kind, buffer in buffers.items():
            if buffer:
                if kind == LOCAL_MASKS and not checked:
                    await check_local_masks(buffer)
                yield UnitBatch(kind, buffer)

    def _multipart_factory(self, chunk: list[Annotation], update: bool) -> MultipartFactory:
        async def build() -> Sequence[FilePart]:
            # Rebuilt on every attempt, so a retried upload re-reads the masks.
            segmentations = [unit.to_payload() for unit in chunk]
            request = dumps({"segmentations": segmentations, "update": update})
            parts: list[FilePart] = [("serialized_request", (None, request, "application/json"))]
            paths = [unit.mask_url for unit in chunk if isinstance(unit, SegmentationAnnotation)]
            assert len(paths) == len(chunk)
            try:
                # All of the batch's masks in one worker-thread call.
                contents = await anyio.to_thread.run_sync(read_files, paths)
            except FileNotFoundError as exc:
                unit = chunk[paths.index(exc.filename)] if exc.filename in paths else chunk[0]
                raise MaskFileNotFoundError(
                    f"Mask file {exc.filename} does not exist.",
                    field="mask_url",
                    obj=unit.reference_id,
                ) from None
            for path, content in zip(paths, contents, strict=True):
                parts.append(("mask", (path, content, "image/png")))
            return parts

        return build

    def _upload_error(
        self, failures: list[BatchFailure[UnitBatch]], partial: dict[str, Any]
    ) -> UploadError:
        failed = [([unit.reference_id for unit in f.batch.units], f.error) for f in failures]
        count = sum(len(refs) for refs, _ in failed)
        return UploadError(
            f"{len(failures)} batch(es) holding {count} {self._noun} did not land "
            f"(first error: {failures[0].error}); see .failed_batches. The answers of the "
            "batches that landed are folded in .partial.",
            failed_batches=failed,
            partial=partial,
        )

    # -- asynchronous upload ---------------------------------------------------------------

    async def upload_async(
        self,
        units: Iterable[Any] | AsyncIterable[Any],
        *,
        update: bool,
        extra: Mapping[str, Any] | None = None,
    ) -> Any:
        """Write one JSON line per unit to a signed URL, then start the job; return its JSON.

        Local masks are refused: the service cannot read them from a signed-URL upload.
        """
        if isinstance(units, Sequence):
            units = self._check_list(units)
            for unit in units:
                self._refuse_local_mask(unit)
            payloads: Iterable[dict[str, Any]] | AsyncIterable[dict[str, Any]] = (
                unit.to_payload() for unit in units
            )
        else:
            payloads = self._checked_payloads(units)
        request_id = await upload_ndjson(self._transport, self._dataset_id, payloads)
        body = {"requestId": request_id, "update": update, **(extra or {})}
        return await self._transport.request("POST", f"{self._route}?async=1", body)

    async def _checked_payloads(
        self, units: Iterable[Any] | AsyncIterable[Any]
    ) -> AsyncIterator[dict[str, Any]]:
        seen: set[Any] = set()
        async for raw in _iterate(units):
            unit = self._check_unit(raw)
            self._refuse_local_mask(unit)
            key = unit.duplicate_key()
            if key is not None:
                if key in seen:
                    raise self._duplicate(unit)
                seen.add(key)
            yield unit.to_payload()

    @staticmethod
    def _refuse_local_mask(unit: Annotation) -> None:
        if isinstance(unit, SegmentationAnnotation) and is_local_path(unit.mask_url):
            raise ValidationError(
                "asynchronous uploads need remote mask URLs (http, https, s3, gs); "
                f"{unit.mask_url!r} is a local path. Use asynchronous=False to upload local "
                "masks.",
                field="mask_url",
                obj=unit.reference_id,
            )
