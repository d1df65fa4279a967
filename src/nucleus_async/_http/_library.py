"""The HTTP library's import: httpx without its command-line tool (private 5 of the package).

``httpx/__init__`` imports ``httpx._main`` whenever click is installed, which pulls in click,
rich and pygments: two thirds of httpx's import time, paid by the first client.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

__all__ = ["import_library", "library_version"]


def library_version() -> str:
    """The HTTP library and its version, for the user agent (imports the library)."""
    import_library()
    import httpx

    return f"httpx {httpx.__version__}"


def import_library() -> None:
    """``import httpx`` without ``httpx._main``: a placeholder stands in for it meanwhile.

    The placeholder's ``main`` loads the real command-line tool on first call, so
    ``httpx.main()`` still works, and the placeholder is removed as soon as httpx is imported,
    so a later ``import httpx._main`` gets the real module.
    """
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    placeholder = ModuleType("httpx._main")

    def main(*args: Any, **kwargs: Any) -> Any:
        if sys.modules.get("httpx._main") is placeholder:
            del sys.modules["httpx._main"]
        return importlib.import_module("httpx._main").main(*args, **kwargs)

    placeholder.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = placeholder
    try:
        importlib.import_module("httpx")
    finally:
        if sys.modules.get("httpx._main") is placeholder:
            del sys.modules["httpx._main"]
