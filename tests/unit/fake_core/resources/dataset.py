"""A dataset: a resource taking and returning resources."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING

import anyio

from nucleus_async._awaitable_property import awaitable_property

from .._events import record
from .._exports import ExportJob
from .._pagination import AsyncPager
from ..types import Item
from ._dataset_base import DatasetReads

if TYPE_CHECKING:
    from .._client import NucleusClient

DEFAULT_TAG = "main"


class Dataset(DatasetReads):
    """A dataset. Obtain one with ``await client.create_dataset(name)``."""

    def __init__(
        self,
        dataset_id: str,
        client: NucleusClient,
        name: str | None = None,
        *,
        tag: str = DEFAULT_TAG,
    ) -> None:
        self.id = dataset_id
        self.name = name
        self.tag = tag
        self._client = client

    def __repr__(self) -> str:
        return f"Dataset({self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dataset) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @awaitable_property
    async def size(self) -> int:
        """The number of items, fetched on every read.

        ::

            count = await dataset.size
        """
        await anyio.sleep(0)
        return len(self.name or "")

    async def append(self, items: Iterable[Item], update: bool = False, /) -> int:
        """Append items; returns how many."""
        await anyio.sleep(0)
        return len(list(items))

    def items_generator(self, count: int = 5, page_size: int = 2) -> AsyncPager[Item]:
        """Async iterator over every item, page by page.

        ::

            async for item in dataset.items_generator():
                print(item)
        """
        items = [Item(f"{self.id}-{i}") for i in range(count)]
        return AsyncPager(items, page_size, self.id)

    async def stream(self, count: int = 1000) -> AsyncIterator[int]:
        """Yield numbers, one per loop hop."""
        try:
            for i in range(count):
                await anyio.sleep(0)
                yield i
        finally:
            record(f"{self.id}:stream-closed")

    async def same_as(self, other: Dataset) -> bool:
        """Whether ``other`` is this dataset (a resource argument)."""
        return other is self

    async def export(self, *names: str, **options: int) -> ExportJob:
        """Start an export (returns a job subclass)."""
        return ExportJob(f"export-{self.id}-{len(names)}-{len(options)}", self._client)
