"""The staleness check: the committed facade against a fresh generation, as unified diffs."""

from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

from .files import read_tree, write


def stale_files(files: dict[str, str], output: Path) -> list[str]:
    """Diff lines for every file of ``output`` that differs from ``files``; empty if current."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / output.name
        write(files, fresh, force=False)
        return diff_trees(fresh, output)


def diff_trees(expected: Path, actual: Path) -> list[str]:
    """Unified diffs between two trees of generated files (missing, extra and changed)."""
    want, have = read_tree(expected), read_tree(actual)
    out: list[str] = []
    for path in sorted(want.keys() | have.keys()):
        if want.get(path) == have.get(path):
            continue
        if path not in have:
            out.append(f"missing: {path}")
        elif path not in want:
            out.append(f"extra (not generated any more): {path}")
        out.extend(
            difflib.unified_diff(
                have.get(path, "").splitlines(keepends=True),
                want.get(path, "").splitlines(keepends=True),
                f"{actual.name}/{path} (committed)",
                f"{actual.name}/{path} (regenerated)",
            )
        )
    return out
