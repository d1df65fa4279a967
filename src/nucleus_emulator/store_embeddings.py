"""Embeddings, embedding indexes, indexing settings and autotags over the `Store` connection.

Two image-level indexes exist per dataset: `custom` (vectors read by a `customIndexing` job from
user files) and `internal` (the "Nucleus-generated" index; the emulator has no image model, so
`indexingImage` copies the vectors items were uploaded with in `embedding_info`). The primary
index is the one reads use (`setPrimary`); by default custom when it exists, else internal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store import Store, _dumps, new_id, now_iso

CUSTOM = "custom"
INTERNAL = "internal"


# -- embeddings --------------------------------------------------------------------------


def put_embeddings(
    store: Store, dataset_id: str, kind: str, vectors: Sequence[tuple[str, list[float]]]
) -> None:
    """Store `(item id, vector)` pairs in the `kind` index (replacing earlier vectors)."""
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO embeddings (item_id, dataset_id, index_kind, vector) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(item_id, index_kind) DO UPDATE SET vector = excluded.vector",
            [(item_id, dataset_id, kind, _dumps(vector)) for item_id, vector in vectors],
        )


def delete_embeddings(store: Store, dataset_id: str, kind: str) -> int:
    with store.transaction() as conn:
        cursor = conn.execute(
            "DELETE FROM embeddings WHERE dataset_id = ? AND index_kind = ?", (dataset_id, kind)
        )
    return int(cursor.rowcount)


def count_embeddings(store: Store, dataset_id: str, kind: str) -> int:
    with store.read() as conn:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM embeddings WHERE dataset_id = ? AND index_kind = ?",
            (dataset_id, kind),
        ).fetchone()
    return int(count)


def embeddings_of(
    store: Store, dataset_id: str, kind: str, item_ids: Sequence[str] | None = None
) -> dict[str, tuple[str, list[float]]]:
    """`{item id: (reference id, vector)}` of the `kind` index, in item order."""
    out: dict[str, tuple[str, list[float]]] = {}
    with store.read() as conn:
        if item_ids is None:
            rows = conn.execute(
                "SELECT e.item_id, i.reference_id, e.vector FROM embeddings e"
                " JOIN items i ON i.id = e.item_id"
                " WHERE e.dataset_id = ? AND e.index_kind = ? ORDER BY i.seq",
                (dataset_id, kind),
            ).fetchall()
        else:
            rows = []
            for start in range(0, len(item_ids), 500):
                chunk = list(item_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows += conn.execute(
                    "SELECT e.item_id, i.reference_id, e.vector FROM embeddings e"
                    " JOIN items i ON i.id = e.item_id"
                    f" WHERE e.index_kind = ? AND e.item_id IN ({marks}) ORDER BY i.seq",
                    (kind, *chunk),
                ).fetchall()
    for item_id, ref, vector in rows:
        out[item_id] = (ref, json.loads(vector))
    return out


def items_with_embedding_info(store: Store, dataset_id: str) -> list[tuple[str, Any]]:
    """`(item id, embedding_info)` of items uploaded with an `embedding_info`."""
    with store.read() as conn:
        rows = conn.execute(
            "SELECT id, embedding_info FROM items WHERE dataset_id = ?"
            " AND embedding_info IS NOT NULL ORDER BY seq",
            (dataset_id,),
        ).fetchall()
    return [(r[0], json.loads(r[1])) for r in rows]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    if na == 0 or nb == 0:
        return 0.0
    return max(-1.0, min(1.0, dot / (na * nb)))


# -- indexes and settings ----------------------------------------------------------------


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


def put_index(
    store: Store,
    dataset_id: str,
    index_type: str,
    index_level: str,
    *,
    embedding_type: str,
    embedding_dimension: int,
    status: str,
) -> IndexRow:
    """Create or update the dataset's index of this type and level."""
    with store.transaction() as conn:
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
    found = get_index(store, dataset_id, index_type, index_level)
    assert found is not None
    return found


def _index_row(row: Sequence[Any]) -> IndexRow:
    return IndexRow(*row)


def get_index(store: Store, dataset_id: str, index_type: str, index_level: str) -> IndexRow | None:
    return store.fetch_one(
        _index_row,
        "SELECT id, dataset_id, index_type, index_level, embedding_type, embedding_dimension,"
        " status, created_at FROM embedding_indexes"
        " WHERE dataset_id = ? AND index_type = ? AND index_level = ?",
        (dataset_id, index_type, index_level),
    )


def list_indexes(store: Store, dataset_id: str) -> list[IndexRow]:
    return store.fetch_all(
        _index_row,
        "SELECT id, dataset_id, index_type, index_level, embedding_type, embedding_dimension,"
        " status, created_at FROM embedding_indexes WHERE dataset_id = ?"
        " ORDER BY created_at, rowid",
        (dataset_id,),
    )


def delete_index(store: Store, dataset_id: str, index_type: str, index_level: str) -> None:
    with store.transaction() as conn:
        conn.execute(
            "DELETE FROM embedding_indexes WHERE dataset_id = ? AND index_type = ?"
            " AND index_level = ?",
            (dataset_id, index_type, index_level),
        )


