"""Models: `ModelRow` and `ModelStore` over the `models` table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.values import dumps, new_id, now_iso


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


_MODEL_COLUMNS = "id, owner, name, ref_id, metadata, bundle_name, tags, trained_slice_ids"


def _model(row: Sequence[Any]) -> ModelRow:
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


class ModelStore:
    """Models of an owner (deleting one deletes its runs and their predictions)."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def create(
        self,
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
        with self._db.transaction() as conn:
            conn.execute(
                f"INSERT INTO models ({_MODEL_COLUMNS}, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

    def get(self, model_id: str) -> ModelRow | None:
        return self._db.fetch_one(
            _model, f"SELECT {_MODEL_COLUMNS} FROM models WHERE id = ?", (model_id,)
        )

    def newest_by_ref(self, owner: str, ref_id: str) -> ModelRow | None:
        """The most recently created model of `owner` with that reference id."""
        return self._db.fetch_one(
            _model,
            f"SELECT {_MODEL_COLUMNS} FROM models WHERE owner = ? AND ref_id = ?"
            " ORDER BY seq DESC LIMIT 1",
            (owner, ref_id),
        )

    def owned_by(self, owner: str) -> list[ModelRow]:
        """The models of `owner`, oldest first."""
        return self._db.fetch_all(
            _model, f"SELECT {_MODEL_COLUMNS} FROM models WHERE owner = ? ORDER BY seq", (owner,)
        )

    def delete(self, model_id: str) -> None:
        """Delete a model, its runs and their predictions (foreign keys cascade)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM models WHERE id = ?", (model_id,))

    def set_tags(self, model_id: str, tags: list[str]) -> None:
        self._set_list(model_id, "tags", tags)

    def set_trained_slice_ids(self, model_id: str, slice_ids: list[str]) -> None:
        self._set_list(model_id, "trained_slice_ids", slice_ids)

    def _set_list(self, model_id: str, column: str, values: list[str]) -> None:
        with self._db.transaction() as conn:
            conn.execute(f"UPDATE models SET {column} = ? WHERE id = ?", (dumps(values), model_id))
