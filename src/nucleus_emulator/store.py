"""The emulator's `Store`: one SQLite connection plus the data access of every core table.

`Store` composes the per-concept classes (datasets, items, uploads, jobs) over `StoreConnection`;
the other tables have function modules over it (`store_annotations.py`, `store_scenes.py`, …).
The names below stay importable from here.
"""

from __future__ import annotations

from nucleus_emulator.schema import SCHEMA
from nucleus_emulator.store_datasets import DatasetAccess, DatasetRow, _dataset
from nucleus_emulator.store_items import (
    _INSERT_ITEM,
    _ITEM_COLUMNS,
    AppendCounts,
    ItemAccess,
    ItemInput,
    ItemRow,
    _item,
)
from nucleus_emulator.store_jobs import _JOB_COLUMNS, JobAccess, JobRow, _job
from nucleus_emulator.store_uploads import UploadAccess, UploadRow
from nucleus_emulator.store_values import (
    _IN_CHUNK,
    _chunks,
    _dumps,
    _loads,
    new_id,
    new_ids,
    now_iso,
)

__all__ = [
    "SCHEMA",
    "_IN_CHUNK",
    "_INSERT_ITEM",
    "_ITEM_COLUMNS",
    "_JOB_COLUMNS",
    "AppendCounts",
    "DatasetRow",
    "ItemInput",
    "ItemRow",
    "JobRow",
    "Store",
    "UploadRow",
    "_chunks",
    "_dataset",
    "_dumps",
    "_item",
    "_job",
    "_loads",
    "new_id",
    "new_ids",
    "now_iso",
]


class Store(DatasetAccess, ItemAccess, UploadAccess, JobAccess):
    """One SQLite connection in WAL mode, serialised by a lock (handlers run on threads)."""
