"""Resources of the fake core."""

from .dataset import Dataset

__all__ = ["Dataset"]
