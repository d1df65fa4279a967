"""The presigned-URL NDJSON upload behind every ``asynchronous=True`` upload.

The lines are spooled to a temporary file as they are produced and each file is PUT streaming
from disk with a known length, so memory holds one write chunk (about a megabyte), never the
upload. The service refuses a file larger than :data:`MAX_NDJSON_BYTES`: a bigger upload is
split into several parts, each one signed URL, one PUT and one job. A finished part is sent
(and its job started) while the next one is spooled; at most two parts are on disk at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from typing import IO, Any, TypeVar

import anyio
import anyio.lowlevel
import attrs

from .._http import FileBody
from .._iterables import AnyIterable
from .._json import dumps_lines
from .._transport import Transport

__all__ = ["MAX_NDJSON_BYTES", "LineEncoding", "StartJob", "upload_ndjson"]

#: The service refuses payloads larger than this (0x1FFFFFE8 bytes).
MAX_NDJSON_BYTES = 0x1FFFFFE8

T = TypeVar("T")

#: Units encoded at a time. Small on purpose: the units a batch holds stay alive until it is
#: encoded, and while fewer than the garbage collector's first threshold (700 allocations) are
#: alive at once, it never runs. At 1,024 a million items took 1,780 collections, 15 of them
#: full (~40 ms each): ~0.8 s of CPU.
_UNITS_PER_ENCODE = 256
#: Bytes gathered for one spool write: a worker thread's round trip is paid per ~half a
#: megabyte, not per encoded batch.
_BYTES_PER_WRITE = 512 * 1024

#: Starts the job of one uploaded part: gets its request id, answers the service's job JSON.
StartJob = Callable[[str], Awaitable[Any]]


class _Part:
    """One NDJSON file being spooled: its path, its open handle and the bytes written.

    A write goes to disk in a worker thread while the next chunk is encoded: :meth:`write`
    waits only for the write before it (a million-item upload waited ~0.6 s on its writes).
    """

    __slots__ = ("_writing", "file", "path", "size")

    def __init__(self, path: str, file: IO[bytes]) -> None:
        self.path = path
        self.file = file
        self.size = 0
        self._writing: asyncio.Future[Any] | None = None

    @classmethod
    async def create(cls) -> _Part:
        fd, path = await _in_thread(_make_spool_file)
        return cls(path, os.fdopen(fd, "wb"))

    async def write(self, chunk: bytes) -> None:
        await self._written()
        loop = asyncio.get_running_loop()
        self._writing = loop.run_in_executor(None, self.file.write, chunk)
        self.size += len(chunk)

    async def _written(self) -> None:
        """Wait for the write in progress; raise its error. A cancelled wait leaves the write
        running and still tracked (shielded), so :meth:`remove` can wait for it."""
        writing = self._writing
        if writing is not None:
            await asyncio.shield(writing)
            self._writing = None

    async def close(self) -> None:
        await self._written()
        await _in_thread(self.file.close)

    async def remove(self) -> None:
        if self._writing is not None:
            # The file is closed only once no thread writes to it (errors are moot now).
            await asyncio.wait([self._writing])
            self._writing = None
        self.file.close()  # already closed unless spooling failed; closing again is free
        await _in_thread(_unlink, self.path)


async def _in_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a worker thread: file work never blocks the event loop."""
    import anyio.to_thread  # here: asynchronous uploads' cost, not every import's

    return await anyio.to_thread.run_sync(function, *args)


def _make_spool_file() -> tuple[int, str]:
    import tempfile  # here: asynchronous uploads' cost, not every import's

    return tempfile.mkstemp(prefix="nucleus-upload-", suffix=".ndjson")


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _fitting(chunk: bytes, start: int, room: int) -> int:
    """Where the whole lines of ``chunk[start:]`` that fit in ``room`` bytes end (``start``
    if not even one fits). JSON text never holds a raw newline, so lines end at ``\n``."""
    if len(chunk) - start <= room:
        return len(chunk)
    return chunk.rfind(b"\n", start, start + room) + 1 or start


@attrs.frozen
class LineEncoding:
    """How a chunk of units becomes NDJSON: ``text`` writes it directly or answers None, then
    each unit's ``payload`` (the unit itself when None) is encoded.

    ``finite``: every float of the payloads was checked finite (validated units), so the
    encoder may skip its NaN check (see :func:`~.._json.dumps_lines`).
    """

    payload: Callable[[Any], Any] | None = None
    text: Callable[[Sequence[Any]], bytes | None] | None = None
    finite: bool = False

    def encode(self, units: Sequence[Any]) -> bytes:
        written = self.text(units) if self.text is not None else None
        if written is not None:
            return written
        payloads = units if self.payload is None else [*map(self.payload, units)]
        return dumps_lines(payloads, finite=self.finite)


async def _chunks(units: AnyIterable[Any], encoding: LineEncoding) -> AsyncIterator[bytes]:
    """The units as NDJSON, in chunks of whole lines of about ``_BYTES_PER_WRITE``."""
    pieces: list[bytes] = []
    size = 0
    async for batch in _batches(units):
        piece = encoding.encode(batch)
        del batch  # the units go now, not when the next batch replaces them
        pieces.append(piece)
        size += len(piece)
        if size >= _BYTES_PER_WRITE:
            yield pieces[0] if len(pieces) == 1 else b"".join(pieces)
            pieces, size = [], 0
    if pieces:
        yield b"".join(pieces)


