"""Model runs: `RunRow` and `RunStore` over the `model_runs` table (predictions belong to one)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.models import ModelRow
from nucleus_emulator.store.values import dumps, new_id, now_iso

RUN_STARTED = "Started"
RUN_COMMITTED = "Committed"


@dataclass(frozen=True)
class RunRow:
    id: str
    owner: str
    model_id: str
    dataset_id: str
    name: str
    reference_id: str | None
    metadata: dict[str, Any]
    status: str
    created_at: str

    def info(self) -> dict[str, Any]:
        return {
            "model_run_id": self.id,
            "model_id": self.model_id,
            "dataset_id": self.dataset_id,
            "name": self.name,
            "status": self.status,
            "metadata": self.metadata,
        }


_RUN_COLUMNS = "id, owner, model_id, dataset_id, name, reference_id, metadata, status, created_at"
_FIRST_RUN = (
    f"SELECT {_RUN_COLUMNS} FROM model_runs WHERE dataset_id = ? AND model_id = ?"
    " ORDER BY seq LIMIT 1"
)


def _run(row: Sequence[Any]) -> RunRow:
    return RunRow(
        id=row[0],
        owner=row[1],
        model_id=row[2],
        dataset_id=row[3],
        name=row[4],
        reference_id=row[5],
        metadata=json.loads(row[6]),
        status=row[7],
        created_at=row[8],
    )


def _new_run(
    owner: str,
    model_id: str,
    dataset_id: str,
    name: str,
    reference_id: str | None,
    metadata: dict[str, Any],
) -> RunRow:
    return RunRow(
        id=new_id("run"),
        owner=owner,
        model_id=model_id,
        dataset_id=dataset_id,
        name=name,
        reference_id=reference_id,
        metadata=metadata,
        status=RUN_STARTED,
        created_at=now_iso(),
    )


def _insert_run(conn: sqlite3.Connection, run: RunRow) -> None:
    conn.execute(
        f"INSERT INTO model_runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run.id,
            run.owner,
            run.model_id,
            run.dataset_id,
            run.name,
            run.reference_id,
            dumps(run.metadata),
            run.status,
            run.created_at,
        ),
    )


class RunStore:
    """Runs of a model on a dataset; `upload_predictions` uses the first one of the pair."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def create(
        self,
        owner: str,
        model_id: str,
        dataset_id: str,
        *,
        name: str,
        reference_id: str | None,
        metadata: dict[str, Any],
    ) -> RunRow:
        run = _new_run(owner, model_id, dataset_id, name, reference_id, metadata)
        with self._db.transaction() as conn:
            _insert_run(conn, run)
        return run

    def get(self, run_id: str) -> RunRow | None:
        return self._db.fetch_one(
            _run, f"SELECT {_RUN_COLUMNS} FROM model_runs WHERE id = ?", (run_id,)
        )

    def first_for(self, dataset_id: str, model_id: str) -> RunRow | None:
        """The run `upload_predictions` uses for (dataset, model): the first one created."""
        return self._db.fetch_one(_run, _FIRST_RUN, (dataset_id, model_id))

    def first_for_or_create(self, owner: str, dataset_id: str, model: ModelRow) -> RunRow:
        """That run, created on first use (under the write lock, so uploads share one run)."""
        with self._db.transaction() as conn:
            row = conn.execute(_FIRST_RUN, (dataset_id, model.id)).fetchone()
            if row is not None:
                return _run(row)
            run = _new_run(owner, model.id, dataset_id, model.name, model.ref_id, {})
            _insert_run(conn, run)
        return run

    def ids_of_dataset(self, dataset_id: str) -> list[str]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id FROM model_runs WHERE dataset_id = ? ORDER BY seq", (dataset_id,)
            ).fetchall()
        return [r[0] for r in rows]

    def set_status(self, run_id: str, status: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("UPDATE model_runs SET status = ? WHERE id = ?", (status, run_id))

    def delete(self, run_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM model_runs WHERE id = ?", (run_id,))
