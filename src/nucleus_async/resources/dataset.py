"""Dataset: the scope's dataset class, assembled from one mixin per concern."""

from __future__ import annotations

from ._dataset_annotations import AnnotationMethods
from ._dataset_indexing import IndexingMethods
from ._dataset_items import ItemMethods
from ._dataset_scenes import SceneMethods
from ._dataset_slices import SliceMethods

__all__ = ["Dataset"]


class Dataset(ItemMethods, AnnotationMethods, SceneMethods, SliceMethods, IndexingMethods):
    """Datasets are collections of your data that can be associated with models.

    You can append items or scenes with metadata, annotate them with ground truth, and
    upload model predictions to evaluate and compare model performance on your data.
    Obtain one with ``await client.create_dataset(name, is_scene=False)`` or
    ``client.get_dataset(dataset_id)``.
    """
