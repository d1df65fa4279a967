"""The upload journal: which batches of a bulk upload landed, kept on disk across crashes.

An opt-in file (``journal="path"`` on ``append``, ``annotate``, ``upload_predictions``) to
which every batch that landed adds one line: the batch's key and the service's answer. A
re-run with the same input forms the same batches; the ones whose key is in the journal are
not sent again, their recorded answer is folded into the result as if they had been.

Crash consistency: the file is only ever appended to, one whole line per ``write`` call,
and ``fsync``-ed before the batch counts as done, so a crash (even ``SIGKILL`` or a power cut)
leaves every line that was acknowledged, plus at most one torn last line, which reading
ignores. A batch that landed but whose line was not written yet is sent again by the re-run:
appends, annotations and predictions are keyed by reference ids, so the service keeps one of
each, and at most the batches in flight at the crash (``max_concurrency``) are sent twice.

A batch's key digests the route, its lane (the kind of batch), its ordinal in that lane and
the reference ids it holds: the same input with the same batch sizes gives the same keys,
another dataset or another input gives others, so one journal may serve several uploads.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

__all__ = ["JournalPath", "UploadJournal", "batch_key", "journal_at"]

#: Where a caller keeps the journal of an upload (``journal=`` of the upload methods).
JournalPath = str | os.PathLike[str]


def batch_key(route: str, lane: int, ordinal: int, reference_ids: Sequence[str]) -> str:
    """The key of a batch: stable across runs of the same input, distinct across uploads."""
    digest = hashlib.sha256()
    digest.update(f"{route}\n{lane}\n{ordinal}\n".encode())
    for ref in reference_ids:
        digest.update(ref.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class UploadJournal:
    """An append-only record of landed batches at ``path``; open it with :meth:`open`."""

    def __init__(self, path: Path, landed: dict[str, Any], *, torn: bool = False) -> None:
        self.path = path
        self._landed = landed
        #: The file ends in a torn line (a crash mid-write): the next line starts on a new one.
        self._torn = torn
        self._lock = anyio.Lock()
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"UploadJournal({str(self.path)!r}, landed={len(self._landed)})"

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> UploadJournal:
        """Read what an earlier run recorded at ``path`` (nothing if the file is new)."""
        resolved = Path(path)
        landed, torn = await anyio.to_thread.run_sync(_read, resolved)
        return cls(resolved, landed, torn=torn)

    def __len__(self) -> int:
        return len(self._landed)

    def landed(self, key: str) -> bool:
        return key in self._landed

    def answer(self, key: str) -> Any:
        """The service's answer recorded for a batch that landed."""
        return self._landed[key]

    async def record(self, key: str, answer: Any) -> None:
        """Add a landed batch; returns once the line is on disk."""
        line = json.dumps({"key": key, "answer": answer}, separators=(",", ":")) + "\n"
        async with self._lock:
            await anyio.to_thread.run_sync(self._append, line.encode())
            self._landed[key] = answer

    def _append(self, line: bytes) -> None:
        if self._fd is None:
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if created:
                _fsync_directory(self.path.parent)
        if self._torn:
            line = b"\n" + line
            self._torn = False
        written = os.write(self._fd, line)
        if written != len(line):  # a full disk: keep the file parseable, then fail the batch
            raise OSError(f"the upload journal {self.path} could not be written (disk full?)")
        os.fsync(self._fd)

    async def aclose(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _read(path: Path) -> tuple[dict[str, Any], bool]:
    """The landed batches recorded at ``path``, and whether its last line is torn."""
    landed: dict[str, Any] = {}
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return landed, False
    for line in raw.split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the torn last line of a crash (or an empty line): not landed
        if isinstance(record, dict) and isinstance(record.get("key"), str):
            landed[record["key"]] = record.get("answer")
    return landed, bool(raw) and not raw.endswith(b"\n")


def _fsync_directory(folder: Path) -> None:
    # The new file's name must survive a crash too, not only its content.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # platforms without directory handles (Windows) keep names without it
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@asynccontextmanager
async def journal_at(path: JournalPath | None) -> AsyncIterator[UploadJournal | None]:
    """The journal at ``path`` for one upload (None without a path), closed afterwards."""
    if path is None:
        yield None
        return
    journal = await UploadJournal.open(path)
    try:
        yield journal
    finally:
        await journal.aclose()
