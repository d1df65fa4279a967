"""Bounded fan-out: batches from any (async) iterable, run by a fixed pool of workers.

A million items never become a million tasks: the producer pulls batches lazily and feeds a
zero-buffer memory stream read by ``concurrency`` workers, so at most ``concurrency`` batches
(plus the one being built) are in memory at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio
import attrs

from ._iterables import AnyIterable, iterate

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream

__all__ = ["BatchFailure", "fan_out"]

B = TypeVar("B")


@attrs.frozen
class BatchFailure(Generic[B]):
    """A batch that did not land, with its position in the input and the final error."""

    index: int
    batch: B
    error: BaseException


async def fan_out(
    batches: AnyIterable[B],
    worker: Callable[[B], Awaitable[None]],
    *,
    concurrency: int,
) -> list[BatchFailure[B]]:
    """Run ``worker`` on every batch with at most ``concurrency`` running at once.

    Returns the failures in input order. A worker's exception (after the transport's own
    retries) is recorded, not raised, so the batches that landed stay accounted for; no new
    batch starts after the first failure (the batch already taken from the input is left
    untouched, so the caller can report it as unsent). Cancellation propagates: no new request
    starts and no task is left behind.
    """
    failures: list[BatchFailure[B]] = []
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
                index = 0
                async for batch in iterate(batches):
                    if failures:
                        break
                    await send.send((index, batch))
                    index += 1
            except Exception as exc:
                # Bad input met mid-stream: stop feeding, let the batches in flight finish
                # (so each either lands or fails cleanly), then report the input error.
                producer_error = exc
    if producer_error is not None:
        raise producer_error
    failures.sort(key=lambda f: f.index)
    return failures
