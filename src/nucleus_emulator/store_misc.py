"""Dataset tags over the `Store` connection (routes/misc.py; `dataset/{ds}/info` shows them)."""

from __future__ import annotations

from collections.abc import Sequence

from nucleus_emulator.store import Store


def dataset_tags(store: Store, dataset_id: str) -> list[str]:
    with store.read() as conn:
        rows = conn.execute(
            "SELECT tag FROM dataset_tags WHERE dataset_id = ? ORDER BY seq", (dataset_id,)
        ).fetchall()
    return [r[0] for r in rows]


def add_dataset_tags(store: Store, dataset_id: str, tags: Sequence[str]) -> None:
    """Add tags (already present ones are kept where they are)."""
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO dataset_tags (dataset_id, tag) VALUES (?, ?)",
            [(dataset_id, t) for t in tags],
        )


def remove_dataset_tags(store: Store, dataset_id: str, tags: Sequence[str]) -> None:
    """Remove tags (absent ones are ignored)."""
    with store.transaction() as conn:
        conn.executemany(
            "DELETE FROM dataset_tags WHERE dataset_id = ? AND tag = ?",
            [(dataset_id, t) for t in tags],
        )
