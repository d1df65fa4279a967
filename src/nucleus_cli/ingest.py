"""Ingest: a source streamed into a dataset in concurrent batches, with a tally of what landed.

Each batch of ``CALL_SIZE`` items is one ``Dataset.append`` call (a few concurrent requests of
``REQUEST_SIZE`` items), and enough calls run at once to keep the client's ``max_concurrency``
requests busy (the calls share the client's request limiter, so the service never sees more).
A finished call is a batch the service confirmed, which is what the tally counts: when the
user presses Ctrl-C, or a batch fails, the command can say exactly how many items landed,
how many were in flight (they may have landed too), and that re-running the same command
resumes (items are matched by reference id, so a re-run is idempotent). Calls of several
requests rather than one keep the per-call cost (validation, task start-up) small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from nucleus_async import Dataset, UploadResponse, ValidationError

from .sources import LocatedItem, SourceError

__all__ = ["CALL_SIZE", "REQUEST_SIZE", "IngestTally", "ingest"]

#: Items per request: the core's default JSON batch (files go ten per multipart request).
REQUEST_SIZE = 20
_REQUESTS_PER_CALL = 5
#: Items per ``append`` call, the unit the tally and the progress bar count.
CALL_SIZE = REQUEST_SIZE * _REQUESTS_PER_CALL


@dataclass
class IngestTally:
    """What an ingest has done so far; readable after it stopped, however it stopped."""

    total: int
    sent: int = 0
    landed: int = 0
    new: int = 0
    updated: int = 0
    ignored: int = 0
    errors: int = 0

    def add(self, response: UploadResponse, items: int) -> None:
        """Count one batch the service confirmed."""
        self.landed += items
        self.new += response.new_items
        self.updated += response.updated_items
        self.ignored += response.ignored_items
        self.errors += response.upload_errors

    def counts(self) -> str:
        """The service's counters, as the command prints them on success."""
        return (
            f"new: {self.new}  updated: {self.updated}  "
            f"ignored: {self.ignored}  errors: {self.errors}"
        )

    def landed_note(self) -> str:
        """How far the ingest got (for an interruption or a failure)."""
        text = f"{self.landed} of {self.total} items landed"
        in_flight = self.sent - self.landed
        if in_flight > 0:
            text += f"; {in_flight} more were in flight and may have landed"
        return text + "."

    def resume_hint(self) -> str:
        """How to finish the job."""
        return (
            "Run the same command again to resume: items are matched by reference id, "
            "so a re-run is idempotent."
        )


async def ingest(
    dataset: Dataset,
    items: Iterable[LocatedItem],
    *,
    tally: IngestTally,
    update: bool,
    concurrency: int,
    advance: Callable[[int], None],
) -> None:
    """Append every item; on the first failure stop feeding, let batches in flight finish, raise.

    A validation error the SDK raises for one item becomes a :class:`SourceError` naming the
    item's place (``file:line``).
    """
    failures: list[Exception] = []
    send, receive = anyio.create_memory_object_stream[list[LocatedItem]](0)

    async def append(batch: list[LocatedItem]) -> None:
        response = await dataset.append(
            [located.item for located in batch],
            update=update,
            batch_size=REQUEST_SIZE,
            progress=False,
        )
        assert isinstance(response, UploadResponse)  # items (not scenes), not asynchronous
        tally.add(response, len(batch))
        advance(len(batch))

    async def worker(stream: MemoryObjectReceiveStream[list[LocatedItem]]) -> None:
        async with stream:
            async for batch in stream:
                try:
                    await append(batch)
                except ValidationError as exc:
                    failures.append(_located(exc, batch))
                except Exception as exc:
                    failures.append(exc)

    # One call more than fills the limiter, so it stays busy while a call waits for its last
    # request.
    calls = -(-max(1, concurrency) // _REQUESTS_PER_CALL) + 1
    async with anyio.create_task_group() as tg:
        for _ in range(calls):
            tg.start_soon(worker, receive.clone())
        receive.close()
        async with send:
            try:
                for batch in _batches(items, CALL_SIZE):
                    if failures:
                        break
                    await send.send(batch)
                    tally.sent += len(batch)  # counted once a worker has taken it
            except SourceError as exc:
                # A bad row mid-source: stop feeding; the batches in flight land or fail.
                failures.append(exc)
    if failures:
        raise failures[0]


def _batches(items: Iterable[LocatedItem], size: int) -> Iterator[list[LocatedItem]]:
    batch: list[LocatedItem] = []
    for located in items:
        batch.append(located)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _located(exc: ValidationError, batch: list[LocatedItem]) -> Exception:
    for located in batch:
        if located.item.reference_id == exc.obj:
            return SourceError(f"{located.where}: {exc}")
    return exc
