"""Datasets: `DatasetRow` and `DatasetStore` over the `datasets` table."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.values import dumps, loads, new_id, now_iso


@dataclass(frozen=True)
class DatasetRow:
    id: str
    owner: str
    name: str
    is_scene: bool
    use_privacy_mode: bool
    annotation_metadata_schema: Any
    item_metadata_schema: Any
    created_at: str


def _dataset(row: sqlite3.Row) -> DatasetRow:
    return DatasetRow(
        id=row[0],
        owner=row[1],
        name=row[2],
        is_scene=bool(row[3]),
        use_privacy_mode=bool(row[4]),
        annotation_metadata_schema=loads(row[5]),
        item_metadata_schema=loads(row[6]),
        created_at=row[7],
    )


class DatasetStore:
    """Create, read, list and delete datasets (deleting one deletes its items)."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def create(
        self,
        owner: str,
        name: str,
        *,
        is_scene: bool = False,
        use_privacy_mode: bool = False,
        annotation_metadata_schema: Any = None,
        item_metadata_schema: Any = None,
    ) -> DatasetRow:
        row = DatasetRow(
            id=new_id("ds"),
            owner=owner,
            name=name,
            is_scene=is_scene,
            use_privacy_mode=use_privacy_mode,
            annotation_metadata_schema=annotation_metadata_schema,
            item_metadata_schema=item_metadata_schema,
            created_at=now_iso(),
        )
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.id,
                    owner,
                    name,
                    int(is_scene),
                    int(use_privacy_mode),
                    None
                    if annotation_metadata_schema is None
                    else dumps(annotation_metadata_schema),
                    None if item_metadata_schema is None else dumps(item_metadata_schema),
                    row.created_at,
                ),
            )
        return row

    def get(self, dataset_id: str) -> DatasetRow | None:
        return self._db.fetch_one(_dataset, "SELECT * FROM datasets WHERE id = ?", (dataset_id,))

    def owned_by(self, owner: str) -> list[DatasetRow]:
        """The datasets of `owner`, oldest first."""
        return self._db.fetch_all(
            _dataset, "SELECT * FROM datasets WHERE owner = ? ORDER BY created_at, rowid", (owner,)
        )

    def delete(self, dataset_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM items WHERE dataset_id = ?", (dataset_id,))
            conn.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))
