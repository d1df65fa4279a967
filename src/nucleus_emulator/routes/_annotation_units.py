"""Annotation and prediction units read from request bodies and job NDJSON (both families)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import UploadFile

from nucleus_emulator.app import ApiError, ApiRequest
from nucleus_emulator.jobs import JobContext
from nucleus_emulator.routes._common import job_ndjson_lines, signed_upload_blob, update_flag
from nucleus_emulator.store.annotation_input import AnnotationInput, parse_unit
from nucleus_emulator.store.annotations import UploadResult

#: Units per transaction (and per progress step) when a job ingests NDJSON.
JOB_CHUNK = 5000

#: A checked unit, or `(payload, reason)` for one that is not valid.
Unit = AnnotationInput | tuple[Any, str]


def parse_units(payloads: Sequence[Any], *, segmentation: bool, prediction: bool) -> list[Unit]:
    units: list[Unit] = []
    for payload in payloads:
        parsed = parse_unit(payload, segmentation=segmentation, prediction=prediction)
        units.append((payload, parsed) if isinstance(parsed, str) else parsed)
    return units


def json_units(body: dict[str, Any], *, prediction: bool) -> list[Unit]:
    """Units of a JSON batch: `annotations` (typed) then `segmentations` (masks)."""
    units: list[Unit] = []
    for key, segmentation in (("annotations", False), ("segmentations", True)):
        entries = body.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ApiError(400, f"{key} must be a list")
        units += parse_units(entries, segmentation=segmentation, prediction=prediction)
    return units


def multipart_units(
    req: ApiRequest, dataset_id: str, *, prediction: bool
) -> tuple[list[Unit], bool]:
    """Pair the i-th `mask` part with the i-th segmentation of `serialized_request`."""
    assert req.form is not None
    parts = [v for k, v in req.form.multi_items() if k == "serialized_request"]
    masks = [v for k, v in req.form.multi_items() if k == "mask"]
    if len(parts) != 1:
        raise ApiError(400, "Multipart upload needs exactly one 'serialized_request' part")
    raw = parts[0]
    text = raw.file.read().decode("utf-8", "replace") if isinstance(raw, UploadFile) else raw
    try:
        request = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, f"Malformed JSON in the 'serialized_request' part: {exc}") from None
    if not isinstance(request, dict) or not isinstance(request.get("segmentations"), list):
        raise ApiError(400, "'serialized_request' must be an object with a segmentations list")
    update = update_flag(request.get("update"))
    segmentations: list[Any] = request["segmentations"]
    if any(not isinstance(mask, UploadFile) for mask in masks):
        raise ApiError(400, "Every 'mask' part must be a file")
    if len(masks) != len(segmentations):
        raise ApiError(
            400,
            f"Got {len(segmentations)} segmentations but {len(masks)} mask files;"
            " they pair by position",
        )
    units: list[Unit] = []
    blobs = req.state.blobs
    for payload, mask in zip(segmentations, masks, strict=True):
        assert isinstance(mask, UploadFile)
        parsed = parse_unit(payload, segmentation=True, prediction=prediction)
        if isinstance(parsed, str):
            units.append((payload, parsed))
            continue
        key = blobs.put(blobs.new_key(f"masks/{dataset_id}", ".png"), mask.file.read())
        units.append(dataclasses.replace(parsed, blob=key))  # mask_url stays as sent
    return units, update


def async_upload_blob(req: ApiRequest, dataset_id: str, body: dict[str, Any]) -> str:
    """The NDJSON an asynchronous upload names by `requestId` (a JSON body, never multipart)."""
    if req.form is not None:
        raise ApiError(400, "Asynchronous uploads take a JSON body with a requestId")
    return signed_upload_blob(req, dataset_id, body, "upload")


def ingest_ndjson(
    ctx: JobContext,
    dataset_id: str,
    *,
    prediction: bool,
    run_id: str | None = None,
) -> tuple[UploadResult, int]:
    """Upload the job's NDJSON in chunks; returns the summed result and the line count."""
    lines = job_ndjson_lines(ctx)
    update = bool(ctx.params.get("update"))
    ctx.set_total(len(lines))
    total = UploadResult()
    for start in range(0, len(lines), JOB_CHUNK):
        chunk = lines[start : start + JOB_CHUNK]
        units: list[Unit] = []
        for line in chunk:
            try:
                payload = json.loads(line)
            except ValueError as exc:
                units.append(({}, f"Malformed JSON line: {exc}"))
                continue
            units += parse_units([payload], segmentation=False, prediction=prediction)
        result = ctx.store.annotations.upload(dataset_id, units, update=update, run_id=run_id)
        total.processed += result.processed
        total.ignored += result.ignored
        for group, counts in result.by_group.items():
            slots = total.by_group.setdefault(group, [0, 0, 0])
            for i, n in enumerate(counts):
                slots[i] += n
        for error in result.errors:
            ctx.error(error)
        ctx.advance(len(chunk))
    return total, len(lines)
