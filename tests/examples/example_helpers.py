"""Helpers for the examples' tests: run an example as a user would, or import it as a module."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

RunExample = Callable[..., subprocess.CompletedProcess[str]]


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment without any ``NUCLEUS_*`` setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUCLEUS_")}
    env.update(extra or {})
    return env


def run_python(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python args…`` with no Nucleus configuration unless ``env`` gives some."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_environment(env),
        cwd=cwd,
        check=False,
    )


def run_script(script: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``python script args…`` (keyword arguments as for :func:`run_python`)."""
    return run_python(str(script), *args, **kwargs)


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (the examples folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pydantic look their module up
    spec.loader.exec_module(module)
    return module
