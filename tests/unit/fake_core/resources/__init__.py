"""Resources of the fake core."""

from .dataset import Dataset
from .slice import Slice

__all__ = ["Dataset", "Slice"]
