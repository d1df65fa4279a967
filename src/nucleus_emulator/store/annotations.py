"""Annotations and predictions: `AnnotationStore` over the `annotations` table, and read shapes.

Ground truth and predictions share the `annotations` table: `scope` is `''` for ground truth and
the model-run id for predictions. A unit belongs to an item (`item_id`) or, for scene-level
category annotations, to a scene (`scene_id`); `target` holds whichever id it is, so
`UNIQUE(scope, target, identity)` enforces the service's identity rules (see `identity_of`).
Payloads are stored verbatim (compact JSON) and read back exactly as sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nucleus_emulator.store.annotation_input import CATEGORY_KINDS, AnnotationInput
from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.lookups import chunks, ids_by_ref, marks
from nucleus_emulator.store.scenes import SceneStore
from nucleus_emulator.store.taxonomies import TaxonomyStore, taxonomy_error
from nucleus_emulator.store.values import dumps, new_ids

#: Order in which the client converts annotation types (also our read order).
ANNOTATION_KINDS = (
    "box",
    "line",
    "polygon",
    "keypoints",
    "segmentation",
    "cuboid",
    "category",
    "multicategory",
)
#: Keys of predictions-by-type answers (`multicategory` would make the client raise KeyError).
PREDICTION_KINDS = ("box", "line", "polygon", "cuboid", "category", "keypoints", "segmentation")
#: List keys every export row carries (`segmentation` is a single object or null).
EXPORT_LIST_KINDS = ("box", "polygon", "line", "keypoints", "cuboid", "category", "multicategory")
GROUND_TRUTH = ""


def error_text(payload: Any, message: str) -> str:
    """A per-unit error as the service reports it: compact JSON with the ids and `error`."""
    unit: dict[str, Any] = {}
    if isinstance(payload, dict):
        ref = payload.get("reference_id")
        if ref is not None:
            unit["referenceId"] = ref
        ann = payload.get("annotation_id")
        if ann is not None:
            unit["annotationId"] = ann
    return dumps({**unit, "error": message})


@dataclass
class UploadResult:
    processed: int = 0
    ignored: int = 0
    errors: list[str] = field(default_factory=list)
    #: processed/ignored/errored per kind group: "segmentation" or "other".
    by_group: dict[str, list[int]] = field(default_factory=dict)

    def count(self, unit_kind: str | None, slot: int) -> None:
        group = "segmentation" if unit_kind == "segmentation" else "other"
        self.by_group.setdefault(group, [0, 0, 0])[slot] += 1


@dataclass(frozen=True)
class StoredUnit:
    item_id: str | None
    kind: str
    task_id: str | None
    payload: dict[str, Any]


def _units(rows: Iterable[Sequence[Any]]) -> list[StoredUnit]:
    return [StoredUnit(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


_UNIT_COLUMNS = "item_id, kind, task_id, payload"
_INSERT = (
    "INSERT INTO annotations (id, dataset_id, scope, run_id, item_id, scene_id, target, kind,"
    " identity, annotation_id, label, taxonomy_name, track_reference_id, task_id, blob, payload)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (scope, target, identity) DO "
)
_INSERT_NEW = _INSERT + "NOTHING"
_UPSERT = _INSERT + (
    "UPDATE SET kind = excluded.kind, annotation_id = excluded.annotation_id,"
    " label = excluded.label, taxonomy_name = excluded.taxonomy_name,"
    " track_reference_id = excluded.track_reference_id, task_id = excluded.task_id,"
    " blob = excluded.blob, payload = excluded.payload"
)


class AnnotationStore:
    """Units of ground truth (scope `''`) and of model runs: bulk upload, reads, deletion.

    Scene-level category annotations name a scene's reference id: `scenes` resolves it.
    """

    def __init__(
        self, db: StoreConnection, *, scenes: SceneStore, taxonomies: TaxonomyStore
    ) -> None:
        self._db = db
        self._scenes = scenes
        self._taxonomies = taxonomies

    def upload(
        self,
        dataset_id: str,
        units: Sequence[AnnotationInput | tuple[Any, str]],
        *,
        update: bool,
        run_id: str | None = None,
    ) -> UploadResult:
        """Store validated units (invalid ones are `(payload, reason)`) in one transaction.

        Unknown reference ids become errors; an existing identity is ignored, or replaced in
        place when `update` (the unit keeps its position); counts follow section 5.2 of the
        reference.
        """
        result = UploadResult()
        scope = run_id or GROUND_TRUTH
        # Payloads are encoded before the lock is taken (another upload may be storing meanwhile).
        valid: list[tuple[int, AnnotationInput, str]] = []
        errors: list[tuple[int, str]] = []  # reported in input order
        for position, unit in enumerate(units):
            if isinstance(unit, AnnotationInput):
                valid.append((position, unit, dumps(unit.payload)))
            else:
                payload, reason = unit
                errors.append((position, error_text(payload, reason)))
                result.count(None, 2)
        ids = iter(new_ids("pred" if run_id else "ann", len(valid)))
        with self._db.transaction() as conn:
            items = ids_by_ref(conn, "items", dataset_id, [u.reference_id for _, u, _ in valid])
            scene_refs = [
                u.reference_id
                for _, u, _ in valid
                if u.reference_id not in items and u.kind == "category" and run_id is None
            ]
            scenes = self._scenes.ids_by_refs_in(conn, dataset_id, scene_refs) if scene_refs else {}
            known_taxonomies = self._taxonomies.known_in(conn, dataset_id)
            groups: dict[str, list[tuple[Any, ...]]] = {"segmentation": [], "other": []}
            tracks: dict[str, None] = {}
            for position, unit, text in valid:
                item_id = items.get(unit.reference_id)
                scene_id = None if item_id is not None else scenes.get(unit.reference_id)
                if item_id is None and scene_id is None:
                    errors.append(
                        (
                            position,
                            error_text(
                                unit.payload, f"Item with id {unit.reference_id} doesn't exist."
                            ),
                        )
                    )
                    result.count(unit.kind, 2)
                    continue
                if unit.kind in CATEGORY_KINDS:
                    problem = taxonomy_error(unit, known_taxonomies)
                    if problem:
                        errors.append((position, error_text(unit.payload, problem)))
                        result.count(unit.kind, 2)
                        continue
                groups["segmentation" if unit.kind == "segmentation" else "other"].append(
                    (
                        next(ids),
                        dataset_id,
                        scope,
                        run_id,
                        item_id,
                        scene_id,
                        item_id or scene_id,
                        unit.kind,
                        unit.identity,
                        unit.annotation_id,
                        unit.label,
                        unit.taxonomy_name,
                        unit.track_reference_id,
                        unit.task_id,
                        unit.blob,
                        text,
                    )
                )
                if unit.track_reference_id is not None:
                    tracks[unit.track_reference_id] = None
            # The unique index decides: a conflicting identity is skipped or updated in place
            # (keeping id and position), and `rowcount` says how many rows were stored.
            statement = _UPSERT if update else _INSERT_NEW
            for group, rows in groups.items():
                if not rows:
                    continue
                stored = conn.executemany(statement, rows).rowcount
                result.processed += stored
                result.ignored += len(rows) - stored
                slots = result.by_group.setdefault(group, [0, 0, 0])
                slots[0] += stored
                slots[1] += len(rows) - stored
            if tracks:
                conn.executemany(
                    "INSERT OR IGNORE INTO tracks (dataset_id, reference_id) VALUES (?, ?)",
                    [(dataset_id, ref) for ref in tracks],
                )
        result.errors = [text for _, text in sorted(errors, key=lambda e: e[0])]
        return result

    def units_of_item(self, item_id: str, run_id: str | None = None) -> list[StoredUnit]:
        """The item's units (ground truth, or of one run), in insertion order."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_UNIT_COLUMNS} FROM annotations WHERE scope = ? AND target = ?"
                " ORDER BY seq",
                (run_id or GROUND_TRUTH, item_id),
            ).fetchall()
        return _units(rows)

    def units_of_items(
        self, item_ids: Sequence[str], run_id: str | None = None
    ) -> dict[str, list[StoredUnit]]:
        """Units of many items (bulk, chunked), each item's in insertion order."""
        grouped: dict[str, list[StoredUnit]] = {i: [] for i in item_ids}
        with self._db.read() as conn:
            for chunk in chunks(list(item_ids)):
                rows = conn.execute(
                    f"SELECT {_UNIT_COLUMNS} FROM annotations"
                    f" WHERE scope = ? AND target IN ({marks(chunk)}) ORDER BY seq",
                    (run_id or GROUND_TRUTH, *chunk),
                ).fetchall()
                for unit in _units(rows):
                    grouped[unit.item_id or ""].append(unit)
        return grouped

    def units_of_dataset(self, dataset_id: str, run_id: str | None = None) -> list[StoredUnit]:
        """Every item-level unit of a dataset (ground truth or one run), in insertion order."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_UNIT_COLUMNS} FROM annotations"
                " WHERE dataset_id = ? AND scope = ? AND item_id IS NOT NULL ORDER BY seq",
                (dataset_id, run_id or GROUND_TRUTH),
            ).fetchall()
        return _units(rows)

    def by_annotation_id(
        self, item_id: str, annotation_id: str, run_id: str | None = None
    ) -> dict[str, Any] | None:
        """The payload of the item's newest unit with that annotation id, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT payload FROM annotations"
                " WHERE scope = ? AND target = ? AND annotation_id = ?"
                " ORDER BY seq DESC LIMIT 1",
                (run_id or GROUND_TRUTH, item_id, annotation_id),
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def delete_ground_truth(
        self, dataset_id: str, reference_ids: Sequence[str]
    ) -> tuple[int, list[str]]:
        """Delete the ground truth of those items (all of the dataset if empty).

        Returns (annotations deleted, unknown reference ids).
        """
        with self._db.transaction() as conn:
            if not reference_ids:
                cursor = conn.execute(
                    "DELETE FROM annotations WHERE dataset_id = ? AND scope = ?",
                    (dataset_id, GROUND_TRUTH),
                )
                return cursor.rowcount, []
            items = ids_by_ref(conn, "items", dataset_id, reference_ids)
            missing = [r for r in dict.fromkeys(reference_ids) if r not in items]
            deleted = 0
            for chunk in chunks(list(items.values())):
                cursor = conn.execute(
                    f"DELETE FROM annotations WHERE scope = ? AND target IN ({marks(chunk)})",
                    (GROUND_TRUTH, *chunk),
                )
                deleted += cursor.rowcount
        return deleted, missing