@dataclass(frozen=True)
class IndexingSettings:
    continuous: bool = False
    primary_image: str | None = None
    primary_object: str | None = None


def indexing_settings(store: Store, dataset_id: str) -> IndexingSettings:
    with store.read() as conn:
        row = conn.execute(
            "SELECT continuous, primary_image, primary_object FROM dataset_indexing"
            " WHERE dataset_id = ?",
            (dataset_id,),
        ).fetchone()
    return IndexingSettings() if row is None else IndexingSettings(bool(row[0]), row[1], row[2])


def update_indexing_settings(store: Store, dataset_id: str, **changes: Any) -> None:
    current = indexing_settings(store, dataset_id)
    merged = {**current.__dict__, **changes}
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO dataset_indexing (dataset_id, continuous, primary_image, primary_object)"
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


def primary_image_kind(store: Store, dataset_id: str) -> str:
    """The image index reads use: the chosen one, else custom when it has vectors."""
    chosen = indexing_settings(store, dataset_id).primary_image
    if chosen in (CUSTOM, INTERNAL):
        return chosen
    return CUSTOM if count_embeddings(store, dataset_id, CUSTOM) else INTERNAL


# -- autotags ----------------------------------------------------------------------------


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


def create_autotag(
    store: Store, dataset_id: str, name: str, level: str, positive_item_ids: Sequence[str]
) -> AutotagRow:
    autotag_id = new_id("tag")
    with store.transaction() as conn:
        conn.execute(
            f"INSERT INTO autotags ({_AUTOTAG_COLUMNS}) VALUES (?, ?, ?, 'started', ?, 1, 0, ?)",
            (autotag_id, dataset_id, name, level, now_iso()),
        )
        conn.executemany(
            "INSERT INTO autotag_items (autotag_id, item_id, positive) VALUES (?, ?, 1)",
            [(autotag_id, i) for i in dict.fromkeys(positive_item_ids)],
        )
    found = get_autotag(store, autotag_id)
    assert found is not None
    return found


def _autotag_row(row: Sequence[Any]) -> AutotagRow:
    return AutotagRow(*row)


def get_autotag(store: Store, autotag_id: str) -> AutotagRow | None:
    return store.fetch_one(
        _autotag_row, f"SELECT {_AUTOTAG_COLUMNS} FROM autotags WHERE id = ?", (autotag_id,)
    )


def autotag_by_name(store: Store, dataset_id: str, name: str) -> AutotagRow | None:
    return store.fetch_one(
        _autotag_row,
        f"SELECT {_AUTOTAG_COLUMNS} FROM autotags WHERE dataset_id = ? AND name = ?",
        (dataset_id, name),
    )


def list_autotags(store: Store, dataset_id: str) -> list[AutotagRow]:
    return store.fetch_all(
        _autotag_row,
        f"SELECT {_AUTOTAG_COLUMNS} FROM autotags WHERE dataset_id = ? ORDER BY created_at, rowid",
        (dataset_id,),
    )


def delete_autotag(store: Store, autotag_id: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM autotags WHERE id = ?", (autotag_id,))


def autotag_positives(store: Store, autotag_id: str) -> list[tuple[str, str]]:
    """`(item id, reference id)` of the autotag's positive training items."""
    with store.read() as conn:
        rows = conn.execute(
            "SELECT a.item_id, i.reference_id FROM autotag_items a JOIN items i ON i.id = a.item_id"
            " WHERE a.autotag_id = ? AND a.positive = 1 ORDER BY i.seq",
            (autotag_id,),
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


def set_autotag_scores(
    store: Store, autotag_id: str, scores: Sequence[tuple[str, float]], *, elapsed_ms: float
) -> None:
    """Replace every score of the autotag and mark it completed."""
    with store.transaction() as conn:
        conn.execute("UPDATE autotag_items SET score = NULL WHERE autotag_id = ?", (autotag_id,))
        conn.execute(
            "DELETE FROM autotag_items WHERE autotag_id = ? AND positive = 0", (autotag_id,)
        )
        conn.executemany(
            "INSERT INTO autotag_items (autotag_id, item_id, positive, score) VALUES (?, ?, 0, ?)"
            " ON CONFLICT(autotag_id, item_id) DO UPDATE SET score = excluded.score",
            [(autotag_id, item_id, score) for item_id, score in scores],
        )
        conn.execute(
            "UPDATE autotags SET status = 'completed', refinement_ms = ? WHERE id = ?",
            (elapsed_ms, autotag_id),
        )


def autotag_scores(store: Store, autotag_id: str) -> list[tuple[str, str, float]]:
    """`(item id, reference id, score)` of scored items, highest score first."""
    with store.read() as conn:
        rows = conn.execute(
            "SELECT a.item_id, i.reference_id, a.score FROM autotag_items a"
            " JOIN items i ON i.id = a.item_id WHERE a.autotag_id = ? AND a.score IS NOT NULL"
            " ORDER BY a.score DESC, i.seq",
            (autotag_id,),
        ).fetchall()
    return [(r[0], r[1], float(r[2])) for r in rows]
