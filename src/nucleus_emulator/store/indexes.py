"""Embedding indexes: `IndexStore` over `embedding_indexes` and the `dataset_indexing` settings.

An index kind per dataset and level (`Custom`/`Internal` by `Image`/`Object`); the settings say
whether continuous indexing is on and which image/object index is primary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.embeddings import CUSTOM, INTERNAL, EmbeddingStore
from nucleus_emulator.store.values import new_id, now_iso


@dataclass(frozen=True)
class IndexRow:
    id: str
    dataset_id: str
    index_type: str
    index_level: str
    embedding_type: str
    embedding_dimension: int
    status: str
    created_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "index_type": self.index_type,
            "index_level": self.index_level,
            "embedding_type": self.embedding_type,
            "embedding_dimension": self.embedding_dimension,
        }


@dataclass(frozen=True)
class IndexingSettings:
    continuous: bool = False
    primary_image: str | None = None
    primary_object: str | None = None


_INDEX_COLUMNS = (
    "id, dataset_id, index_type, index_level, embedding_type, embedding_dimension, status,"
    " created_at"
)


def _index_row(row: Sequence[Any]) -> IndexRow:
    return IndexRow(*row)


class IndexStore:
    """The indexes of a dataset and its indexing settings (the primary index needs vectors)."""

    def __init__(self, db: StoreConnection, embeddings: EmbeddingStore) -> None:
        self._db = db
        self._embeddings = embeddings

    def put(
        self,
        dataset_id: str,
        index_type: str,
        index_level: str,
        *,
        embedding_type: str,
        embedding_dimension: int,
        status: str,
    ) -> IndexRow:
        """Create or update the dataset's index of this type and level."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO embedding_indexes (id, dataset_id, index_type, index_level,"
                " embedding_type, embedding_dimension, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(dataset_id, index_type, index_level) DO UPDATE SET"
                " embedding_type = excluded.embedding_type,"
                " embedding_dimension = excluded.embedding_dimension, status = excluded.status",
                (
                    new_id("ei"),
                    dataset_id,
                    index_type,
                    index_level,
                    embedding_type,
                    embedding_dimension,
                    status,
                    now_iso(),
                ),
            )
        found = self.get(dataset_id, index_type, index_level)
        assert found is not None
        return found

    def get(self, dataset_id: str, index_type: str, index_level: str) -> IndexRow | None:
        return self._db.fetch_one(
            _index_row,
            f"SELECT {_INDEX_COLUMNS} FROM embedding_indexes"
            " WHERE dataset_id = ? AND index_type = ? AND index_level = ?",
            (dataset_id, index_type, index_level),
        )

    def in_dataset(self, dataset_id: str) -> list[IndexRow]:
        """The dataset's indexes, oldest first."""
        return self._db.fetch_all(
            _index_row,
            f"SELECT {_INDEX_COLUMNS} FROM embedding_indexes WHERE dataset_id = ?"
            " ORDER BY created_at, rowid",
            (dataset_id,),
        )

    def delete(self, dataset_id: str, index_type: str, index_level: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "DELETE FROM embedding_indexes WHERE dataset_id = ? AND index_type = ?"
                " AND index_level = ?",
                (dataset_id, index_type, index_level),
            )

    def settings(self, dataset_id: str) -> IndexingSettings:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT continuous, primary_image, primary_object FROM dataset_indexing"
                " WHERE dataset_id = ?",
                (dataset_id,),
            ).fetchone()
        return IndexingSettings() if row is None else IndexingSettings(bool(row[0]), row[1], row[2])

    def update_settings(self, dataset_id: str, **changes: Any) -> None:
        """Change some of `IndexingSettings`' fields (the others keep their values)."""
        merged = {**self.settings(dataset_id).__dict__, **changes}
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO dataset_indexing"
                " (dataset_id, continuous, primary_image, primary_object)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(dataset_id) DO UPDATE SET"
                " continuous = excluded.continuous, primary_image = excluded.primary_image,"
                " primary_object = excluded.primary_object",
                (
                    dataset_id,
                    int(merged["continuous"]),
                    merged["primary_image"],
                    merged["primary_object"],
                ),
            )

    def primary_image_kind(self, dataset_id: str) -> str:
        """The image index reads use: the chosen one, else custom when it has vectors."""
        chosen = self.settings(dataset_id).primary_image
        if chosen in (CUSTOM, INTERNAL):
            return chosen
        return CUSTOM if self._embeddings.count(dataset_id, CUSTOM) else INTERNAL
