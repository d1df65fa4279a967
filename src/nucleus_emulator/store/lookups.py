"""Bulk lookups by id or reference id, as chunked `IN (...)` queries on an open connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

#: SQLite's default limit of host parameters is 32766; stay far below it.
IN_CHUNK = 500


def chunks(values: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    """`values` in slices of at most `size` (one `IN (...)` list each)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def marks(chunk: Sequence[str]) -> str:
    """`?,?,…`: one placeholder per value of an `IN (...)` list."""
    return ",".join("?" * len(chunk))


def ids_by_ref(
    conn: sqlite3.Connection, table: str, dataset_id: str, refs: Sequence[str]
) -> dict[str, str]:
    """`{reference_id: id}` of the rows of `table` (`items` or `scenes`) that the refs name."""
    found: dict[str, str] = {}
    for chunk in chunks(list(dict.fromkeys(refs))):
        found.update(
            conn.execute(
                f"SELECT reference_id, id FROM {table}"
                f" WHERE dataset_id = ? AND reference_id IN ({marks(chunk)})",
                (dataset_id, *chunk),
            ).fetchall()
        )
    return found


def existing_ids(
    conn: sqlite3.Connection, table: str, dataset_id: str, ids: Sequence[str]
) -> set[str]:
    """The `ids` that name rows of `table` (`items` or `scenes`) in the dataset."""
    found: set[str] = set()
    for chunk in chunks(ids):
        found.update(
            r[0]
            for r in conn.execute(
                f"SELECT id FROM {table} WHERE dataset_id = ? AND id IN ({marks(chunk)})",
                (dataset_id, *chunk),
            )
        )
    return found
