"""The byte budget of one bulk upload: how many bytes of request bodies exist at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

__all__ = ["MAX_BODY_BYTES_IN_FLIGHT", "ByteBudget"]

#: Request bodies one bulk upload keeps in flight at most (one body is always let through), so
#: the bodies of one upload hold at most 16 MiB plus the one being built (one batch: ~1 MB for
#: 5,000 boxes). What keeps a link busy is bytes in flight >= encoding rate x round trip: the
#: client encodes boxes at ~50 MB/s (standard library) to ~150 MB/s (orjson), so a 50 ms round
#: trip needs 2.5-7.5 MB in flight, and 16 MiB covers round trips of 100 ms at the faster rate
#: (2.5 MiB, the earlier limit, let two 5,000-box batches travel: ten sequential round trips
#: for 100,000 boxes). Small batches (items, remote masks) never reach it and use the whole
#: ``max_concurrency``.
MAX_BODY_BYTES_IN_FLIGHT = 16 * 1024 * 1024


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

    async def build(self, units: int, make: Callable[[], Awaitable[bytes]]) -> bytes:
        """Wait for room for a body of ``units`` units, build it, count its real size."""
        estimate = int(units * self._per_unit)
        await self._acquire(estimate)
        try:
            body = await make()
        except BaseException:
            self.release(estimate)
            raise
        self._used += len(body) - estimate
        if units:
            self._per_unit = max(self._per_unit, len(body) / units)
        return body

    async def _acquire(self, size: int) -> None:
        while self._used and self._used + size > self._limit:
            await self._freed.wait()
        self._used += size

    def release(self, size: int) -> None:
        """Give back the room of a body whose request is over."""
        self._used -= size
        self._freed.set()
        self._freed = anyio.Event()
