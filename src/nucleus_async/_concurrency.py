"""Bounded fan-out: batches from any (async) iterable, run by a fixed pool of workers.

A million items never become a million tasks: a producer batches the input lazily and feeds a
zero-buffer memory stream read by ``concurrency`` workers, so at most ``concurrency`` batches
(plus the one being built) are in memory at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Generic, TypeVar

import anyio
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream

__all__ = ["BatchFailure", "batched", "fan_out"]

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
