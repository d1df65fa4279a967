"""Formatting generated source exactly as the project's ``ruff`` would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .errors import GenerationError
from .project import ROOT


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    return [exe] if exe else [sys.executable, "-m", "ruff"]


def format_source(text: str, virtual_path: str, first_party: list[str]) -> str:
    """Sort imports and format exactly as ``ruff`` would at ``virtual_path`` in the project.

    First-party packages are named explicitly: ruff would otherwise classify a module by
    whether its file exists yet, and a first generation would differ from a regeneration.
    """
    known = "lint.isort.known-first-party = " + repr(sorted(first_party)).replace("'", '"')
    for args in (
        ["check", "--select", "I", "--fix", "--exit-zero", "--quiet", "--config", known],
        ["format"],
    ):
        done = subprocess.run(
            [*_ruff(), *args, "--stdin-filename", virtual_path, "-"],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            raise GenerationError(f"ruff {args[0]} failed on {virtual_path}:\n{done.stderr}")
        text = done.stdout
    return text
