"""Annotations, predictions, taxonomies and tracks: validation, bulk upload and reads.

Ground truth and predictions share the `annotations` table: `scope` is `''` for ground truth and
the model-run id for predictions. A unit belongs to an item (`item_id`) or, for scene-level
category annotations, to a scene (`scene_id`); `target` holds whichever id it is, so
`UNIQUE(scope, target, identity)` enforces the service's identity rules (see `identity_of`).
Payloads are stored verbatim (compact JSON) and read back exactly as sent.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nucleus_emulator.store import Store, _dumps, now_iso
from nucleus_emulator.store_values import _IN_CHUNK as _IN_CHUNK
from nucleus_emulator.store_values import _chunks
from nucleus_emulator.store_values import new_ids as bulk_ids

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
GEOMETRIC_KINDS = frozenset({"box", "line", "polygon", "keypoints", "cuboid"})
CATEGORY_KINDS = frozenset({"category", "multicategory"})
_TYPE_TO_KIND = {
    "box": "box",
    "line": "line",
    "polygon": "polygon",
    "keypoints": "keypoints",
    "cuboid": "cuboid",
    "category": "category",
    "multicategory": "multicategory",
    "mask": "segmentation",
    "segmentation": "segmentation",
}
GROUND_TRUTH = ""

#: Resolves scene reference ids of a dataset to scene ids (registered by the scenes family).
SceneResolver = Callable[[sqlite3.Connection, str, Sequence[str]], dict[str, str]]
SCENE_RESOLVERS: list[SceneResolver] = []


def register_scene_resolver(resolver: SceneResolver) -> SceneResolver:
    """Let the scenes family map scene reference ids to scene ids (for scene categories)."""
    SCENE_RESOLVERS.append(resolver)
    return resolver


def dumps(value: Any) -> str:
    """Compact JSON, as `json.dumps(value, separators=(",", ":"))` writes it."""
    return _dumps(value)


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


# -- validation ---------------------------------------------------------------------------


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 6x (one per unit)
class AnnotationInput:
    """A validated unit: where it goes, its identity, and the payload to store verbatim."""

    kind: str
    reference_id: str
    identity: str | None
    annotation_id: str | None
    label: str | None
    taxonomy_name: str | None
    track_reference_id: str | None
    task_id: str | None
    payload: dict[str, Any]
    blob: str | None = None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _point_error(point: Any, keys: Sequence[str]) -> bool:
    if not isinstance(point, dict):
        return True
    for key in keys:
        value = point.get(key)
        kind = type(value)
        if kind is not float and kind is not int and not _is_number(value):  # fast path first
            return True
    return False


def _geometry_error(kind: str, payload: dict[str, Any]) -> str | None:
    geometry = payload.get("geometry")
    if kind == "segmentation":
        mask_url = payload.get("mask_url")
        if not isinstance(mask_url, str) or not mask_url:
            return "segmentation needs a mask_url"
        segments = payload.get("annotations", [])
        if not isinstance(segments, list) or any(not isinstance(s, dict) for s in segments):
            return "segmentation annotations must be a list of segments"
        return None
    if not isinstance(geometry, dict):
        return f"{kind} annotation needs a geometry object"
    if kind == "box":
        if _point_error(geometry, ("x", "y", "width", "height")):
            return "box geometry needs numeric x, y, width and height"
    elif kind in ("line", "polygon"):
        vertices = geometry.get("vertices")
        if not isinstance(vertices, list) or any(_point_error(v, ("x", "y")) for v in vertices):
            return f"{kind} geometry needs vertices with numeric x and y"
    elif kind == "keypoints":
        keypoints, names = geometry.get("keypoints"), geometry.get("names")
        if not isinstance(keypoints, list) or not isinstance(names, list):
            return "keypoints geometry needs keypoints and names lists"
        if len(keypoints) != len(names):
            return "keypoints and names must have the same length"
    elif kind == "cuboid":
        for key in ("position", "dimensions"):
            if _point_error(geometry.get(key), ("x", "y", "z")):
                return f"cuboid geometry needs a {key} with numeric x, y and z"
    return None


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def parse_unit(
    payload: Any, *, segmentation: bool = False, prediction: bool = False
) -> AnnotationInput | str:
    """An `AnnotationInput`, or the reason the payload is not a valid annotation/prediction."""
    if not isinstance(payload, dict):
        return "Annotation payload must be a JSON object"
    ref = payload.get("reference_id")
    if not isinstance(ref, str) or not ref:
        return "Annotation is missing a reference_id"
    if segmentation:
        kind: str | None = "segmentation"
    else:
        raw_type = payload.get("type")
        kind = _TYPE_TO_KIND.get(raw_type) if isinstance(raw_type, str) else None
    if kind is None:
        return f"Unknown annotation type {payload.get('type')!r}"
    if prediction and kind == "multicategory":
        return "multicategory predictions are not supported"
    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "metadata must be an object"
    problem = _geometry_error(kind, payload)
    if problem:
        return problem
    label: str | None = None
    if kind == "multicategory":
        labels = payload.get("labels")
        if not isinstance(labels, list) or any(not isinstance(x, str) for x in labels):
            return "multicategory annotation needs labels (a list of strings)"
    elif kind != "segmentation":
        raw_label = payload.get("label")
        if kind == "category" and not isinstance(raw_label, str):
            return "category annotation needs a label"
        label = _optional_str(raw_label)
    if prediction:
        confidence = payload.get("confidence")
        if confidence is not None and not _is_number(confidence):
            return "confidence must be a number"
        class_pdf = payload.get("class_pdf")
        if class_pdf is not None and not isinstance(class_pdf, dict):
            return "class_pdf must be an object"
    taxonomy = payload.get("taxonomy_name")
    if taxonomy is not None and not isinstance(taxonomy, str):
        return "taxonomy_name must be a string"
    annotation_id = _optional_str(payload.get("annotation_id"))
    return AnnotationInput(
        kind=kind,
        reference_id=ref,
        identity=identity_of(kind, annotation_id, taxonomy),
        annotation_id=annotation_id,
        label=label,
        taxonomy_name=taxonomy if kind in CATEGORY_KINDS else None,
        track_reference_id=_optional_str(payload.get("track_reference_id")),
        task_id=_optional_str(payload.get("task_id")),
        payload=payload,
    )


def identity_of(kind: str, annotation_id: str | None, taxonomy: str | None) -> str | None:
    """The uniqueness key within (scope, target); None never collides (a fresh unit)."""
    if kind in GEOMETRIC_KINDS:
        return None if annotation_id is None else "geometry\x1f" + annotation_id
    if kind in CATEGORY_KINDS:  # the default (null) taxonomy differs from a named one
        return kind + "\x1f" + ("" if taxonomy is None else "=" + taxonomy)
    return "segmentation"


# -- taxonomies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Taxonomy:
    name: str
    type: str
    labels: list[str]


def taxonomies(conn: sqlite3.Connection, dataset_id: str) -> dict[str, Taxonomy]:
    rows = conn.execute(
        "SELECT name, type, labels FROM taxonomies WHERE dataset_id = ?", (dataset_id,)
    )
    return {r[0]: Taxonomy(r[0], r[1], json.loads(r[2])) for r in rows}


def add_taxonomy(
    store: Store, dataset_id: str, name: str, kind: str, labels: list[str], update: bool
) -> str:
    """Create or extend a taxonomy; returns the service's status string."""
    with store.transaction() as conn:
        existing = taxonomies(conn, dataset_id).get(name)
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


