"""Fixtures for the Ray integration: one local Ray and one served emulator for the session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest
import ray

import nucleus_async
from nucleus_emulator import Emulator
from nucleus_ray import NucleusSettings

API_KEY = "ray-test-key"
#: Attempts at starting the local Ray.
STARTS = 3


@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    """A local two-CPU Ray, started once for every Ray test and shut down after them."""
    for attempt in range(STARTS):
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            break
        except Exception:
            # Ray gives its node a fixed 30 s to register with its control store; a loaded
            # machine sometimes misses that, and a fresh start then succeeds.
            ray.shutdown()
            if attempt == STARTS - 1:
                raise
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    """The emulator, served on a loopback port (Ray workers are other processes)."""
    with Emulator().serve() as url:
        yield url


@pytest.fixture(scope="session")
def settings(endpoint: str) -> NucleusSettings:
    return NucleusSettings(api_key=API_KEY, endpoint=endpoint, concurrency_per_task=4)


RunCore = Callable[..., Any]


@pytest.fixture(scope="session")
def run_core(endpoint: str) -> RunCore:
    """``run_core(fn, *args)``: ``await fn(client, *args)`` with the tests' own client."""

    def run(function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        async def call() -> Any:
            async with nucleus_async.NucleusClient(
                API_KEY, endpoint=endpoint, progress=False
            ) as client:
                return await function(client, *args)

        return anyio.run(call)

    return run


@pytest.fixture
def dataset_id(run_core: RunCore) -> str:
    """A fresh, empty item dataset."""

    async def create(client: nucleus_async.NucleusClient) -> str:
        return (await client.create_dataset("ray", is_scene=False)).id

    result: str = run_core(create)
    return result
