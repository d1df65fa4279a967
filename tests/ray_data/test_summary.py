"""The write summary: folded task reports, reconciled with the service's count of new items."""

from __future__ import annotations

import logging

import pytest

from nucleus_async import UploadResponse
from nucleus_ray import TaskReport
from nucleus_ray._summary import summarize


def item_report(rows: int, new: int, updated: int = 0, ignored: int = 0) -> TaskReport:
    answer = {"dataset_id": "ds", "new_items": new, "updated_items": updated}
    return TaskReport.from_items(rows, UploadResponse({**answer, "ignored_items": ignored}))


def test_reports_fold_into_one_summary() -> None:
    summary = summarize("items", "ds", [item_report(10, 10), item_report(5, 5)], update=False)

    assert (summary.rows, summary.new, summary.stored, summary.tasks) == (15, 15, 15, 2)


def test_a_retried_tasks_rows_landed_by_its_failed_attempt_count_as_new() -> None:
    # The retry saw 40 of its rows already stored (by the attempt Ray discarded).
    reports = [item_report(100, 100), item_report(100, 60, ignored=40)]

    summary = summarize("items", "ds", reports, update=False, items_added=200)

    assert (summary.new, summary.updated, summary.ignored) == (200, 0, 0)


def test_with_update_the_rest_of_the_landed_rows_are_updates() -> None:
    reports = [item_report(100, 30, updated=70)]

    summary = summarize("items", "ds", reports, update=True, items_added=50)

    assert (summary.new, summary.updated, summary.stored) == (50, 50, 100)


def test_a_service_count_outside_what_the_write_could_add_is_not_trusted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "nucleus_ray"):
        summary = summarize("items", "ds", [item_report(10, 10)], update=False, items_added=12)

    assert summary.new == 10
    assert "changed by 12 item(s)" in caplog.text


def test_annotation_reports_name_the_rows_the_service_rejected() -> None:
    answer = {
        "annotations_processed": 2,
        "annotations_ignored": 1,
        "errors": ['{"referenceId":"gone","error":"Item with id gone doesn\'t exist."}'],
    }

    report = TaskReport.from_annotations(
        4, answer, prefix="annotations", update=False, refs=["a", "b", "c", "gone"]
    )

    assert (report.stored, report.new, report.ignored, report.failed) == (2, 2, 1, 1)
    assert report.failed_reference_ids == ("gone",)


def test_annotations_written_with_update_do_not_split_new_from_updated() -> None:
    answer = {"annotations_processed": 3, "annotations_ignored": 0}

    report = TaskReport.from_annotations(3, answer, prefix="annotations", update=True, refs=[])
    summary = summarize("annotations", "ds", [report], update=True)

    assert (summary.stored, summary.new, summary.updated) == (3, None, None)