def taxonomy_type(store: Store, dataset_id: str, name: str) -> str | None:
    with store.read() as conn:
        found = taxonomies(conn, dataset_id).get(name)
    return None if found is None else found.type


def delete_taxonomy(store: Store, dataset_id: str, name: str) -> bool:
    """Delete a taxonomy and every annotation and prediction that uses it."""
    with store.transaction() as conn:
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


def _taxonomy_error(unit: AnnotationInput, known: dict[str, Taxonomy]) -> str | None:
    if unit.kind not in CATEGORY_KINDS or unit.taxonomy_name is None:
        return None
    taxonomy = known.get(unit.taxonomy_name)
    if taxonomy is None:
        return None
    if taxonomy.type != unit.kind:
        return (
            f"Taxonomy {unit.taxonomy_name} is of type {taxonomy.type},"
            f" not {unit.kind}, on item {unit.reference_id}"
        )
    labels = unit.payload.get("labels") if unit.kind == "multicategory" else [unit.label]
    allowed = set(taxonomy.labels)
    for label in labels or []:
        if label not in allowed:
            return (
                f"Label {label} is not in taxonomy {unit.taxonomy_name}"
                f" (annotation on {unit.reference_id})"
            )
    return None


# -- upload -------------------------------------------------------------------------------


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


