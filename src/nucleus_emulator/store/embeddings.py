"""Embedding vectors: `EmbeddingStore` over the `embeddings` table (one vector per item and index).

Two image-level indexes exist per dataset: `custom` (vectors read by a `customIndexing` job from
user files) and `internal` (the "Nucleus-generated" index; the emulator has no image model, so
`indexingImage` copies the vectors items were uploaded with in `embedding_info`). Which one reads
use is the dataset's primary index (`IndexStore.primary_image_kind`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.lookups import chunks, marks
from nucleus_emulator.store.values import dumps

CUSTOM = "custom"
INTERNAL = "internal"


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity in [-1, 1] (0 when either vector is zero)."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    if na == 0 or nb == 0:
        return 0.0
    return max(-1.0, min(1.0, dot / (na * nb)))


class EmbeddingStore:
    """Vectors of items in the `custom` or `internal` index of their dataset."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def put(self, dataset_id: str, kind: str, vectors: Sequence[tuple[str, list[float]]]) -> None:
        """Store `(item id, vector)` pairs in the `kind` index (replacing earlier vectors)."""
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO embeddings (item_id, dataset_id, index_kind, vector)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT(item_id, index_kind) DO UPDATE SET vector = excluded.vector",
                [(item_id, dataset_id, kind, dumps(vector)) for item_id, vector in vectors],
            )

    def delete(self, dataset_id: str, kind: str) -> int:
        """Delete the dataset's vectors of the `kind` index; returns how many."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM embeddings WHERE dataset_id = ? AND index_kind = ?",
                (dataset_id, kind),
            )
        return int(cursor.rowcount)

    def count(self, dataset_id: str, kind: str) -> int:
        with self._db.read() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM embeddings WHERE dataset_id = ? AND index_kind = ?",
                (dataset_id, kind),
            ).fetchone()
        return int(count)

    def vectors(
        self, dataset_id: str, kind: str, item_ids: Sequence[str] | None = None
    ) -> dict[str, tuple[str, list[float]]]:
        """`{item id: (reference id, vector)}` of the `kind` index, in item order."""
        out: dict[str, tuple[str, list[float]]] = {}
        with self._db.read() as conn:
            if item_ids is None:
                rows = conn.execute(
                    "SELECT e.item_id, i.reference_id, e.vector FROM embeddings e"
                    " JOIN items i ON i.id = e.item_id"
                    " WHERE e.dataset_id = ? AND e.index_kind = ? ORDER BY i.seq",
                    (dataset_id, kind),
                ).fetchall()
            else:
                rows = []
                for chunk in chunks(item_ids):
                    rows += conn.execute(
                        "SELECT e.item_id, i.reference_id, e.vector FROM embeddings e"
                        " JOIN items i ON i.id = e.item_id"
                        f" WHERE e.index_kind = ? AND e.item_id IN ({marks(chunk)})"
                        " ORDER BY i.seq",
                        (kind, *chunk),
                    ).fetchall()
        for item_id, ref, vector in rows:
            out[item_id] = (ref, json.loads(vector))
        return out
