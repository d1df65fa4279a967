"""`Store`: the emulator's storage, one SQLite connection shared by one store per concept.

Each concept (datasets, items, scenes, annotations, …) is a class in its own module over the
shared `StoreConnection`; `Store` builds them and hands each the stores it needs::

    store = Store(path)
    store.items.append(dataset_id, items, update=False)
    store.scenes.by_ref(dataset_id, "scene-1")
"""

from __future__ import annotations

from pathlib import Path

from nucleus_emulator.store.annotations import AnnotationStore
from nucleus_emulator.store.autotags import AutotagStore
from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.dataset_tags import DatasetTagStore
from nucleus_emulator.store.datasets import DatasetStore
from nucleus_emulator.store.embeddings import EmbeddingStore
from nucleus_emulator.store.indexes import IndexStore
from nucleus_emulator.store.items import ItemStore
from nucleus_emulator.store.jobs import JobStore
from nucleus_emulator.store.model_runs import RunStore
from nucleus_emulator.store.models import ModelStore
from nucleus_emulator.store.scenes import SceneStore
from nucleus_emulator.store.slices import SliceStore
from nucleus_emulator.store.taxonomies import TaxonomyStore
from nucleus_emulator.store.tracks import TrackStore
from nucleus_emulator.store.uploads import UploadStore

__all__ = ["Store"]


class Store:
    """The emulator's storage: the connection (`connection`) and one store per concept."""

    def __init__(self, path: Path | str) -> None:
        self.connection = StoreConnection(path)
        db = self.connection
        self.datasets = DatasetStore(db)
        self.dataset_tags = DatasetTagStore(db)
        self.items = ItemStore(db)
        self.uploads = UploadStore(db)
        self.jobs = JobStore(db)
        self.scenes = SceneStore(db)
        self.taxonomies = TaxonomyStore(db)
        self.tracks = TrackStore(db)
        self.annotations = AnnotationStore(db, scenes=self.scenes, taxonomies=self.taxonomies)
        self.models = ModelStore(db)
        self.runs = RunStore(db)
        self.slices = SliceStore(db)
        self.embeddings = EmbeddingStore(db)
        self.indexes = IndexStore(db, self.embeddings)
        self.autotags = AutotagStore(db)

    def close(self) -> None:
        self.connection.close()
