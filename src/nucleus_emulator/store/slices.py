"""Slices: `SliceRow` and `SliceStore` over `slices` and `slice_members` (items or scenes).

Members are kept in insertion order (`slice_members.seq`, which pages resume after); a member
row disappears with its item or scene (foreign keys cascade).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.items import ITEM_COLUMNS_I, ItemRow, item_row
from nucleus_emulator.store.values import dumps, new_id, now_iso

DATASET_ITEM = "dataset_item"
OBJECT = "object"
SCENE = "scene"
SLICE_TYPES = (DATASET_ITEM, OBJECT, SCENE)

_SLICE_COLUMNS = "seq, id, dataset_id, name, type, description, tags, created_at"


@dataclass(frozen=True)
class SliceRow:
    seq: int
    id: str
    dataset_id: str
    name: str
    type: str
    description: str | None
    tags: list[str]
    created_at: str


def _slice(row: Sequence[Any]) -> SliceRow:
    return SliceRow(
        seq=row[0],
        id=row[1],
        dataset_id=row[2],
        name=row[3],
        type=row[4],
        description=row[5],
        tags=json.loads(row[6]),
        created_at=row[7],
    )


class SliceStore:
    """Slices of a dataset and their members, in insertion order."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def create(
        self,
        dataset_id: str,
        name: str,
        slice_type: str,
        *,
        item_ids: Sequence[str] = (),
        scene_ids: Sequence[str] = (),
    ) -> SliceRow:
        row = SliceRow(
            seq=0,
            id=new_id("slc"),
            dataset_id=dataset_id,
            name=name,
            type=slice_type,
            description=None,
            tags=[],
            created_at=now_iso(),
        )
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO slices (id, dataset_id, name, type, description, tags, created_at)"
                " VALUES (?, ?, ?, ?, NULL, '[]', ?)",
                (row.id, dataset_id, name, slice_type, row.created_at),
            )
            _add_members(conn, row.id, item_ids, scene_ids)
        assert cursor.lastrowid is not None
        return SliceRow(**{**row.__dict__, "seq": cursor.lastrowid})

    def add_members(
        self, slice_id: str, *, item_ids: Sequence[str] = (), scene_ids: Sequence[str] = ()
    ) -> list[str]:
        """Add members (already-present ones are skipped); returns the ids newly added."""
        with self._db.transaction() as conn:
            present = {
                r[0]
                for r in conn.execute(
                    "SELECT COALESCE(item_id, scene_id) FROM slice_members WHERE slice_id = ?",
                    (slice_id,),
                )
            }
            fresh = [i for i in dict.fromkeys([*item_ids, *scene_ids]) if i not in present]
            _add_members(conn, slice_id, item_ids, scene_ids)
        return fresh

    def get(self, slice_id: str) -> SliceRow | None:
        return self._db.fetch_one(
            _slice, f"SELECT {_SLICE_COLUMNS} FROM slices WHERE id = ?", (slice_id,)
        )

    def find(self, *, owner: str | None = None, dataset_id: str | None = None) -> list[SliceRow]:
        """Slices of a dataset, or of every dataset of `owner`, oldest first."""
        where: list[str] = []
        args: list[Any] = []
        if dataset_id is not None:
            where.append("s.dataset_id = ?")
            args.append(dataset_id)
        if owner is not None:
            where.append("d.owner = ?")
            args.append(owner)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        columns = ", ".join("s." + c.strip() for c in _SLICE_COLUMNS.split(","))
        return self._db.fetch_all(
            _slice,
            f"SELECT {columns} FROM slices s JOIN datasets d ON d.id = s.dataset_id {clause}"
            " ORDER BY s.seq",
            args,
        )

    def ids_of_dataset(self, dataset_id: str) -> list[str]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id FROM slices WHERE dataset_id = ? ORDER BY seq", (dataset_id,)
            ).fetchall()
        return [r[0] for r in rows]

    def delete(self, slice_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM slices WHERE id = ?", (slice_id,))

    def set_tags(self, slice_id: str, tags: list[str]) -> None:
        with self._db.transaction() as conn:
            conn.execute("UPDATE slices SET tags = ? WHERE id = ?", (dumps(tags), slice_id))

    def item_members_page(
        self, slice_id: str, after_seq: int, limit: int
    ) -> list[tuple[int, ItemRow]]:
        """`(member seq, item)` of item members after `after_seq`, in slice order."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT m.seq, {ITEM_COLUMNS_I} FROM slice_members m"
                " JOIN items i ON i.id = m.item_id"
                " WHERE m.slice_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
                (slice_id, after_seq, limit),
            ).fetchall()
        return [(r[0], item_row(r[1:])) for r in rows]

    def scene_members_page(
        self, slice_id: str, after_seq: int, limit: int
    ) -> list[tuple[int, str]]:
        """`(member seq, scene id)` of scene members after `after_seq`, in slice order."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT seq, scene_id FROM slice_members WHERE slice_id = ? AND seq > ?"
                " AND scene_id IS NOT NULL ORDER BY seq LIMIT ?",
                (slice_id, after_seq, limit),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def member_items(self, slice_id: str) -> list[ItemRow]:
        """Every item of the slice: item members, then the items of scene members (frame order)."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {ITEM_COLUMNS_I} FROM slice_members m JOIN items i ON i.id = m.item_id"
                " WHERE m.slice_id = ? ORDER BY m.seq",
                (slice_id,),
            ).fetchall()
            scene_rows = conn.execute(
                f"SELECT {ITEM_COLUMNS_I} FROM slice_members m"
                " JOIN scene_frames f ON f.scene_id = m.scene_id JOIN items i ON i.id = f.item_id"
                " WHERE m.slice_id = ? ORDER BY m.seq, f.frame_index, f.rowid",
                (slice_id,),
            ).fetchall()
        return [item_row(r) for r in rows] + [item_row(r) for r in scene_rows]


def _add_members(
    conn: sqlite3.Connection, slice_id: str, item_ids: Sequence[str], scene_ids: Sequence[str]
) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO slice_members (slice_id, item_id) VALUES (?, ?)",
        [(slice_id, i) for i in dict.fromkeys(item_ids)],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO slice_members (slice_id, scene_id) VALUES (?, ?)",
        [(slice_id, s) for s in dict.fromkeys(scene_ids)],
    )
