"""Signed-url uploads: `UploadRow` and the `uploads` table (a `Store` base class)."""

from __future__ import annotations

from dataclasses import dataclass

from nucleus_emulator.store_connection import StoreConnection
from nucleus_emulator.store_values import now_iso


@dataclass(frozen=True)
class UploadRow:
    request_id: str
    owner: str
    dataset_id: str
    blob: str | None


class UploadAccess(StoreConnection):
    """Upload requests by id, and the blob each one received."""

    def create_upload(self, request_id: str, owner: str, dataset_id: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO uploads (request_id, owner, dataset_id, blob, created_at)"
                " VALUES (?, ?, ?, NULL, ?)"
                " ON CONFLICT(request_id) DO UPDATE SET owner = excluded.owner,"
                " dataset_id = excluded.dataset_id",
                (request_id, owner, dataset_id, now_iso()),
            )

    def get_upload(self, request_id: str) -> UploadRow | None:
        with self.read() as conn:
            row = conn.execute(
                "SELECT request_id, owner, dataset_id, blob FROM uploads WHERE request_id = ?",
                (request_id,),
            ).fetchone()
        return None if row is None else UploadRow(row[0], row[1], row[2], row[3])

    def set_upload_blob(self, request_id: str, blob: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE uploads SET blob = ? WHERE request_id = ?", (blob, request_id))
