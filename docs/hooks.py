"""mkdocs hooks: keep `mkdocs build --strict` strict about everything but one cosmetic note.

The core's docstrings indent continuation lines of ``Parameters:`` entries by two spaces, as the
official client's do; griffe renders them correctly but notes each one ("Confusing indentation
for continuation line …"). Only that note is dropped; every other warning still fails the build.
"""

from __future__ import annotations

import logging
from typing import Any

COSMETIC = "Confusing indentation for continuation line"


class _DropCosmetic(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return COSMETIC not in record.getMessage()


def on_startup(**kwargs: Any) -> None:
    for name in ("griffe", "mkdocs.plugins.griffe", "mkdocs.plugins.mkdocstrings_handlers"):
        logging.getLogger(name).addFilter(_DropCosmetic())
