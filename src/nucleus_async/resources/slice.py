"""Slice: a named subset of a dataset's items."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._client import NucleusClient

__all__ = ["Slice"]


class Slice:
    """A Slice represents a subset of DatasetItems in your Dataset."""

    def __init__(self, slice_id: str, client: NucleusClient) -> None:
        self.id = slice_id
        self._client = client

    def __repr__(self) -> str:
        return f"Slice(slice_id={self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Slice) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def slice_id(self) -> str:
        """The slice's id (``slc_…``)."""
        return self.id
