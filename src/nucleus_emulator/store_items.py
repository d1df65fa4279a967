"""Dataset items: `ItemInput`/`ItemRow`, bulk append, reads, metadata merges (a `Store` base)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store_connection import StoreConnection
from nucleus_emulator.store_values import _chunks, _dumps, new_ids


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 6x (one per unit)
class ItemInput:
    """A validated item payload ready to insert or update."""

    reference_id: str
    image_url: str | None
    pointcloud_url: str | None
    metadata: dict[str, Any]
    width: int | None = None
    height: int | None = None
    embedding_info: Any = None
    blob: str | None = None


@dataclass(frozen=True)
class ItemRow:
    seq: int
    id: str
    dataset_id: str
    reference_id: str
    image_url: str | None
    pointcloud_url: str | None
    metadata: dict[str, Any]
    width: int | None
    height: int | None
    blob: str | None

    def to_json(self) -> dict[str, Any]:
        """The item JSON of the service: locations verbatim, ids under both names."""
        out: dict[str, Any] = {"id": self.id, "dataset_item_id": self.id}
        out["reference_id"] = self.reference_id
        if self.image_url is not None:
            out["image_url"] = self.image_url
        if self.pointcloud_url is not None:
            out["pointcloud_url"] = self.pointcloud_url
        out["metadata"] = self.metadata
        if self.width is not None:
            out["width"] = self.width
        if self.height is not None:
            out["height"] = self.height
        return out


@dataclass
class AppendCounts:
    new_items: int = 0
    updated_items: int = 0
    ignored_items: int = 0


_ITEM_COLUMNS = (
    "seq, id, dataset_id, reference_id, image_url, pointcloud_url, metadata, width, height, blob"
)


_INSERT_ITEM = (
    "INSERT INTO items (id, dataset_id, reference_id, image_url, pointcloud_url, metadata, width,"
    " height, embedding_info, blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_IF_NEW = " ON CONFLICT (dataset_id, reference_id) DO NOTHING"


def _item(row: sqlite3.Row) -> ItemRow:
    return ItemRow(
        seq=row[0],
        id=row[1],
        dataset_id=row[2],
        reference_id=row[3],
        image_url=row[4],
        pointcloud_url=row[5],
        metadata=json.loads(row[6]),
        width=row[7],
        height=row[8],
        blob=row[9],
    )


class ItemAccess(StoreConnection):
    """Items of a dataset, in insertion order (`seq`), unique by reference id."""

    def count_items(self, dataset_id: str) -> int:
        with self.read() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM items WHERE dataset_id = ?", (dataset_id,)
            ).fetchone()
        return int(count)

    def append_items(
        self, dataset_id: str, items: Sequence[ItemInput], *, update: bool
    ) -> AppendCounts:
        """Insert new reference ids; existing ones are updated when `update`, else ignored."""
        counts = AppendCounts()
        # (id, dataset, ref, image, pointcloud, metadata, width, height, embedding, blob),
        # encoded before the lock is taken.
        rows = [
            (
                new,
                dataset_id,
                item.reference_id,
                item.image_url,
                item.pointcloud_url,
                _dumps(item.metadata),
                item.width,
                item.height,
                None if item.embedding_info is None else _dumps(item.embedding_info),
                item.blob,
            )
            for new, item in zip(new_ids("di", len(items)), items, strict=True)
        ]
        with self.transaction() as conn:
            if not update:
                # The unique (dataset_id, reference_id) index skips known ids, and ids repeated
                # in the batch after their first occurrence: `rowcount` counts the new ones.
                stored = conn.executemany(_INSERT_ITEM + _IF_NEW, rows).rowcount if rows else 0
                counts.new_items = stored
                counts.ignored_items = len(rows) - stored
                return counts
            existing = self._existing_refs(conn, dataset_id, [i.reference_id for i in items])
            inserts: list[tuple[Any, ...]] = []
            updates: list[tuple[Any, ...]] = []
            for row in rows:
                ref = row[2]
                if ref in existing:
                    updates.append((*row[3:], dataset_id, ref))
                    counts.updated_items += 1
                    continue
                existing.add(ref)
                inserts.append(row)
                counts.new_items += 1
            if inserts:
                conn.executemany(_INSERT_ITEM, inserts)
            if updates:
                conn.executemany(
                    "UPDATE items SET image_url = ?, pointcloud_url = ?, metadata = ?, width = ?,"
                    " height = ?, embedding_info = ?, blob = ?"
                    " WHERE dataset_id = ? AND reference_id = ?",
                    updates,
                )
        return counts

    @staticmethod
    def _existing_refs(conn: sqlite3.Connection, dataset_id: str, refs: Sequence[str]) -> set[str]:
        found: set[str] = set()
        unique = list(dict.fromkeys(refs))
        for chunk in _chunks(unique):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT reference_id FROM items"
                f" WHERE dataset_id = ? AND reference_id IN ({marks})",
                (dataset_id, *chunk),
            )
            found.update(r[0] for r in rows)
        return found

    def item_by_ref(self, dataset_id: str, reference_id: str) -> ItemRow | None:
        return self._one_item("dataset_id = ? AND reference_id = ?", (dataset_id, reference_id))

    def item_by_id(self, dataset_id: str, item_id: str) -> ItemRow | None:
        return self._one_item("dataset_id = ? AND id = ?", (dataset_id, item_id))

    def item_by_index(self, dataset_id: str, index: int) -> ItemRow | None:
        return self.fetch_one(
            _item,
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE dataset_id = ? ORDER BY seq LIMIT 1 OFFSET ?",
            (dataset_id, index),
        )

    def _one_item(self, where: str, args: tuple[Any, ...]) -> ItemRow | None:
        return self.fetch_one(_item, f"SELECT {_ITEM_COLUMNS} FROM items WHERE {where}", args)

    def items_page(self, dataset_id: str, after_seq: int, limit: int) -> list[ItemRow]:
        """Up to `limit` items after insertion position `after_seq`, in insertion order."""
        return self.fetch_all(
            _item,
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE dataset_id = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (dataset_id, after_seq, limit),
        )

    def all_items(self, dataset_id: str) -> list[ItemRow]:
        return self.fetch_all(
            _item,
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE dataset_id = ? ORDER BY seq",
            (dataset_id,),
        )

    def delete_item(self, dataset_id: str, reference_id: str) -> bool:
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM items WHERE dataset_id = ? AND reference_id = ?",
                (dataset_id, reference_id),
            )
        return cursor.rowcount > 0

    def merge_item_metadata(
        self, dataset_id: str, updates: Iterable[tuple[str, dict[str, Any]]]
    ) -> tuple[list[str], list[str]]:
        """Merge each mapping into the item's metadata; returns (updated refs, missing refs)."""
        merged: dict[str, dict[str, Any]] = {}
        for ref, meta in updates:
            merged.setdefault(ref, {}).update(meta)
        updated: list[str] = []
        missing: list[str] = []
        with self.transaction() as conn:
            current: dict[str, dict[str, Any]] = {}
            refs = list(merged)
            for chunk in _chunks(refs):
                marks = ",".join("?" * len(chunk))
                for ref, text in conn.execute(
                    "SELECT reference_id, metadata FROM items"
                    f" WHERE dataset_id = ? AND reference_id IN ({marks})",
                    (dataset_id, *chunk),
                ):
                    current[ref] = json.loads(text)
            rows: list[tuple[str, str, str]] = []
            for ref in refs:
                if ref not in current:
                    missing.append(ref)
                    continue
                meta = current[ref]
                meta.update(merged[ref])
                rows.append((_dumps(meta), dataset_id, ref))
                updated.append(ref)
            conn.executemany(
                "UPDATE items SET metadata = ? WHERE dataset_id = ? AND reference_id = ?", rows
            )
        return updated, missing
