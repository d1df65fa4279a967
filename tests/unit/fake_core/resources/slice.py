"""A slice: another resource sharing the dataset mixin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._dataset_base import DatasetReads

if TYPE_CHECKING:
    from .._client import NucleusClient


class Slice(DatasetReads):
    """A slice of a dataset."""

    def __init__(self, slice_id: str, client: NucleusClient) -> None:
        self.id = slice_id
        self._client = client
