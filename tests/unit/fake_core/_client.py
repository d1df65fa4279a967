"""The fake client: an async context manager with ``aclose``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import anyio

from nucleus_async._awaitable_property import awaitable_property

from ._errors import FakeError
from ._events import record
from ._jobs import AsyncJob
from .resources.dataset import Dataset
from .resources.slice import Slice


class NucleusClient:
    """The fake client.

    ::

        async with fake_core.NucleusClient("key") as client:
            dataset = await client.create_dataset("x")
    """

    def __init__(self, api_key: str | None = None, *, endpoint: str = "memory://") -> None:
        self.api_key = api_key
        self._endpoint = endpoint
        self._datasets: dict[str, Dataset] = {}
        self.constructed_on = threading.get_ident()
        self.closed = False

    @property
    def endpoint(self) -> str:
        """Where requests go."""
        return self._endpoint

    async def __aenter__(self) -> NucleusClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client."""
        self.closed = True
        record("client-closed")

    async def create_dataset(self, name: str) -> Dataset:
        """Create a dataset."""
        await anyio.sleep(0)
        dataset = Dataset(f"ds_{name}", self, name)
        self._datasets[dataset.id] = dataset
        return dataset

    def get_dataset(self, dataset_id: str) -> Dataset:
        """A dataset by id (no request)."""
        return self._datasets.get(dataset_id) or Dataset(dataset_id, self)

    async def list_datasets(self) -> list[Dataset]:
        """Every dataset."""
        return list(self._datasets.values())

    @awaitable_property
    async def datasets(self) -> list[Dataset]:
        """Every dataset, fetched (resources in an awaitable property)."""
        await anyio.sleep(0)
        return list(self._datasets.values())

    async def datasets_by_name(self) -> dict[str, Dataset]:
        """Datasets keyed by name."""
        return {d.name or d.id: d for d in self._datasets.values()}

    def get_slice(self, slice_id: str) -> Slice:
        """A slice by id (no request)."""
        return Slice(slice_id, self)

    async def get_job(self, job_id: str) -> AsyncJob:
        """A job."""
        return AsyncJob(job_id, self)

    async def sleep(self, seconds: float) -> float:
        """Sleep on the loop; returns the seconds."""
        await anyio.sleep(seconds)
        return seconds

    async def hang(self) -> None:
        """Sleep until cancelled, recording the cancellation."""
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            record("hang-cancelled")
            raise

    async def fail(self, message: str) -> None:
        """Raise ``FakeError``."""
        raise FakeError(message)

    async def run_callback(self, callback: Callable[[], Any]) -> Any:
        """Call ``callback`` on the loop thread."""
        return callback()

    async def loop_thread(self) -> int:
        """The id of the thread this runs on."""
        return threading.get_ident()
