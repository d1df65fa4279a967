"""The upload journal: what became of each batch of a bulk upload, kept across crashes.

An opt-in record (``journal=`` on ``append``, ``annotate``, ``upload_predictions``) of every
batch the upload sent. Before a batch is sent, the journal notes it *in doubt* (sent, answer
unknown); once it lands, it notes it *landed* with the service's answer. A re-run with the
same input forms the same batches and, for each:

* landed: does not send it; its recorded answer is folded into the result as if it had been;
* in doubt (the run ended while it was in flight): asks the service, with read-only requests,
  whether every unit of the batch is stored (see :mod:`.probe`). If so the batch counts as
  landed without being sent; if not, it is sent;
* unknown: sends it.

So no batch that landed is ever sent twice, whatever ``max_concurrency`` was, as long as the
service has finished the requests of the crashed run before the re-run probes them (a request
still queued at the service when the probe reads looks "not stored", and its batch is sent
again; keyed units make that harmless). A batch whose units were stored by another upload
also counts as landed: the probe cannot tell who stored them.

:class:`BatchJournal` is what the pipeline needs of a journal. :class:`UploadJournal`, a file,
is the one ``journal="path"`` opens; a caller may pass any other implementation (the Ray sink
passes one kept by a Ray actor, shared by the tasks of a write).

The file's crash consistency: it is only ever appended to, whole lines (JSON objects, one per
record) at a time, and ``fsync``-ed before the batch is sent (in doubt) or counts as done
(landed), so a crash (even ``SIGKILL`` or a power cut) leaves every line that was
acknowledged, plus at most one torn last line, which reading ignores. The cost is one more
line and ``fsync`` per batch than a journal of landed batches alone: two ``fsync`` calls per
batch, each a few milliseconds on a disk that honours it. Records that arrive while a write is
under way are written and ``fsync``-ed together by the next one (a group commit), so at
``max_concurrency`` batches in flight the cost is shared, not multiplied.

A batch's key digests the route, its lane (the kind of batch), its ordinal in that lane and
the identity of each unit it holds (:func:`unit_identity`: for annotations and predictions
the reference id *and* the annotation id): the same input with the same batch sizes gives the
same keys, another dataset or another input gives others (other boxes on the same items
included), so one journal may serve several uploads.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import anyio
import anyio.to_thread
import attrs

from .._errors import ValidationError

__all__ = [
    "BatchJournal",
    "JournalOption",
    "JournalPath",
    "JournalRecord",
    "UploadJournal",
    "batch_key",
    "journal_at",
    "unit_identity",
]

#: Where a caller keeps the journal of an upload (``journal=`` of the upload methods).
JournalPath = str | os.PathLike[str]


def batch_key(route: str, lane: int, ordinal: int, identities: Sequence[str]) -> str:
    """The key of a batch: stable across runs of the same input, distinct across uploads.

    ``identities`` are its units' :func:`unit_identity`.
    """
    digest = hashlib.sha256()
    digest.update(f"{route}\n{lane}\n{ordinal}\n".encode())
    for identity in identities:
        digest.update(identity.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def unit_identity(unit: Any) -> str:
    """What tells a unit apart from another of the same upload, as text stable across runs.

    An annotation's or prediction's ``duplicate_key()`` (its reference id with its annotation
    id, so other boxes on the same items make other batches, and a box's default id follows
    its geometry), else the type, reference id and label (items, categories).
    """
    duplicate_key = getattr(unit, "duplicate_key", None)
    key = duplicate_key() if duplicate_key is not None else None
    if key is not None:
        return repr(key)
    return f"{type(unit).__name__}\0{unit.reference_id}\0{getattr(unit, 'label', '')}"


@attrs.frozen
class JournalRecord:
    """What a journal holds of one batch: it landed (with the service's answer), or is in doubt.

    In doubt means it was sent and no answer was recorded: it may or may not have landed.
    """

    landed: bool
    #: The service's answer to the batch (``None`` while in doubt).
    answer: Any = None


#: The record of every batch in doubt (one object is enough: records are immutable).
IN_DOUBT = JournalRecord(landed=False)


@runtime_checkable
class BatchJournal(Protocol):
    """What a bulk upload needs of its journal; ``journal=`` takes a path or one of these.

    The upload looks up each batch before sending it, records it in doubt just before sending
    it, and landed once the service answered. Each ``record_*`` returns only once the record
    will survive what the journal is meant to survive (a crash of the process, for the file
    journal), because the upload acts on it: it sends the batch, or counts it as done.
    ``answer`` values are the service's JSON answers (dicts of numbers, strings and lists).

    ::

        class MyJournal:
            async def lookup(self, key: str) -> JournalRecord | None: ...
            async def record_in_doubt(self, key: str) -> None: ...
            async def record_landed(self, key: str, answer: Any) -> None: ...

        await dataset.append(items, journal=MyJournal())
    """

    async def lookup(self, key: str) -> JournalRecord | None:
        """What was recorded of the batch ``key``: landed, in doubt, or nothing (``None``)."""
        ...

    async def record_in_doubt(self, key: str) -> None:
        """Note durably that the batch ``key`` is about to be sent."""
        ...

    async def record_landed(self, key: str, answer: Any) -> None:
        """Note durably that the batch ``key`` landed and the service answered ``answer``."""
        ...


#: What ``journal=`` of the upload methods takes: a file's path, or a journal object.
JournalOption = JournalPath | BatchJournal


class _Flush:
    """Lines queued for one write-and-fsync; whoever queued one waits for its outcome."""

    __slots__ = ("done", "error", "lines")

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.done = False
        self.error: BaseException | None = None


class UploadJournal:
    """A :class:`BatchJournal` in an append-only file at ``path``; open it with :meth:`open`."""

    def __init__(
        self, path: Path, records: dict[str, JournalRecord], *, torn: bool = False
    ) -> None:
        self.path = path
        self._records = records
        #: The file ends in a torn line (a crash mid-write): the next line starts on a new one.
        self._torn = torn
        self._lock = anyio.Lock()
        self._next = _Flush()
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"UploadJournal({str(self.path)!r}, landed={len(self)})"

    @classmethod
    async def open(cls, path: JournalPath) -> UploadJournal:
        """Read what an earlier run recorded at ``path`` (nothing if the file is new)."""
        resolved = Path(path)
        records, torn = await anyio.to_thread.run_sync(_read, resolved)
        return cls(resolved, records, torn=torn)

    def __len__(self) -> int:
        """The number of batches recorded as landed."""
        return sum(record.landed for record in self._records.values())

    async def lookup(self, key: str) -> JournalRecord | None:
        return self._records.get(key)

    async def record_in_doubt(self, key: str) -> None:
        await self._commit({"key": key, "in_doubt": True})
        self._records.setdefault(key, IN_DOUBT)

    async def record_landed(self, key: str, answer: Any) -> None:
        await self._commit({"key": key, "answer": answer})
        self._records[key] = JournalRecord(landed=True, answer=answer)

    async def _commit(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line; returns once it is on disk.

        The line joins the next flush; the first task to get the lock writes every line queued
        by then in one ``write`` and one ``fsync``, and the tasks whose lines it carried find
        their flush done when they get the lock in turn.
        """
        flush = self._next
        flush.lines.append(json.dumps(record, separators=(",", ":")).encode() + b"\n")
        async with self._lock:
            if not flush.done:
                self._next = _Flush()
                try:
                    await anyio.to_thread.run_sync(self._append, b"".join(flush.lines))
                except BaseException as exc:
                    flush.error = exc
                    raise
                finally:
                    flush.done = True
        if flush.error is not None:
            raise OSError(f"the upload journal {self.path} could not be written") from flush.error

    def _append(self, lines: bytes) -> None:
        if self._fd is None:
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if created:
                _fsync_directory(self.path.parent)
        if self._torn:
            lines = b"\n" + lines
            self._torn = False
        written = os.write(self._fd, lines)
        if written != len(lines):  # a full disk: keep the file parseable, then fail the batch
            self._torn = True
            raise OSError(f"the upload journal {self.path} could not be written (disk full?)")
        os.fsync(self._fd)

    async def aclose(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _read(path: Path) -> tuple[dict[str, JournalRecord], bool]:
    """The batches recorded at ``path``, and whether its last line is torn."""
    records: dict[str, JournalRecord] = {}
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return records, False
    for line in raw.split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the torn last line of a crash (or an empty line): not recorded
        if not isinstance(record, dict) or not isinstance(record.get("key"), str):
            continue
        if record.get("in_doubt") is True:
            # A landed line is final, whichever order the lines of one batch are in.
            records.setdefault(record["key"], IN_DOUBT)
        else:
            records[record["key"]] = JournalRecord(landed=True, answer=record.get("answer"))
    return records, bool(raw) and not raw.endswith(b"\n")


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
async def journal_at(journal: JournalOption | None) -> AsyncIterator[BatchJournal | None]:
    """The journal of one upload: the file at a path (closed afterwards), a caller's journal
    object as it is (its lifetime is the caller's), or None."""
    if journal is None:
        yield None
        return
    if isinstance(journal, (str, os.PathLike)):
        opened = await UploadJournal.open(journal)
        try:
            yield opened
        finally:
            await opened.aclose()
        return
    if not isinstance(journal, BatchJournal):
        raise ValidationError(
            f"must be a path or a BatchJournal, got {type(journal).__name__}", field="journal"
        )
    yield journal
