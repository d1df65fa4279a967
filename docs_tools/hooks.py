"""mkdocs hooks: one cosmetic griffe note dropped, benchmark results pulled into their page.

The core's docstrings indent continuation lines of ``Parameters:`` entries by two spaces, as the
official client's do; griffe renders them correctly but notes each one ("Confusing indentation
for continuation line …"). Only that note is dropped; every other warning still fails the build.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

COSMETIC = "Confusing indentation for continuation line"


class _DropCosmetic(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return COSMETIC not in record.getMessage()


def on_startup(**kwargs: Any) -> None:
    for name in ("griffe", "mkdocs.plugins.griffe", "mkdocs.plugins.mkdocstrings_handlers"):
        logging.getLogger(name).addFilter(_DropCosmetic())


RESULTS_MARKER = "<!-- benchmark-results -->"
RESULTS_FILE = Path(__file__).resolve().parents[1] / "benchmarks" / "RESULTS.md"


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Put the recorded benchmark results (``benchmarks/RESULTS.md``) into the benchmarks page."""
    if RESULTS_MARKER not in markdown:
        return markdown
    if not RESULTS_FILE.is_file():
        results = "No results are recorded yet: run `nox -s bench`."
    else:
        results = _demote_headings(RESULTS_FILE.read_text(encoding="utf-8"), levels=1)
    return markdown.replace(RESULTS_MARKER, results)


def _demote_headings(text: str, levels: int) -> str:
    """Nest the file's headings under the page's (outside fenced code blocks)."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out) + "\n"