async def _batches(units: AnyIterable[Any]) -> AsyncIterator[Sequence[Any]]:
    """The units, ``_UNITS_PER_ENCODE`` at a time (a sequence's slices: a ``BoxColumns``
    slice is written from its columns)."""
    if isinstance(units, Sequence):
        for start in range(0, len(units), _UNITS_PER_ENCODE):
            yield units[start : start + _UNITS_PER_ENCODE]
            await anyio.lowlevel.checkpoint()
        return
    if isinstance(units, AsyncIterable):
        batch: list[Any] = []
        async for unit in units:
            batch.append(unit)
            if len(batch) >= _UNITS_PER_ENCODE:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    # A sync iterable is read a batch at a time: no async generator step per unit.
    iterator = iter(units)
    while batch := list(itertools.islice(iterator, _UNITS_PER_ENCODE)):
        yield batch
        del batch  # not alive while the next one is read
        # A sync generator never yields to the loop by itself; let other tasks run.
        await anyio.lowlevel.checkpoint()


async def _spool(
    units: AnyIterable[Any],
    max_bytes: int,
    finished: Callable[[_Part], Awaitable[None]],
    encoding: LineEncoding,
) -> None:
    """Write the units' lines into parts of at most ``max_bytes``, handing each finished part
    on."""
    part: _Part | None = None
    try:
        async for chunk in _chunks(units, encoding):
            start = 0
            while start < len(chunk):
                if part is None:
                    part = await _Part.create()
                end = _fitting(chunk, start, max_bytes - part.size)
                if end > start:
                    await part.write(chunk[start:end] if start or end < len(chunk) else chunk)
                    start = end
                    continue
                if not part.size:
                    line = chunk.index(b"\n", start) + 1 - start
                    raise ValueError(
                        f"One line of the asynchronous upload is {line} bytes, more than the "
                        f"service accepts in one upload ({max_bytes} bytes)."
                    )
                # The part is full: it goes, and the lines go on in a new one.
                await part.close()
                done, part = part, None
                await finished(done)
        if part is None:
            raise ValueError("Nothing to upload: the asynchronous upload got no items.")
        await part.close()
        done, part = part, None
        await finished(done)
    finally:
        if part is not None:
            with anyio.CancelScope(shield=True):
                await part.remove()


async def _upload_part(transport: Transport, dataset_id: str, part: _Part) -> str:
    """PUT one spooled part to a fresh signed URL; return its request id."""
    import uuid  # here: one upload's cost, not every import's

    request_id = uuid.uuid4().hex
    route = f"dataset/{dataset_id}/signedUrl/{request_id}"
    s3_endpoint = os.environ.get("S3_ENDPOINT")
    if s3_endpoint:
        from urllib.parse import quote  # what pathname2url does on POSIX, without urllib.request

        route += f"?s3Endpoint={quote(s3_endpoint)}"
    response = await transport.request("GET", route)
    await transport.put_signed_url(response["signed_url"], FileBody(part.path, part.size))
    return request_id


async def upload_ndjson(
    transport: Transport,
    dataset_id: str,
    units: AnyIterable[Any],
    start_job: StartJob,
    *,
    encoding: LineEncoding | None = None,
    max_bytes: int | None = None,
) -> list[Any]:
    """Upload one JSON line per unit through signed URLs; start one job per part.

    ``encoding`` turns chunks of units into lines (by default the units are the payloads).
    ``start_job`` gets each part's request id and starts its job (``{"requestId": <id>, ...}``
    on the kind's ``?async=1`` route); the jobs' JSON answers are returned in part order. Most
    uploads are one part; past ``max_bytes`` (default :data:`MAX_NDJSON_BYTES`, the service's
    cap) the lines go on in a new part.

    Raises ``ValueError`` for an empty upload or a single line over ``max_bytes``. If a part
    fails to upload, the error propagates; the jobs of earlier parts were started and run on.
    """
    jobs: list[Any] = []
    failed: list[Exception] = []
    send, receive = anyio.create_memory_object_stream[_Part](0)

    async def uploader() -> None:
        async with receive:
            async for part in receive:
                try:
                    request_id = await _upload_part(transport, dataset_id, part)
                    jobs.append(await start_job(request_id))
                except Exception as exc:
                    failed.append(exc)
                    return  # closing the stream stops the spooling at its next part
                finally:
                    with anyio.CancelScope(shield=True):
                        await part.remove()

    async def finished(part: _Part) -> None:
        try:
            await send.send(part)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await part.remove()
            raise

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(uploader)
        async with send:
            try:
                cap = MAX_NDJSON_BYTES if max_bytes is None else max_bytes
                await _spool(units, cap, finished, encoding or LineEncoding())
            except anyio.BrokenResourceError:
                pass  # the uploader stopped at a failed part: its error is reported below
            except Exception as exc:
                failed.append(exc)
    if failed:
        raise failed[0]
    return jobs
