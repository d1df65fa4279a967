"""The layers written as import-linter contracts in pyproject.toml hold, and can be broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(project / "pyproject.toml")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def scratch_copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


def test_the_project_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_data_type_importing_the_client_breaks_the_core_layers(tmp_path: Path) -> None:
    project = scratch_copy(tmp_path)
    geometry = project / "src" / "nucleus_async" / "types" / "geometry.py"
    geometry.write_text(geometry.read_text() + "\nfrom .._client import NucleusClient\n")
    result = lint_imports(project)
    assert result.returncode != 0
    assert "Core: client, resources, pipelines" in result.stdout
    assert "BROKEN" in result.stdout


def test_the_emulator_importing_the_sdk_breaks_its_contract(tmp_path: Path) -> None:
    project = scratch_copy(tmp_path)
    app = project / "src" / "nucleus_emulator" / "app.py"
    app.write_text(app.read_text() + "\nimport nucleus_async\n")
    result = lint_imports(project)
    assert result.returncode != 0
    assert "The emulator never imports the SDK" in result.stdout
