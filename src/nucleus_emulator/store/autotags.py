"""Autotags: `AutotagRow` and `AutotagStore` over `autotags` and their scored `autotag_items`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.values import new_id, now_iso


@dataclass(frozen=True)
class AutotagRow:
    id: str
    dataset_id: str
    name: str
    status: str
    autotag_level: str
    refinement_steps: int
    refinement_ms: float
    created_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "autotag_level": self.autotag_level,
        }


_AUTOTAG_COLUMNS = (
    "id, dataset_id, name, status, autotag_level, refinement_steps, refinement_ms, created_at"
)


def _autotag_row(row: Sequence[Any]) -> AutotagRow:
    return AutotagRow(*row)


class AutotagStore:
    """Autotags of a dataset: their positive training items and the scores of scored items."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def create(
        self, dataset_id: str, name: str, level: str, positive_item_ids: Sequence[str]
    ) -> AutotagRow:
        autotag_id = new_id("tag")
        with self._db.transaction() as conn:
            conn.execute(
                f"INSERT INTO autotags ({_AUTOTAG_COLUMNS})"
                " VALUES (?, ?, ?, 'started', ?, 1, 0, ?)",
                (autotag_id, dataset_id, name, level, now_iso()),
            )
            conn.executemany(
                "INSERT INTO autotag_items (autotag_id, item_id, positive) VALUES (?, ?, 1)",
                [(autotag_id, i) for i in dict.fromkeys(positive_item_ids)],
            )
        found = self.get(autotag_id)
        assert found is not None
        return found

    def get(self, autotag_id: str) -> AutotagRow | None:
        return self._db.fetch_one(
            _autotag_row, f"SELECT {_AUTOTAG_COLUMNS} FROM autotags WHERE id = ?", (autotag_id,)
        )

    def by_name(self, dataset_id: str, name: str) -> AutotagRow | None:
        return self._db.fetch_one(
            _autotag_row,
            f"SELECT {_AUTOTAG_COLUMNS} FROM autotags WHERE dataset_id = ? AND name = ?",
            (dataset_id, name),
        )

    def in_dataset(self, dataset_id: str) -> list[AutotagRow]:
        """The dataset's autotags, oldest first."""
        return self._db.fetch_all(
            _autotag_row,
            f"SELECT {_AUTOTAG_COLUMNS} FROM autotags WHERE dataset_id = ?"
            " ORDER BY created_at, rowid",
            (dataset_id,),
        )

    def delete(self, autotag_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM autotags WHERE id = ?", (autotag_id,))

    def positives(self, autotag_id: str) -> list[tuple[str, str]]:
        """`(item id, reference id)` of the autotag's positive training items."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT a.item_id, i.reference_id FROM autotag_items a"
                " JOIN items i ON i.id = a.item_id"
                " WHERE a.autotag_id = ? AND a.positive = 1 ORDER BY i.seq",
                (autotag_id,),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def set_scores(
        self, autotag_id: str, scores: Sequence[tuple[str, float]], *, elapsed_ms: float
    ) -> None:
        """Replace every score of the autotag and mark it completed."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE autotag_items SET score = NULL WHERE autotag_id = ?", (autotag_id,)
            )
            conn.execute(
                "DELETE FROM autotag_items WHERE autotag_id = ? AND positive = 0", (autotag_id,)
            )
            conn.executemany(
                "INSERT INTO autotag_items (autotag_id, item_id, positive, score)"
                " VALUES (?, ?, 0, ?)"
                " ON CONFLICT(autotag_id, item_id) DO UPDATE SET score = excluded.score",
                [(autotag_id, item_id, score) for item_id, score in scores],
            )
            conn.execute(
                "UPDATE autotags SET status = 'completed', refinement_ms = ? WHERE id = ?",
                (elapsed_ms, autotag_id),
            )

    def scores(self, autotag_id: str) -> list[tuple[str, str, float]]:
        """`(item id, reference id, score)` of scored items, highest score first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT a.item_id, i.reference_id, a.score FROM autotag_items a"
                " JOIN items i ON i.id = a.item_id WHERE a.autotag_id = ? AND a.score IS NOT NULL"
                " ORDER BY a.score DESC, i.seq",
                (autotag_id,),
            ).fetchall()
        return [(r[0], r[1], float(r[2])) for r in rows]
