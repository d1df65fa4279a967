"""Helpers shared by the reliability tests: clients, recorded retries, probes of state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

import nucleus_async
from nucleus_async import DatasetItem
from nucleus_emulator import Emulator

API_KEY = "reliability-key"
OTHER_KEY = "reliability-other-key"
LIMITED_KEY = "reliability-limited-key"


class RecordingSleep:
    """The retry policy's sleep: records each requested delay (one per retry), waits briefly.

    Waiting ``min(delay, cap)`` keeps the suite fast while the recorded delays still prove the
    policy (e.g. that ``Retry-After`` was honoured).
    """

    def __init__(self, cap: float = 0.01, on_sleep: Any = None) -> None:
        self.delays: list[float] = []
        self.cap = cap
        self.on_sleep = on_sleep

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.on_sleep is not None:
            self.on_sleep(len(self.delays))
        await asyncio.sleep(min(delay, self.cap))

    @property
    def retries(self) -> int:
        return len(self.delays)


def policy(
    sleep: RecordingSleep | None = None, max_attempts: int = 10
) -> nucleus_async.RetryPolicy:
    return nucleus_async.RetryPolicy(
        max_attempts=max_attempts, sleep=sleep if sleep is not None else RecordingSleep()
    )


def timeouts(read: float = 5.0) -> nucleus_async.Timeouts:
    return nucleus_async.Timeouts(connect=5.0, read=read, write=5.0, pool=30.0)


def make_client(
    endpoint: str,
    *,
    key: str = API_KEY,
    emulator: Emulator | None = None,
    sleep: RecordingSleep | None = None,
    max_attempts: int = 10,
    read_timeout: float = 5.0,
    max_concurrency: int | None = None,
) -> nucleus_async.NucleusClient:
    """A core client; in-process when ``emulator`` is given, else over TCP to ``endpoint``."""
    return nucleus_async.NucleusClient(
        key,
        endpoint=endpoint,
        http_transport=nucleus_async.ASGITransport(emulator.app) if emulator is not None else None,
        retry=policy(sleep, max_attempts),
        timeouts=timeouts(read_timeout),
        max_concurrency=max_concurrency,
        progress=False,
    )


def remote_items(n: int, prefix: str = "item") -> list[DatasetItem]:
    return [
        DatasetItem(image_location=f"s3://bucket/{prefix}/{i}.jpg", reference_id=f"{prefix}-{i}")
        for i in range(n)
    ]


def stored_refs(emu: Emulator, dataset_id: str) -> list[str]:
    """Reference ids as stored (read from the store directly: no faults, no SDK)."""
    return [row.reference_id for row in emu.state.store.items.in_dataset(dataset_id)]


def assert_batches_whole(stored: Iterable[str], batches: list[list[str]]) -> int:
    """Each batch landed whole or not at all; returns how many landed."""
    present = set(stored)
    landed = 0
    for batch in batches:
        inside = [ref in present for ref in batch]
        assert all(inside) or not any(inside), f"batch landed partly: {batch[:3]}..."
        landed += all(inside)
    return landed


def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


async def await_until(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return bool(predicate())


def active_connections(client: Any) -> int:
    """Connections of the client's pool that are busy (not idle, not closed)."""
    core = getattr(client, "_core", client)
    http = core._transport._http
    assert http.socket_check_installed  # else busy_connections cannot see the pool
    return int(http.busy_connections())


def posts_to(emu: Emulator, suffix: str) -> int:
    """How many requests the emulator routed to a POST pattern ending with ``suffix``."""
    return sum(
        n
        for route, n in emu.stats.by_route.items()
        if route.startswith("POST ") and route.endswith(suffix)
    )
