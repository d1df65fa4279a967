"""Taxonomies: `Taxonomy` and `TaxonomyStore` over the `taxonomies` table (labels per name)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from nucleus_emulator.store.annotation_input import CATEGORY_KINDS, AnnotationInput
from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.values import dumps, now_iso


@dataclass(frozen=True)
class Taxonomy:
    name: str
    type: str
    labels: list[str]

    def rejects(self, unit: AnnotationInput) -> str | None:
        """Why a category unit naming this taxonomy does not fit it (None: it fits)."""
        if self.type != unit.kind:
            return (
                f"Taxonomy {self.name} is of type {self.type},"
                f" not {unit.kind}, on item {unit.reference_id}"
            )
        labels = unit.payload.get("labels") if unit.kind == "multicategory" else [unit.label]
        allowed = set(self.labels)
        for label in labels or []:
            if label not in allowed:
                return (
                    f"Label {label} is not in taxonomy {self.name}"
                    f" (annotation on {unit.reference_id})"
                )
        return None


def taxonomy_error(unit: AnnotationInput, known: dict[str, Taxonomy]) -> str | None:
    """Why `unit` breaks a named, existing taxonomy; a null or unknown one is not validated."""
    if unit.kind not in CATEGORY_KINDS or unit.taxonomy_name is None:
        return None
    taxonomy = known.get(unit.taxonomy_name)
    return None if taxonomy is None else taxonomy.rejects(unit)


class TaxonomyStore:
    """Taxonomies of a dataset: created, extended (labels only grow) and deleted by name."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    @staticmethod
    def known_in(conn: sqlite3.Connection, dataset_id: str) -> dict[str, Taxonomy]:
        """`{name: Taxonomy}` of the dataset, inside the caller's transaction."""
        rows = conn.execute(
            "SELECT name, type, labels FROM taxonomies WHERE dataset_id = ?", (dataset_id,)
        )
        return {r[0]: Taxonomy(r[0], r[1], json.loads(r[2])) for r in rows}

    def add(self, dataset_id: str, name: str, kind: str, labels: list[str], update: bool) -> str:
        """Create or extend a taxonomy; returns the service's status string."""
        with self._db.transaction() as conn:
            existing = self.known_in(conn, dataset_id).get(name)
            if existing is None:
                conn.execute(
                    "INSERT INTO taxonomies (dataset_id, name, type, labels, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (dataset_id, name, kind, dumps(list(dict.fromkeys(labels))), now_iso()),
                )
                return "Taxonomy created"
            if not update:
                return "Taxonomy already exists"
            # Labels can only be appended on update, never removed.
            merged = list(dict.fromkeys([*existing.labels, *labels]))
            conn.execute(
                "UPDATE taxonomies SET labels = ? WHERE dataset_id = ? AND name = ?",
                (dumps(merged), dataset_id, name),
            )
            return "Taxonomy updated"

    def type_of(self, dataset_id: str, name: str) -> str | None:
        """The taxonomy's type (`category`/`multicategory`), None if there is none."""
        with self._db.read() as conn:
            found = self.known_in(conn, dataset_id).get(name)
        return None if found is None else found.type

    def delete(self, dataset_id: str, name: str) -> bool:
        """Delete a taxonomy and every annotation and prediction that uses it."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM taxonomies WHERE dataset_id = ? AND name = ?", (dataset_id, name)
            )
            if cursor.rowcount == 0:
                return False
            conn.execute(
                "DELETE FROM annotations WHERE dataset_id = ? AND taxonomy_name = ?",
                (dataset_id, name),
            )
        return True
