"""A private mixin, as the real core splits Dataset across modules."""

from __future__ import annotations

import functools
from typing import Literal

import anyio

from ..types import Item


class DatasetReads:
    """Reads shared by datasets."""

    MAX_PAGE_SIZE = 100

    id: str

    @functools.cached_property
    def slug(self) -> str:
        """A cached property."""
        return self.id.replace("_", "-")

    async def first_item(self) -> Item:
        """The first item (defined in a mixin, in another module)."""
        await anyio.sleep(0)
        return Item(f"{self.id}-0")

    async def sorted_ids(self, ids: list[str], order: Literal["asc", "desc"] = "asc") -> list[str]:
        """Sort ids (a ``Literal`` annotation must survive the rewrite)."""
        return sorted(ids, reverse=order == "desc")
