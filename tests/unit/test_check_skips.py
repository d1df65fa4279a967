"""tools/check_skips.py fails a run that skipped a test not on its allow list."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TOOL = Path(__file__).resolve().parents[2] / "tools" / "check_skips.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_skips", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_skips"] = module
    spec.loader.exec_module(module)
    return module


def _report(tmp_path: Path, *cases: tuple[str, str, bool]) -> Path:
    rows = "".join(
        f'<testcase classname="{cls}" name="{name}">'
        + ('<skipped message="why" type="pytest.skip"/>' if skipped else "")
        + "</testcase>"
        for cls, name, skipped in cases
    )
    path = tmp_path / "report.xml"
    path.write_text(f'<testsuites><testsuite name="pytest">{rows}</testsuite></testsuites>')
    return path


def test_an_unlisted_skip_fails_the_check(tmp_path: Path) -> None:
    report = _report(
        tmp_path, ("tests.unit.test_x", "test_a", True), ("tests.unit.test_x", "b", False)
    )
    assert _tool().main([str(report)]) == 1


def test_listed_skips_and_passes_are_fine(tmp_path: Path) -> None:
    report = _report(
        tmp_path,
        ("tests.unit.test_scope_complete", "test_the_record_matches_the_reference", True),
        ("tests.unit.test_x", "test_a", False),
    )
    assert _tool().main([str(report)]) == 0


def test_a_skip_inside_a_test_class_is_reported_under_its_file(tmp_path: Path) -> None:
    report = _report(tmp_path, ("tests.unit.test_x.TestGroup.TestInner", "test_a", True))
    assert _tool().skipped_tests(report) == [
        ("tests/unit/test_x.py::TestGroup::TestInner::test_a", "why")
    ]


def test_a_skip_inside_an_allowed_file_s_class_is_allowed(tmp_path: Path) -> None:
    report = _report(tmp_path, ("tests.reliability.test_secrets_everywhere.TestTls", "t", True))
    assert _tool().main([str(report)]) == 0
