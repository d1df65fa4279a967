"""The project the generator writes into: its root folder and its line length."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def line_length() -> int:
    """The project's ruff line length (ruff's default when the project sets none)."""
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r"^line-length\s*=\s*(\d+)", config, re.MULTILINE)
    return int(found.group(1)) if found else 88
