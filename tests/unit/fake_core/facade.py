"""Build ``fake_sync``, the generated facade of this fake core, once per test process."""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]
UNIT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"

_built: ModuleType | None = None


def load_generator(module: str = "cli") -> ModuleType:
    """A module of the generator package ``tools/sync_generator`` (the command by default)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module(f"sync_generator.{module}")


def fake_sync() -> ModuleType:
    """Generate the facade of ``fake_core`` into a temp folder and import it."""
    global _built
    if _built is None:
        out = Path(tempfile.mkdtemp(prefix="fake_sync-")) / "fake_sync"
        code = load_generator().main(
            [
                "--core",
                "fake_core",
                "--sync-package",
                "fake_sync",
                "--output",
                str(out),
                "--path",
                str(UNIT),
            ]
        )
        assert code == 0, "generating the fake facade failed"
        sys.path.insert(0, str(out.parent))
        _built = importlib.import_module("fake_sync")
    return _built
