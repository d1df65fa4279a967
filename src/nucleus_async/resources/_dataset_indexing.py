"""Dataset indexing, embeddings, autotags, labeling-task and export methods."""

from __future__ import annotations

from ._dataset_base import DatasetBase

__all__ = ["IndexingMethods"]


class IndexingMethods(DatasetBase):
    """Dataset indexing, embeddings, autotags, labeling-task and export methods."""
