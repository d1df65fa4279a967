"""Dataset scene methods (append scenes, get/delete scenes, scene metadata)."""

from __future__ import annotations

from ._dataset_base import DatasetBase

__all__ = ["SceneMethods"]


class SceneMethods(DatasetBase):
    """Dataset scene methods (append scenes, get/delete scenes, scene metadata)."""
