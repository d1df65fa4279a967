"""Fixtures for the examples' tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from example_helpers import EXAMPLES, RunExample, run_script


@pytest.fixture
def run_example(tmp_path: Path) -> RunExample:
    """``run_example("x.py", *args, env=None)`` runs ``examples/x.py`` from a scratch folder."""

    def run(name: str, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("cwd", tmp_path)
        return run_script(EXAMPLES / name, *args, **kwargs)

    return run
