"""Bounded fan-out: batches from any (async) iterable, run by a fixed pool of workers.

A million items never become a million tasks: a producer batches the input lazily and feeds a
zero-buffer memory stream read by ``concurrency`` workers, so at most ``concurrency`` batches
(plus the one being built) are in memory at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio
import attrs

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream

__all__ = ["BatchFailure", "ByteBudget", "MAX_BODY_BYTES_IN_FLIGHT", "batched", "fan_out"]

#: Request bodies one bulk upload keeps in flight at most (one body is always let through).
#: Small batches (items, remote masks) never reach it and use the whole ``max_concurrency``;
#: big ones (5,000 boxes are ~1.3 MB) run a few at a time: the server takes them one after
#: another anyway, and every waiting body is memory. Chosen by measurement (benchmarks/).
MAX_BODY_BYTES_IN_FLIGHT = 5 * 512 * 1024

T = TypeVar("T")
B = TypeVar("B")


async def batched(items: Iterable[T] | AsyncIterable[T], size: int) -> AsyncIterator[list[T]]:
    """Yield lists of at most ``size`` items, pulling lazily from a sync or async iterable."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    batch: list[T] = []
    if isinstance(items, AsyncIterable):
        async for item in items:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
    else:
        for item in items:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


class ByteBudget:
    """Bounds the bytes of request bodies that exist at once; one body is always let through.

    The producer of a bulk upload builds each body with :meth:`build`, which waits until a
    body of that many units fits (estimated from the bodies built so far) before building
    it, so no finished body waits for room; the worker ``release``s the body's size when the
    request is over.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._per_unit = 0.0
        self._freed = anyio.Event()

    async def build(self, units: int, make: Callable[[], bytes]) -> bytes:
        """Wait for room for a body of ``units`` units, build it, count its real size."""
        estimate = int(units * self._per_unit)
        await self.acquire(estimate)
        try:
            body = make()
        except BaseException:
            self.release(estimate)
            raise
        self._used += len(body) - estimate
        if units:
            self._per_unit = max(self._per_unit, len(body) / units)
        return body

    async def acquire(self, size: int) -> None:
        while self._used and self._used + size > self._limit:
            await self._freed.wait()
        self._used += size

    def release(self, size: int) -> None:
        self._used -= size
        self._freed.set()
        self._freed = anyio.Event()


@attrs.frozen
class BatchFailure(Generic[B]):
    """A batch that did not land, with its position in the input and the final error."""

    index: int
    batch: B
    error: BaseException


async def fan_out(
    batches: AsyncIterable[B] | Iterable[B],
    worker: Callable[[B], Awaitable[None]],
    *,
    concurrency: int,
    fail_fast: bool = True,
) -> tuple[int, list[BatchFailure[B]]]:
    """Run ``worker`` on every batch with at most ``concurrency`` running at once.

    Returns how many batches were taken from the input and the failures. A worker's exception
    (after the transport's own retries) is recorded, not raised, so the batches that landed
    stay accounted for; with ``fail_fast`` no new batch starts after the first failure.
    Cancellation propagates: no new request starts and no task is left behind.
    """
    failures: list[BatchFailure[B]] = []
    taken = 0
    send, receive = anyio.create_memory_object_stream[tuple[int, B]](0)

    async def run_worker(stream: MemoryObjectReceiveStream[tuple[int, B]]) -> None:
        async with stream:
            async for index, batch in stream:
                try:
                    await worker(batch)
                except Exception as exc:
                    failures.append(BatchFailure(index, batch, exc))

    producer_error: Exception | None = None
    async with anyio.create_task_group() as tg:
        for _ in range(max(1, concurrency)):
            tg.start_soon(run_worker, receive.clone())
        receive.close()
        async with send:
            try:
                if isinstance(batches, AsyncIterable):
                    async for batch in batches:
                        if fail_fast and failures:
                            break
                        await send.send((taken, batch))
                        taken += 1
                else:
                    for batch in batches:
                        if fail_fast and failures:
                            break
                        await send.send((taken, batch))
                        taken += 1
            except Exception as exc:
                # Bad input met mid-stream: stop feeding, let the batches in flight finish
                # (so each either lands or fails cleanly), then report the input error.
                producer_error = exc
    if producer_error is not None:
        raise producer_error
    failures.sort(key=lambda f: f.index)
    return taken, failures
