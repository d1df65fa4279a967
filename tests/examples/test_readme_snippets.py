"""The README's pytest-plugin example runs as written (and the emulator guide shows the same)."""

from __future__ import annotations

import re
from pathlib import Path

from example_helpers import ROOT, run_python

PLUGIN_EXAMPLE = re.compile(r"```python\n(import nucleus_sync as nucleus\n\ndef test_.*?)```", re.S)


def plugin_example(markdown: Path) -> str:
    match = PLUGIN_EXAMPLE.search(markdown.read_text(encoding="utf-8"))
    assert match, f"no pytest-plugin example in {markdown.name}"
    return match.group(1)


def test_readme_plugin_example_passes_as_a_users_test_file(tmp_path: Path) -> None:
    code = plugin_example(ROOT / "README.md")
    assert len(code.strip().splitlines()) <= 11  # "a ten-line example", plus its import
    test_file = tmp_path / "test_from_readme.py"
    test_file.write_text(code, encoding="utf-8")

    result = run_python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file), cwd=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_emulator_guide_shows_the_readme_example() -> None:
    assert plugin_example(ROOT / "docs" / "emulator.md") == plugin_example(ROOT / "README.md")
