"""Tracks: `TrackStore` over the `tracks` table (annotations and scenes name them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.lookups import chunks, marks
from nucleus_emulator.store.values import dumps


class TrackStore:
    """Tracks of a dataset: listed, their metadata updated, deleted (unlinking annotations)."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def in_dataset(self, dataset_id: str) -> list[dict[str, Any]]:
        """The dataset's tracks as `GET dataset/{ds}/tracks` lists them, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT reference_id, metadata FROM tracks WHERE dataset_id = ? ORDER BY seq",
                (dataset_id,),
            ).fetchall()
        return [
            {"reference_id": r[0], "dataset_id": dataset_id, "metadata": json.loads(r[1])}
            for r in rows
        ]

    def update(
        self, dataset_id: str, reference_id: str, metadata: dict[str, Any], overwrite: bool
    ) -> bool:
        """Merge (or with `overwrite` replace) a track's metadata; False if there is no track."""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT metadata FROM tracks WHERE dataset_id = ? AND reference_id = ?",
                (dataset_id, reference_id),
            ).fetchone()
            if row is None:
                return False
            merged = metadata if overwrite else {**json.loads(row[0]), **metadata}
            conn.execute(
                "UPDATE tracks SET metadata = ? WHERE dataset_id = ? AND reference_id = ?",
                (dumps(merged), dataset_id, reference_id),
            )
        return True

    def delete(self, dataset_id: str, reference_ids: Sequence[str]) -> list[str]:
        """Delete tracks and unlink their annotations and predictions; returns the deleted refs."""
        deleted: list[str] = []
        with self._db.transaction() as conn:
            for ref in dict.fromkeys(reference_ids):
                cursor = conn.execute(
                    "DELETE FROM tracks WHERE dataset_id = ? AND reference_id = ?",
                    (dataset_id, ref),
                )
                if cursor.rowcount:
                    deleted.append(ref)
            for chunk in chunks(deleted):
                rows = conn.execute(
                    "SELECT seq, payload FROM annotations"
                    f" WHERE dataset_id = ? AND track_reference_id IN ({marks(chunk)})",
                    (dataset_id, *chunk),
                ).fetchall()
                unlinked = []
                for seq, text in rows:
                    payload = json.loads(text)
                    if "track_reference_id" in payload:
                        payload["track_reference_id"] = None
                    unlinked.append((dumps(payload), seq))
                conn.executemany(
                    "UPDATE annotations SET track_reference_id = NULL, payload = ? WHERE seq = ?",
                    unlinked,
                )
        return deleted
