"""Bulk annotation uploads: ground truth, predictions, segmentation masks, as the service wants.

Annotations and predictions travel the bulk-upload pipeline in three kinds of batch, as the
service wants them (and in the official client's order):

* segmentations whose mask is a local PNG: multipart requests of at most 10 masks;
* segmentations whose mask is remote: JSON batches under ``segmentations``;
* everything else: JSON batches under ``annotations``.

The answers are folded with the service's summing merge (:func:`merge_upload_answers`). The
asynchronous way writes one JSON line per unit to a signed URL and starts a job instead.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Mapping, Sequence
from functools import partial
from itertools import islice
from typing import Any

from .._errors import DuplicateIDError, LocalFileNotFoundError, ValidationError
from .._iterables import AnyIterable, map_each
from .._json import dumps
from .._transport import FilePart, Transport
from .._wire.box_text import BoxColumns, plain_boxes_lines, plain_boxes_text
from .._wire.payloads import bulk_payload
from ..types import Annotation, SegmentationAnnotation, check_duplicate_ids, is_local_path
from ..types.base import may_repeat, seen_keys
from .files import check_files_per_request, missing_files, multipart_parts
from .journal import JournalOption, journal_at
from .pipeline import BulkUpload, FileLane, JsonLane, Lane, check_batch_size, checked_stream
from .probe import AnnotationProbe
from .signed import LineEncoding, upload_ndjson

__all__ = ["AnnotationUploader", "merge_upload_answers"]

#: Answer keys that are identities, not counters: the last answer wins.
_OVERWRITTEN_KEYS = frozenset({"dataset_id", "model_run_id"})


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


class _AnswerTally:
    """The batch answers folded into one dict (``{}`` when nothing was sent)."""

    def __init__(self) -> None:
        self._merged: dict[str, Any] = {}

    def add(self, answer: Any) -> None:
        merge_upload_answers(self._merged, answer)

    def result(self) -> dict[str, Any]:
        return self._merged


class _AnnotationChecks:
    """Each unit a valid annotation (or prediction); no duplicate identity in one upload."""

    def __init__(self, predictions: bool) -> None:
        self._predictions = predictions
        self.noun = "predictions" if predictions else "annotations"
        #: Hashes of the identities a stream has shown (a key tuple would make the record one
        #: the garbage collector walks). Two identities share a 64-bit hash with odds of ~1 in
        #: 30 million for a million units; such a pair is refused as a duplicate.
        self._seen = seen_keys()

    def check_list(self, units: Sequence[Any]) -> Sequence[Annotation]:
        """Every unit valid and no identity twice, or the first problem raised.

        A list of plain boxes is read a column at a time (:class:`BoxColumns`, what the
        bodies are then written from); any other unit, from the first piece that is not all
        plain boxes, is checked on its own. Each identity is hashed (8 bytes a unit, not a set
        of key tuples); only when two hashes clash are the keys compared whole.
        """
        plain = BoxColumns.read_prefix(units)
        if plain is not None and len(plain) == len(units):
            if plain.may_hold_duplicates():
                check_duplicate_ids(plain, predictions=self._predictions)
            return plain
        hashes = array("q") if plain is None else array("q", plain.identity_hashes())
        append = hashes.append
        # The loop is ``_valid`` written out (a call per unit is a fifth of the check).
        for unit in islice(units, 0 if plain is None else len(plain), None):
            if not isinstance(unit, Annotation):
                raise self._not_an_annotation(unit)
            unit.validate()
            key = unit.duplicate_key()
            if key is not None:
                append(hash(key))
        # A list is used as given (a copy would be 8 bytes per unit for nothing).
        checked: Sequence[Annotation] = units if isinstance(units, list) else list(units)
        if may_repeat(hashes):
            check_duplicate_ids(checked, predictions=self._predictions)
        return checked

    def check_unit(self, unit: Any) -> Annotation:
        checked = self._valid(unit)
        key = checked.duplicate_key()
        if key is not None:
            identity = hash(key)
            if identity in self._seen:
                raise self._duplicate(checked)
            self._seen[identity] = None
        return checked

    def _valid(self, unit: Any) -> Annotation:
        if not isinstance(unit, Annotation):
            raise self._not_an_annotation(unit)
        unit.validate()
        return unit

    def _not_an_annotation(self, unit: object) -> ValidationError:
        return ValidationError(
            f"expected an annotation or prediction object, got {type(unit).__name__}",
            field=self.noun,
        )

    def _duplicate(self, unit: Annotation) -> DuplicateIDError:
        fields = (
            "(annotation_id, reference_id)"
            if self._predictions
            else "(reference_id, annotation_id, task_id)"
        )
        return DuplicateIDError(
            f"Duplicate {self.noun} with the same {fields} properties found: "
            f"{unit.duplicate_key()!r}. To fix this, avoid duplicate {self.noun}, or specify a "
            "different annotation_id attribute for the failing items.",
            field="annotation_id",
            obj=unit.reference_id,
        )


def _is_local_mask(unit: Annotation) -> bool:
    return isinstance(unit, SegmentationAnnotation) and is_local_path(unit.mask_url)


def _mask_paths(units: Sequence[Annotation]) -> list[str]:
    return [unit.mask_url for unit in units if isinstance(unit, SegmentationAnnotation)]


async def _check_local_masks(units: Sequence[Annotation]) -> None:
    """Every local mask must be an existing ``.png`` file (checked off the event loop)."""
    paths = _mask_paths(units)
    missing = set(await missing_files(paths))
    for i, (path, unit) in enumerate(zip(paths, units, strict=True)):
        if os.path.splitext(path)[1].lower() != ".png":
            raise ValidationError(
                f"Only png files are supported; got {path!r}",
                field="mask_url",
                obj=unit.reference_id,
            )
        if i in missing:
            raise LocalFileNotFoundError(path, "mask_url", unit.reference_id, len(missing) - 1)


async def _local_mask_parts(update: bool, units: Sequence[Annotation]) -> list[FilePart]:
    request = dumps({"segmentations": [unit.to_payload() for unit in units], "update": update})
    return await multipart_parts(
        "serialized_request",
        request,
        "mask",
        _mask_paths(units),
        lambda _: "image/png",
        field="mask_url",
        reference_ids=[unit.reference_id for unit in units],
    )


class _AnnotationLanes:
    """Local masks as multipart, remote masks under ``segmentations``, the rest under
    ``annotations``; every JSON batch carries ``update`` (and ``trained_slice_id`` if given)."""

    def __init__(
        self,
        update: bool,
        trained_slice_id: str | None,
        batch_size: int,
        remote_files_per_request: int,
        local_files_per_request: int,
    ) -> None:
        head = {"update": update}
        payload = bulk_payload()
        tail = {"trained_slice_id": trained_slice_id} if trained_slice_id else None
        self.local_masks: FileLane[Annotation] = FileLane(
            local_files_per_request, partial(_local_mask_parts, update), _check_local_masks
        )
        self.remote_masks: JsonLane[Annotation] = JsonLane(
            remote_files_per_request, "segmentations", payload, head, tail, finite=True
        )
        self.geometry: JsonLane[Annotation] = JsonLane(
            batch_size, "annotations", payload, head, tail, finite=True, text=plain_boxes_text
        )
        self.all: tuple[Lane[Annotation], ...] = (
            self.local_masks,
            self.remote_masks,
            self.geometry,
        )

    def of(self, unit: Annotation) -> Lane[Annotation]:
        if isinstance(unit, SegmentationAnnotation):
            return self.local_masks if is_local_path(unit.mask_url) else self.remote_masks
        return self.geometry

    def by_class(self, cls: type) -> Lane[Annotation] | None:
        # A segmentation's lane depends on its mask (local or remote); every other type's not.
        return None if issubclass(cls, SegmentationAnnotation) else self.geometry


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
        self._dataset_id = dataset_id
        self._predictions = predictions
        self._bulk = BulkUpload(transport, route, concurrency, progress)

    async def upload(
        self,
        units: AnyIterable[Any],
        *,
        update: bool,
        batch_size: int,
        remote_files_per_upload_request: int,
        local_files_per_upload_request: int,
        trained_slice_id: str | None = None,
        journal: JournalOption | None = None,
    ) -> dict[str, Any]:
        """Upload every unit; return the folded answer (``{}`` for an empty input).

        Raises ``ValidationError``/``DuplicateIDError`` for bad input (before any request for a
        list), and ``UploadError`` holding the folded answer of the batches that landed and
        the reference ids of each batch that did not. With a ``journal`` (a path or a
        ``BatchJournal``), the batches an earlier run recorded there as landed are skipped, and
        those it left in doubt are probed first.
        """
        check_batch_size("batch_size", batch_size)
        check_batch_size("remote_files_per_upload_request", remote_files_per_upload_request)
        check_files_per_request(local_files_per_upload_request)
        sizes = (batch_size, remote_files_per_upload_request, local_files_per_upload_request)
        lanes = _AnnotationLanes(update, trained_slice_id, *sizes)
        checks = _AnnotationChecks(self._predictions)
        bulk = self._bulk
        probe = AnnotationProbe(
            bulk.transport,
            self._dataset_id,
            bulk.route,
            predictions=self._predictions,
            update=update,
            concurrency=bulk.concurrency,
        )
        async with journal_at(journal) as recorded:
            return await bulk.run(
                units,
                checks=checks,
                lanes=lanes,
                tally=_AnswerTally(),
                journal=recorded,
                probe=probe,
            )

    async def upload_async(
        self,
        units: AnyIterable[Any],
        *,
        update: bool,
        extra: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """Write one JSON line per unit to signed URLs, start the job(s); return their JSON.

        One job per part of the upload (see :func:`~.signed.upload_ndjson`): one unless the
        lines pass the service's size cap. Local masks are refused: the service cannot read
        them from a signed-URL upload.
        """
        checks = _AnnotationChecks(self._predictions)
        checked = (
            checks.check_list(units)
            if isinstance(units, Sequence)
            else checked_stream(checks, units)
        )
        transport = self._bulk.transport
        route = f"{self._bulk.route}?async=1"

        async def start_job(request_id: str) -> Any:
            body = {"requestId": request_id, "update": update, **(extra or {})}
            return await transport.request("POST", route, body)

        encoding = LineEncoding(payload=bulk_payload(), text=plain_boxes_lines, finite=True)
        return await upload_ndjson(
            transport, self._dataset_id, _remote_units(checked), start_job, encoding=encoding
        )


def _remote_units(units: AnyIterable[Annotation]) -> AnyIterable[Annotation]:
    if isinstance(units, BoxColumns):
        return units  # boxes have no masks; their lines are written from the columns

    def remote(unit: Annotation) -> Annotation:
        if _is_local_mask(unit):
            assert isinstance(unit, SegmentationAnnotation)
            raise ValidationError(
                "asynchronous uploads need remote mask URLs (http, https, s3, gs); "
                f"{unit.mask_url!r} is a local path. Use asynchronous=False to upload local "
                "masks.",
                field="mask_url",
                obj=unit.reference_id,
            )
        return unit

    return map_each(remote, units)
