"""Every example runs to completion against the emulator, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUCLEUS_")}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def quickstart() -> subprocess.CompletedProcess[str]:
    """One run of the quickstart, shared by the tests that read its output."""
    return run_example("quickstart.py")


def test_quickstart_runs_on_the_embedded_emulator(
    quickstart: subprocess.CompletedProcess[str],
) -> None:
    assert quickstart.returncode == 0, quickstart.stdout + quickstart.stderr
    assert "every item accounted for" in quickstart.stdout
    assert "items paged back" in quickstart.stdout


def test_quickstart_summary_shows_what_the_items_hold(
    quickstart: subprocess.CompletedProcess[str],
) -> None:
    assert "async-00000, local-000, remote-00000" in quickstart.stdout
    assert "{'source': 'local', 'index': 0}" in quickstart.stdout


def test_quickstart_summary_names_no_file_that_is_gone_when_it_ends(
    quickstart: subprocess.CompletedProcess[str],
) -> None:
    # The local images live in a temporary folder, deleted when the quickstart ends.
    assert tempfile.gettempdir() not in quickstart.stdout


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_is_valid_python(name: str) -> None:
    compile((EXAMPLES / name).read_text(), name, "exec")
