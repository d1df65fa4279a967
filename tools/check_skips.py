"""Fail when a pytest run skipped a test that is not on the allow list (reads a JUnit XML report).

A test that skips passes by accident: a missing dev dependency or a stale guard turns a real
check into silence. The project's CI machine runs every test, so any skip there fails the build
unless it is listed below with the reason it may happen on a clean clone.

Usage: ``python tools/check_skips.py REPORT.xml`` (from ``pytest --junitxml=REPORT.xml``).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

#: Test id prefixes (``file::test``) that may skip, and why.
ALLOWED_SKIPS: dict[str, str] = {
    "tests/unit/test_scope_complete.py::test_the_record_matches_the_reference": (
        "compares the committed scope record with the reference beside the clone "
        "(../shared); a clone without it still checks everything against the record"
    ),
    "tests/reliability/test_secrets_everywhere.py::": (
        "the self-signed TLS server needs the openssl command, which is a system tool, not a "
        "dependency pip can install"
    ),
}


def skipped_tests(report: Path) -> list[tuple[str, str]]:
    """``(test id, skip message)`` of every skipped test case in a JUnit XML report."""
    found = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        skipped = case.find("skipped")
        if skipped is None:
            continue
        found.append(
            (
                test_id_of(case.get("classname", ""), case.get("name", "")),
                skipped.get("message", ""),
            )
        )
    return found


def test_id_of(classname: str, name: str) -> str:
    """The pytest id ``path/to/test_file.py::Class::name`` of a JUnit ``classname`` and ``name``.

    JUnit dots the module path and the enclosing test classes alike
    (``tests.unit.test_x.TestGroup``). Test classes are named ``Test*`` (pytest's
    ``python_classes``) and test modules ``test_*.py``, so the first ``Test*`` part is where the
    module ends.
    """
    parts = classname.split(".")
    end = next((i for i, part in enumerate(parts) if part.startswith("Test")), len(parts))
    module, classes = parts[:end], parts[end:]
    return "::".join(["/".join(module) + ".py", *classes, name])


def _normalised(test_id: str) -> str:
    # JUnit class names are dotted from the rootdir; a class inside the module becomes a part.
    return test_id if test_id.startswith("tests/") else f"tests/{test_id}"


def unexpected(skips: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (test_id, message)
        for test_id, message in skips
        if not any(_normalised(test_id).startswith(prefix) for prefix in ALLOWED_SKIPS)
    ]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check_skips.py REPORT.xml", file=sys.stderr)
        return 2
    skips = skipped_tests(Path(argv[0]))
    bad = unexpected(skips)
    for test_id, message in bad:
        print(f"unexpected skip: {test_id}: {message}", file=sys.stderr)
    if bad:
        print(
            f"{len(bad)} test(s) skipped that may not skip (allow list: tools/check_skips.py)",
            file=sys.stderr,
        )
        return 1
    print(f"no unexpected skips ({len(skips)} allowed skip(s))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
