"""Dataset tags: `DatasetTagStore` over the `dataset_tags` table (kept in insertion order)."""

from __future__ import annotations

from collections.abc import Sequence

from nucleus_emulator.store.connection import StoreConnection


class DatasetTagStore:
    """The tags of a dataset (`dataset/{ds}/tags`; `dataset/{ds}/info` shows them)."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def of(self, dataset_id: str) -> list[str]:
        """The dataset's tags, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT tag FROM dataset_tags WHERE dataset_id = ? ORDER BY seq", (dataset_id,)
            ).fetchall()
        return [r[0] for r in rows]

    def add(self, dataset_id: str, tags: Sequence[str]) -> None:
        """Add tags (already present ones are kept where they are)."""
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO dataset_tags (dataset_id, tag) VALUES (?, ?)",
                [(dataset_id, t) for t in tags],
            )

    def remove(self, dataset_id: str, tags: Sequence[str]) -> None:
        """Remove tags (absent ones are ignored)."""
        with self._db.transaction() as conn:
            conn.executemany(
                "DELETE FROM dataset_tags WHERE dataset_id = ? AND tag = ?",
                [(dataset_id, t) for t in tags],
            )