# -- read shapes ----------------------------------------------------------------------------


def group_by_kind(units: Iterable[StoredUnit], kinds: Sequence[str]) -> dict[str, list[Any]]:
    """`{kind: [payload]}` for `kinds`, every key present (possibly empty), in `kinds` order."""
    grouped: dict[str, list[Any]] = {k: [] for k in kinds}
    for unit in units:
        if unit.kind in grouped:
            grouped[unit.kind].append(unit.payload)
    return grouped


def most_recent_task_only(units: list[StoredUnit]) -> list[StoredUnit]:
    """Keep units without a task id plus those of the item's most recently stored task."""
    latest: str | None = None
    for unit in units:
        if unit.task_id is not None:
            latest = unit.task_id
    if latest is None:
        return units
    return [u for u in units if u.task_id is None or u.task_id == latest]


def export_row(item_json: dict[str, Any], units: list[StoredUnit]) -> dict[str, Any]:
    """An export row: every list key present, `segmentation` one object or null."""
    row: dict[str, Any] = {"item": item_json}
    grouped = group_by_kind(units, (*EXPORT_LIST_KINDS, "segmentation"))
    for kind in EXPORT_LIST_KINDS:
        row[kind] = grouped[kind]
    segmentations = grouped["segmentation"]
    row["segmentation"] = segmentations[-1] if segmentations else None
    return row


def labels_of(payloads: Sequence[dict[str, Any]]) -> list[str]:
    """Distinct labels (and multicategory `labels`) of annotation payloads, sorted."""
    found: set[str] = set()
    for payload in payloads:
        label = payload.get("label")
        if isinstance(label, str):
            found.add(label)
        for value in payload.get("labels") or []:
            if isinstance(value, str):
                found.add(value)
    return sorted(found)
