"""Dataset slice methods (create, build, list slices)."""

from __future__ import annotations

from ._dataset_base import DatasetBase

__all__ = ["SliceMethods"]


class SliceMethods(DatasetBase):
    """Dataset slice methods (create, build, list slices)."""
