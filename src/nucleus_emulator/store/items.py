"""Dataset items: `ItemInput`/`ItemRow` and `ItemStore` over the `items` table."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.lookups import chunks, existing_ids, ids_by_ref, marks
from nucleus_emulator.store.values import dumps, new_ids


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


#: The columns `item_row` maps, in its order.
ITEM_COLUMNS = (
    "seq, id, dataset_id, reference_id, image_url, pointcloud_url, metadata, width, height, blob"
)
#: The same columns qualified with the `i` alias (for joins).
ITEM_COLUMNS_I = ", ".join("i." + c.strip() for c in ITEM_COLUMNS.split(","))


_INSERT_ITEM = (
    "INSERT INTO items (id, dataset_id, reference_id, image_url, pointcloud_url, metadata, width,"
    " height, embedding_info, blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_IF_NEW = " ON CONFLICT (dataset_id, reference_id) DO NOTHING"


def item_row(row: Sequence[Any]) -> ItemRow:
    """The `ItemRow` of a row read as `ITEM_COLUMNS`."""
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


class ItemStore:
    """Items of a dataset, in insertion order (`seq`), unique by reference id."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def count(self, dataset_id: str) -> int:
        with self._db.read() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM items WHERE dataset_id = ?", (dataset_id,)
            ).fetchone()
        return int(count)

    def append(self, dataset_id: str, items: Sequence[ItemInput], *, update: bool) -> AppendCounts:
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
                dumps(item.metadata),
                item.width,
                item.height,
                None if item.embedding_info is None else dumps(item.embedding_info),
                item.blob,
            )
            for new, item in zip(new_ids("di", len(items)), items, strict=True)
        ]
        with self._db.transaction() as conn:
            if not update:
                # The unique (dataset_id, reference_id) index skips known ids, and ids repeated
                # in the batch after their first occurrence: `rowcount` counts the new ones.
                stored = conn.executemany(_INSERT_ITEM + _IF_NEW, rows).rowcount if rows else 0
                counts.new_items = stored
                counts.ignored_items = len(rows) - stored
                return counts
            existing = set(ids_by_ref(conn, "items", dataset_id, [i.reference_id for i in items]))
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

    def by_ref(self, dataset_id: str, reference_id: str) -> ItemRow | None:
        return self._one("dataset_id = ? AND reference_id = ?", (dataset_id, reference_id))

    def by_id(self, dataset_id: str, item_id: str) -> ItemRow | None:
        return self._one("dataset_id = ? AND id = ?", (dataset_id, item_id))

    def at_index(self, dataset_id: str, index: int) -> ItemRow | None:
        """The item at insertion position `index` (0-based)."""
        return self._db.fetch_one(
            item_row,
            f"SELECT {ITEM_COLUMNS} FROM items WHERE dataset_id = ? ORDER BY seq LIMIT 1 OFFSET ?",
            (dataset_id, index),
        )

    def _one(self, where: str, args: tuple[Any, ...]) -> ItemRow | None:
        return self._db.fetch_one(item_row, f"SELECT {ITEM_COLUMNS} FROM items WHERE {where}", args)

    def page(self, dataset_id: str, after_seq: int, limit: int) -> list[ItemRow]:
        """Up to `limit` items after insertion position `after_seq`, in insertion order."""
        return self._db.fetch_all(
            item_row,
            f"SELECT {ITEM_COLUMNS} FROM items WHERE dataset_id = ? AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (dataset_id, after_seq, limit),
        )

    def in_dataset(self, dataset_id: str) -> list[ItemRow]:
        """Every item of the dataset, in insertion order."""
        return self._db.fetch_all(
            item_row,
            f"SELECT {ITEM_COLUMNS} FROM items WHERE dataset_id = ? ORDER BY seq",
            (dataset_id,),
        )

    def delete(self, dataset_id: str, reference_id: str) -> bool:
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM items WHERE dataset_id = ? AND reference_id = ?",
                (dataset_id, reference_id),
            )
        return cursor.rowcount > 0

    def merge_metadata(
        self, dataset_id: str, updates: Iterable[tuple[str, dict[str, Any]]]
    ) -> tuple[list[str], list[str]]:
        """Merge each mapping into the item's metadata; returns (updated refs, missing refs)."""
        merged: dict[str, dict[str, Any]] = {}
        for ref, meta in updates:
            merged.setdefault(ref, {}).update(meta)
        updated: list[str] = []
        missing: list[str] = []
        with self._db.transaction() as conn:
            current: dict[str, dict[str, Any]] = {}
            refs = list(merged)
            for chunk in chunks(refs):
                for ref, text in conn.execute(
                    "SELECT reference_id, metadata FROM items"
                    f" WHERE dataset_id = ? AND reference_id IN ({marks(chunk)})",
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
                rows.append((dumps(meta), dataset_id, ref))
                updated.append(ref)
            conn.executemany(
                "UPDATE items SET metadata = ? WHERE dataset_id = ? AND reference_id = ?", rows
            )
        return updated, missing

    def ids_by_refs(self, dataset_id: str, refs: Sequence[str]) -> dict[str, str]:
        """`{reference_id: item id}` for the refs that name items of the dataset."""
        with self._db.read() as conn:
            return ids_by_ref(conn, "items", dataset_id, refs)

    def existing_ids(self, dataset_id: str, ids: Sequence[str]) -> set[str]:
        """The `ids` that name items of the dataset."""
        with self._db.read() as conn:
            return existing_ids(conn, "items", dataset_id, ids)

    def embedding_infos(self, dataset_id: str) -> list[tuple[str, Any]]:
        """`(item id, embedding_info)` of items uploaded with an `embedding_info`."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, embedding_info FROM items WHERE dataset_id = ?"
                " AND embedding_info IS NOT NULL ORDER BY seq",
                (dataset_id,),
            ).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]
