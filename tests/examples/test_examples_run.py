"""Every example runs to completion against the emulator, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_quickstart_runs_on_the_embedded_emulator() -> None:
    result = run_example("quickstart.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every item accounted for" in result.stdout
    assert "items paged back" in result.stdout


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_is_valid_python(name: str) -> None:
    compile((EXAMPLES / name).read_text(), name, "exec")