def _ids_by_ref(
    conn: sqlite3.Connection, table: str, dataset_id: str, refs: Sequence[str]
) -> dict[str, str]:
    """`{reference_id: id}` of the rows of `table` (`items` or `scenes`) that the refs name."""
    found: dict[str, str] = {}
    for chunk in _chunks(list(dict.fromkeys(refs))):
        marks = ",".join("?" * len(chunk))
        found.update(
            conn.execute(
                f"SELECT reference_id, id FROM {table}"
                f" WHERE dataset_id = ? AND reference_id IN ({marks})",
                (dataset_id, *chunk),
            ).fetchall()
        )
    return found


def _item_ids(conn: sqlite3.Connection, dataset_id: str, refs: Sequence[str]) -> dict[str, str]:
    return _ids_by_ref(conn, "items", dataset_id, refs)


def _scene_ids(conn: sqlite3.Connection, dataset_id: str, refs: Sequence[str]) -> dict[str, str]:
    if not refs:
        return {}
    found: dict[str, str] = {}
    for resolver in SCENE_RESOLVERS:
        found.update(resolver(conn, dataset_id, refs))
    if SCENE_RESOLVERS:
        return found
    # No resolver registered: use a `scenes(id, dataset_id, reference_id)` table if there is one.
    columns = {r[1] for r in conn.execute("PRAGMA table_info(scenes)")}
    if not {"id", "dataset_id", "reference_id"} <= columns:
        return found
    found.update(_ids_by_ref(conn, "scenes", dataset_id, refs))
    return found


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


def upload(
    store: Store,
    dataset_id: str,
    units: Sequence[AnnotationInput | tuple[Any, str]],
    *,
    update: bool,
    run_id: str | None = None,
) -> UploadResult:
    """Store validated units (invalid ones are `(payload, reason)`) in one transaction.

    Unknown reference ids become errors; an existing identity is ignored, or replaced in place
    when `update` (the unit keeps its position); counts follow section 5.2 of the reference.
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
    ids = iter(bulk_ids("pred" if run_id else "ann", len(valid)))
    with store.transaction() as conn:
        items = _item_ids(conn, dataset_id, [u.reference_id for _, u, _ in valid])
        scene_refs = [
            u.reference_id
            for _, u, _ in valid
            if u.reference_id not in items and u.kind == "category" and run_id is None
        ]
        scenes = _scene_ids(conn, dataset_id, scene_refs)
        known_taxonomies = taxonomies(conn, dataset_id)
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
                problem = _taxonomy_error(unit, known_taxonomies)
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


# -- reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredUnit:
    item_id: str | None
    kind: str
    task_id: str | None
    payload: dict[str, Any]


def _units(rows: Iterable[sqlite3.Row | tuple[Any, ...]]) -> list[StoredUnit]:
    return [StoredUnit(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


_UNIT_COLUMNS = "item_id, kind, task_id, payload"


def units_of_item(store: Store, item_id: str, run_id: str | None = None) -> list[StoredUnit]:
    with store.read() as conn:
        rows = conn.execute(
            f"SELECT {_UNIT_COLUMNS} FROM annotations WHERE scope = ? AND target = ? ORDER BY seq",
            (run_id or GROUND_TRUTH, item_id),
        ).fetchall()
    return _units(rows)


def units_of_items(
    store: Store, item_ids: Sequence[str], run_id: str | None = None
) -> dict[str, list[StoredUnit]]:
    """Units of many items (bulk, chunked), each item's in insertion order."""
    grouped: dict[str, list[StoredUnit]] = {i: [] for i in item_ids}
    with store.read() as conn:
        for chunk in _chunks(list(item_ids)):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT {_UNIT_COLUMNS} FROM annotations"
                f" WHERE scope = ? AND target IN ({marks}) ORDER BY seq",
                (run_id or GROUND_TRUTH, *chunk),
            ).fetchall()
            for unit in _units(rows):
                grouped[unit.item_id or ""].append(unit)
    return grouped


