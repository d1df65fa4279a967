"""Signed-url uploads: `UploadRow` and `UploadStore` over the `uploads` table."""

from __future__ import annotations

from dataclasses import dataclass

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.values import now_iso


@dataclass(frozen=True)
class UploadRow:
    request_id: str
    owner: str
    dataset_id: str
    blob: str | None


class UploadStore:
    """Upload requests by id, and the blob each one received."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def create(self, request_id: str, owner: str, dataset_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO uploads (request_id, owner, dataset_id, blob, created_at)"
                " VALUES (?, ?, ?, NULL, ?)"
                " ON CONFLICT(request_id) DO UPDATE SET owner = excluded.owner,"
                " dataset_id = excluded.dataset_id",
                (request_id, owner, dataset_id, now_iso()),
            )

    def get(self, request_id: str) -> UploadRow | None:
        return self._db.fetch_one(
            lambda row: UploadRow(row[0], row[1], row[2], row[3]),
            "SELECT request_id, owner, dataset_id, blob FROM uploads WHERE request_id = ?",
            (request_id,),
        )

    def set_blob(self, request_id: str, blob: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("UPDATE uploads SET blob = ? WHERE request_id = ?", (blob, request_id))
