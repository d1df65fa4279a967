"""Build ``fake_sync``, the generated facade of this fake core, once per test process."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]
UNIT = Path(__file__).resolve().parents[1]

_built: ModuleType | None = None


def load_generator() -> ModuleType:
    """Import ``tools/generate_sync.py`` as a module."""
    if "generate_sync" in sys.modules:
        return sys.modules["generate_sync"]
    spec = importlib.util.spec_from_file_location("generate_sync", ROOT / "tools/generate_sync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_sync"] = module
    spec.loader.exec_module(module)
    return module


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
