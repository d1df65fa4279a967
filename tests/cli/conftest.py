"""Running the ``nucleus`` command as a user does: a separate process, on the code under test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import nucleus_cli
from nucleus_emulator import Emulator

#: The folder holding the nucleus_cli under test (the worktree's src, or the editable install).
CLI_SOURCES = str(Path(nucleus_cli.__file__).resolve().parents[1])
GOOD_KEY = "good-key"


def cli_environment(**extra: str) -> dict[str, str]:
    """The environment of a child ``nucleus``: this code first, no key or endpoint inherited."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"NUCLEUS_API_KEY", "NUCLEUS_ENDPOINT", "NUCLEUS_DISABLE_PROGRESS_BARS"}
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [CLI_SOURCES, env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "nucleus_cli", *args]


@pytest.fixture
def nucleus_argv():  # type: ignore[no-untyped-def]
    """``nucleus_argv(*args)``: the command line that runs ``nucleus ARGS`` on this code."""
    return cli_command


@pytest.fixture
def nucleus_env():  # type: ignore[no-untyped-def]
    """``nucleus_env(**extra)``: the environment for it (no key or endpoint inherited)."""
    return cli_environment


@pytest.fixture
def good_key() -> str:
    """The one key the ``served`` emulator accepts."""
    return GOOD_KEY


@pytest.fixture
def nucleus(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run ``nucleus ARGS`` in ``tmp_path``; returns the completed process (text output)."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cli_command(*args),
            cwd=tmp_path,
            env=cli_environment(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """An emulator served over TCP that accepts only ``GOOD_KEY``; yields its endpoint."""
    with Emulator(tmp_path / "served", accepted_keys=[GOOD_KEY]) as emu, emu.serve() as endpoint:
        yield endpoint
