"""Scripts written for the official client 0.18.4 run unchanged on ``nucleus_sync``.

Each script in ``scripts/`` runs twice against the served emulator: with the official client
(``import nucleus``) and with ``nucleus_sync`` imported under that name. What the scripts
observe must be the same.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .conftest import Observed

pytest.importorskip("nucleus")

pytestmark = [pytest.mark.e2e]

Runner = Callable[[str], tuple[Observed, Observed]]


def assert_same(official: Observed, ours: Observed) -> None:
    official_labels = [label for label, _ in official]
    assert [label for label, _ in ours] == official_labels
    for (label, theirs), (_, mine) in zip(official, ours, strict=True):
        assert mine == theirs, f"{label}: official {theirs!r}, nucleus_sync {mine!r}"


def test_a_curation_script_sees_the_same_dataset(run_both: Runner) -> None:
    assert_same(*run_both("curate_a_dataset.py"))


def test_a_model_run_script_sees_the_same_predictions(run_both: Runner) -> None:
    assert_same(*run_both("model_runs_and_predictions.py"))


def test_an_ingestion_script_imports_official_modules_and_sees_the_same_errors(
    run_both: Runner,
) -> None:
    assert_same(*run_both("errors_and_official_imports.py"))


def test_a_training_data_script_sees_the_same_folder_run_and_constructors(
    run_both: Runner,
) -> None:
    assert_same(*run_both("folders_runs_and_constructors.py"))


def test_a_script_reading_service_shaped_data_reads_the_same(run_both: Runner) -> None:
    assert_same(*run_both("lenient_reads.py"))
