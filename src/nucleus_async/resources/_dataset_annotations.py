"""Dataset ground-truth and prediction methods (annotate, upload_predictions, reads, taxonomies)."""

from __future__ import annotations

from ._dataset_base import DatasetBase

__all__ = ["AnnotationMethods"]


class AnnotationMethods(DatasetBase):
    """The dataset's annotation and prediction methods."""