def units_of_dataset(store: Store, dataset_id: str, run_id: str | None = None) -> list[StoredUnit]:
    """Every item-level unit of a dataset (ground truth or one run), in insertion order."""
    with store.read() as conn:
        rows = conn.execute(
            f"SELECT {_UNIT_COLUMNS} FROM annotations"
            " WHERE dataset_id = ? AND scope = ? AND item_id IS NOT NULL ORDER BY seq",
            (dataset_id, run_id or GROUND_TRUTH),
        ).fetchall()
    return _units(rows)


def unit_by_annotation_id(
    store: Store, item_id: str, annotation_id: str, run_id: str | None = None
) -> dict[str, Any] | None:
    with store.read() as conn:
        row = conn.execute(
            "SELECT payload FROM annotations WHERE scope = ? AND target = ? AND annotation_id = ?"
            " ORDER BY seq DESC LIMIT 1",
            (run_id or GROUND_TRUTH, item_id, annotation_id),
        ).fetchone()
    return None if row is None else dict(json.loads(row[0]))


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


# -- deletes ------------------------------------------------------------------------------


def delete_ground_truth(
    store: Store, dataset_id: str, reference_ids: Sequence[str]
) -> tuple[int, list[str]]:
    """Delete the ground truth of those items (all of the dataset if empty).

    Returns (annotations deleted, unknown reference ids).
    """
    with store.transaction() as conn:
        if not reference_ids:
            cursor = conn.execute(
                "DELETE FROM annotations WHERE dataset_id = ? AND scope = ?",
                (dataset_id, GROUND_TRUTH),
            )
            return cursor.rowcount, []
        items = _item_ids(conn, dataset_id, reference_ids)
        missing = [r for r in dict.fromkeys(reference_ids) if r not in items]
        deleted = 0
        for chunk in _chunks(list(items.values())):
            marks = ",".join("?" * len(chunk))
            cursor = conn.execute(
                f"DELETE FROM annotations WHERE scope = ? AND target IN ({marks})",
                (GROUND_TRUTH, *chunk),
            )
            deleted += cursor.rowcount
    return deleted, missing


# -- tracks -------------------------------------------------------------------------------


def list_tracks(store: Store, dataset_id: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            "SELECT reference_id, metadata FROM tracks WHERE dataset_id = ? ORDER BY seq",
            (dataset_id,),
        ).fetchall()
    return [
        {"reference_id": r[0], "dataset_id": dataset_id, "metadata": json.loads(r[1])} for r in rows
    ]


def update_track(
    store: Store, dataset_id: str, reference_id: str, metadata: dict[str, Any], overwrite: bool
) -> bool:
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT metadata FROM tracks WHERE dataset_id = ? AND reference_id = ?",
            (dataset_id, reference_id),
        ).fetchone()
        if row is None:
            return False
        merged = metadata if overwrite else {**json.loads(row[0]), **metadata}
        conn.execute(
            "UPDATE tracks SET metadata = ? WHERE dataset_id = ? AND reference_id = ?",
            (dumps(merged), dataset_id, reference_id),
        )
    return True


def delete_tracks(store: Store, dataset_id: str, reference_ids: Sequence[str]) -> list[str]:
    """Delete tracks and unlink their annotations and predictions; returns the deleted refs."""
    deleted: list[str] = []
    with store.transaction() as conn:
        for ref in dict.fromkeys(reference_ids):
            cursor = conn.execute(
                "DELETE FROM tracks WHERE dataset_id = ? AND reference_id = ?", (dataset_id, ref)
            )
            if cursor.rowcount:
                deleted.append(ref)
        for chunk in _chunks(deleted):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT seq, payload FROM annotations"
                f" WHERE dataset_id = ? AND track_reference_id IN ({marks})",
                (dataset_id, *chunk),
            ).fetchall()
            unlinked = []
            for seq, text in rows:
                payload = json.loads(text)
                if "track_reference_id" in payload:
                    payload["track_reference_id"] = None
                unlinked.append((dumps(payload), seq))
            conn.executemany(
                "UPDATE annotations SET track_reference_id = NULL, payload = ? WHERE seq = ?",
                unlinked,
            )
    return deleted
