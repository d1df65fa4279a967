"""Export output: a file that appears, complete, only once the export has succeeded.

Lines go to a temporary file beside the target (same folder, so the final rename is atomic),
created when the first line arrives; on success it is renamed over the target, on failure it
is removed. A failed export (an unknown dataset, a network error, Ctrl-C) therefore never
leaves an empty or truncated file, nor touches a file already at the target.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

__all__ = ["LineSink", "file_lines", "stdout_lines"]


class LineSink(Protocol):
    """Where exported lines go."""

    def write_line(self, line: str) -> None: ...


class _PendingFile:
    def __init__(self, target: Path) -> None:
        self.target = target
        # A hidden sibling: same file system as the target, so os.replace is atomic.
        self.temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        self._out: IO[str] | None = None

    def write_line(self, line: str) -> None:
        if self._out is None:
            self._out = self.temporary.open("x", encoding="utf-8")
        self._out.write(line + "\n")

    def commit(self) -> None:
        if self._out is None:  # an empty export is still a (empty) result
            self._out = self.temporary.open("x", encoding="utf-8")
        self._out.close()
        os.replace(self.temporary, self.target)

    def discard(self) -> None:
        if self._out is not None:
            self._out.close()
            self.temporary.unlink(missing_ok=True)


@contextmanager
def file_lines(target: Path) -> Iterator[LineSink]:
    """Lines for ``target``, which exists only if the block completes."""
    pending = _PendingFile(target)
    try:
        yield pending
    except BaseException:
        pending.discard()
        raise
    pending.commit()


class _Stdout:
    def write_line(self, line: str) -> None:
        sys.stdout.write(line + "\n")


@contextmanager
def stdout_lines() -> Iterator[LineSink]:
    """Lines for standard output, flushed at the end."""
    try:
        yield _Stdout()
    finally:
        sys.stdout.flush()
