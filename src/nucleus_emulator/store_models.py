"""Models and model runs: data access on the `models` and `model_runs` tables."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store import Store, new_id, now_iso
from nucleus_emulator.store_annotations import dumps

RUN_STARTED = "Started"
RUN_COMMITTED = "Committed"


@dataclass(frozen=True)
class ModelRow:
    id: str
    owner: str
    name: str
    ref_id: str
    metadata: dict[str, Any]
    bundle_name: str | None
    tags: list[str]
    trained_slice_ids: list[str]

    def to_json(self) -> dict[str, Any]:
        """Model JSON (reference 3.10)."""
        return {
            "id": self.id,
            "name": self.name,
            "ref_id": self.ref_id,
            "metadata": self.metadata,
            "tags": self.tags,
            "trained_slice_ids": self.trained_slice_ids,
        }


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


_MODEL_COLUMNS = "id, owner, name, ref_id, metadata, bundle_name, tags, trained_slice_ids"
_RUN_COLUMNS = "id, owner, model_id, dataset_id, name, reference_id, metadata, status, created_at"


def _model(row: sqlite3.Row | tuple[Any, ...]) -> ModelRow:
    return ModelRow(
        id=row[0],
        owner=row[1],
        name=row[2],
        ref_id=row[3],
        metadata=json.loads(row[4]),
        bundle_name=row[5],
        tags=json.loads(row[6]),
        trained_slice_ids=json.loads(row[7]),
    )


def _run(row: sqlite3.Row | tuple[Any, ...]) -> RunRow:
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


# -- models -------------------------------------------------------------------------------


def create_model(
    store: Store,
    owner: str,
    name: str,
    ref_id: str,
    *,
    metadata: dict[str, Any],
    bundle_name: str | None,
    tags: list[str],
    trained_slice_ids: list[str],
) -> ModelRow:
    row = ModelRow(
        id=new_id("prj"),
        owner=owner,
        name=name,
        ref_id=ref_id,
        metadata=metadata,
        bundle_name=bundle_name,
        tags=list(dict.fromkeys(tags)),
        trained_slice_ids=list(dict.fromkeys(trained_slice_ids)),
    )
    with store.transaction() as conn:
        conn.execute(
            f"INSERT INTO models ({_MODEL_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                owner,
                name,
                ref_id,
                dumps(metadata),
                bundle_name,
                dumps(row.tags),
                dumps(row.trained_slice_ids),
                now_iso(),
            ),
        )
    return row


def get_model(store: Store, model_id: str) -> ModelRow | None:
    return store.fetch_one(_model, f"SELECT {_MODEL_COLUMNS} FROM models WHERE id = ?", (model_id,))


def model_by_ref(store: Store, owner: str, ref_id: str) -> ModelRow | None:
    """The most recently created model of `owner` with that reference id."""
    return store.fetch_one(
        _model,
        f"SELECT {_MODEL_COLUMNS} FROM models WHERE owner = ? AND ref_id = ?"
        " ORDER BY seq DESC LIMIT 1",
        (owner, ref_id),
    )


def list_models(store: Store, owner: str) -> list[ModelRow]:
    return store.fetch_all(
        _model, f"SELECT {_MODEL_COLUMNS} FROM models WHERE owner = ? ORDER BY seq", (owner,)
    )


def delete_model(store: Store, model_id: str) -> None:
    """Delete a model, its runs and their predictions (foreign keys cascade)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM models WHERE id = ?", (model_id,))


def set_model_list(store: Store, model_id: str, column: str, values: list[str]) -> None:
    if column not in ("tags", "trained_slice_ids"):
        raise ValueError(column)
    with store.transaction() as conn:
        conn.execute(f"UPDATE models SET {column} = ? WHERE id = ?", (dumps(values), model_id))


# -- runs ---------------------------------------------------------------------------------


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


def create_run(
    store: Store,
    owner: str,
    model_id: str,
    dataset_id: str,
    *,
    name: str,
    reference_id: str | None,
    metadata: dict[str, Any],
) -> RunRow:
    run = _new_run(owner, model_id, dataset_id, name, reference_id, metadata)
    with store.transaction() as conn:
        _insert_run(conn, run)
    return run


def get_run(store: Store, run_id: str) -> RunRow | None:
    return store.fetch_one(_run, f"SELECT {_RUN_COLUMNS} FROM model_runs WHERE id = ?", (run_id,))


_RUN_FOR = (
    f"SELECT {_RUN_COLUMNS} FROM model_runs WHERE dataset_id = ? AND model_id = ?"
    " ORDER BY seq LIMIT 1"
)


def run_for(store: Store, dataset_id: str, model_id: str) -> RunRow | None:
    """The run `upload_predictions` uses for (dataset, model): the first one created."""
    return store.fetch_one(_run, _RUN_FOR, (dataset_id, model_id))


def run_for_or_create(store: Store, owner: str, dataset_id: str, model: ModelRow) -> RunRow:
    """That run, created on first use (under the write lock, so uploads share one run)."""
    with store.transaction() as conn:
        row = conn.execute(_RUN_FOR, (dataset_id, model.id)).fetchone()
        if row is not None:
            return _run(row)
        run = _new_run(owner, model.id, dataset_id, model.name, model.ref_id, {})
        _insert_run(conn, run)
    return run


def run_ids_of_dataset(store: Store, dataset_id: str) -> list[str]:
    with store.read() as conn:
        rows = conn.execute(
            "SELECT id FROM model_runs WHERE dataset_id = ? ORDER BY seq", (dataset_id,)
        ).fetchall()
    return [r[0] for r in rows]


def set_run_status(store: Store, run_id: str, status: str) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE model_runs SET status = ? WHERE id = ?", (status, run_id))


def delete_run(store: Store, run_id: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM model_runs WHERE id = ?", (run_id,))
