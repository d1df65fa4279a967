"""Write outcomes: what each Ray write task reports and the one summary of a whole write."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from nucleus_async import UploadResponse

__all__ = ["TaskReport", "WriteSummary", "summarize"]

logger = logging.getLogger("nucleus_ray")


@attrs.frozen(kw_only=True)
class TaskReport:
    """The service's answers for one write task's rows (only a task's last attempt reports).

    ``new``/``updated`` are ``None`` where the service does not tell them apart (annotations
    and predictions written with ``update=True`` are "processed" either way).
    """

    rows: int
    stored: int
    new: int | None
    updated: int | None
    ignored: int
    failed: int
    failed_reference_ids: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @classmethod
    def from_items(cls, rows: int, response: UploadResponse) -> TaskReport:
        """From a synchronous ``Dataset.append`` answer."""
        failed_refs = tuple(
            str(payload["reference_id"])
            for payload in response.error_payload
            if isinstance(payload, Mapping) and payload.get("reference_id") is not None
        )
        return cls(
            rows=rows,
            stored=response.new_items + response.updated_items,
            new=response.new_items,
            updated=response.updated_items,
            ignored=response.ignored_items,
            failed=response.upload_errors,
            failed_reference_ids=failed_refs,
        )

    @classmethod
    def from_annotations(
        cls, rows: int, answer: Mapping[str, Any], *, prefix: str, update: bool, refs: Sequence[str]
    ) -> TaskReport:
        """From an ``annotate``/``upload_predictions`` answer (``prefix``: the counters' noun)."""
        processed = int(answer.get(f"{prefix}_processed") or 0)
        ignored = int(answer.get(f"{prefix}_ignored") or 0)
        errors = tuple(str(e) for e in answer.get("errors") or ())
        return cls(
            rows=rows,
            stored=processed,
            # With update=False "processed" can only mean "stored as new".
            new=None if update else processed,
            updated=None if update else 0,
            ignored=ignored,
            failed=rows - processed - ignored,
            failed_reference_ids=_refs_named(errors, set(refs)),
            errors=errors,
        )


def _refs_named(errors: Iterable[str], refs: set[str]) -> tuple[str, ...]:
    """The reference ids the service's per-unit errors name (compact JSON with ``referenceId``)."""
    named: dict[str, None] = {}
    for error in errors:
        try:
            unit = json.loads(error)
        except ValueError:
            continue
        if isinstance(unit, Mapping):
            ref = unit.get("referenceId", unit.get("reference_id"))
            if isinstance(ref, str) and ref in refs:
                named[ref] = None
    return tuple(named)


@attrs.frozen(kw_only=True)
class WriteSummary:
    """One summary of a whole Ray write, from ``NucleusDatasink.on_write_complete``.

    ``stored + ignored + failed == rows`` always, and for items ``new + updated == stored``.
    ``new``/``updated`` are ``None`` for annotations and predictions written with
    ``update=True`` (the service answers "processed" for both). ``failed_reference_ids``
    holds the rows the service rejected (e.g. an annotation on an unknown item); ``errors``
    its messages.
    """

    kind: str
    dataset_id: str
    rows: int
    stored: int
    new: int | None
    updated: int | None
    ignored: int
    failed: int
    failed_reference_ids: tuple[str, ...]
    errors: tuple[str, ...]
    tasks: int


def _total(values: Iterable[int | None]) -> int | None:
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def summarize(
    kind: str,
    dataset_id: str,
    reports: Sequence[TaskReport],
    *,
    update: bool,
    items_added: int | None = None,
) -> WriteSummary:
    """Fold the task reports; for items, reconcile with the service's count of new items.

    ``items_added`` (the dataset's length after the write minus before) is the exact number of
    new items even when Ray retried tasks: a retried task's rows that an earlier attempt had
    already stored come back as ignored or updated, and are moved back to ``new`` here.
    """
    rows = sum(r.rows for r in reports)
    stored = sum(r.stored for r in reports)
    ignored = sum(r.ignored for r in reports)
    failed = sum(r.failed for r in reports)
    new = _total(r.new for r in reports)
    updated = _total(r.updated for r in reports)
    if items_added is not None and new is not None:
        landed = rows - failed
        if new <= items_added <= landed:
            new = items_added
            updated, ignored = (landed - new, 0) if update else (0, landed - new)
            stored = new + updated
        else:
            # Someone else added or deleted items meanwhile: the service's count is not ours.
            logger.warning(
                "dataset %s changed by %d item(s) during a write that reported %d new of %d "
                "landed; keeping the counts the write tasks reported",
                dataset_id,
                items_added,
                new,
                landed,
            )
    return WriteSummary(
        kind=kind,
        dataset_id=dataset_id,
        rows=rows,
        stored=stored,
        new=new,
        updated=updated,
        ignored=ignored,
        failed=failed,
        failed_reference_ids=tuple(ref for r in reports for ref in r.failed_reference_ids),
        errors=tuple(error for r in reports for error in r.errors),
        tasks=len(reports),
    )
