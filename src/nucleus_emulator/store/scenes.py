"""Scenes (lidar and video): `SceneRow`/`SceneInput` and `SceneStore` over `scenes` + frames.

A scene's items are ordinary dataset items (rows of `items`); `scene_frames` places each of them
in the scene at `(frame_index, sensor)` (video frames use the sensor `""`). Deleting an item
removes its frame row; deleting a scene deletes its items.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.items import ITEM_COLUMNS_I, ItemInput, ItemRow, item_row
from nucleus_emulator.store.lookups import chunks, existing_ids, ids_by_ref, marks
from nucleus_emulator.store.values import dumps, new_id, now_iso

LIDAR = "lidar"
VIDEO = "video"

_SCENE_COLUMNS = (
    "seq, id, dataset_id, reference_id, kind, metadata, frame_rate, video_url, tracks, created_at"
)


@dataclass(frozen=True)
class SceneRow:
    seq: int
    id: str
    dataset_id: str
    reference_id: str
    kind: str
    metadata: dict[str, Any]
    frame_rate: Any
    video_url: str | None
    tracks: list[dict[str, Any]]
    created_at: str

    def summary(self) -> dict[str, Any]:
        """The scene as `scenes_list` and scene slices list it."""
        return {
            "id": self.id,
            "reference_id": self.reference_id,
            "type": "LidarScene" if self.kind == LIDAR else "VideoScene",
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class SceneInput:
    """A validated scene: frames are lists of `(sensor, item)` (video: one item, sensor "")."""

    reference_id: str
    kind: str
    metadata: dict[str, Any]
    frames: list[list[tuple[str, ItemInput]]] = field(default_factory=list)
    frame_rate: Any = None
    video_url: str | None = None
    tracks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SceneCounts:
    new: int = 0
    updated: int = 0
    ignored: int = 0


def _scene(row: Sequence[Any]) -> SceneRow:
    return SceneRow(
        seq=row[0],
        id=row[1],
        dataset_id=row[2],
        reference_id=row[3],
        kind=row[4],
        metadata=json.loads(row[5]),
        frame_rate=None if row[6] is None else json.loads(row[6]),
        video_url=row[7],
        tracks=json.loads(row[8]),
        created_at=row[9],
    )


class SceneStore:
    """Scenes of a dataset; their items are ordinary `items` rows placed at (frame, sensor)."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def put(
        self, dataset_id: str, scenes: Sequence[SceneInput], *, update: bool
    ) -> tuple[SceneCounts, list[tuple[SceneInput, str]]]:
        """Insert new scenes; replace existing ones when `update`, else ignore them.

        Returns the counts and `(scene, reason)` for scenes that could not be stored (an item
        reference id already used outside the scene).
        """
        counts = SceneCounts()
        failures: list[tuple[SceneInput, str]] = []
        for scene in scenes:
            with self._db.transaction() as conn:
                outcome = _put_scene(conn, dataset_id, scene, update)
            if outcome == "new":
                counts.new += 1
            elif outcome == "updated":
                counts.updated += 1
            elif outcome == "ignored":
                counts.ignored += 1
            else:
                failures.append((scene, outcome))
        return counts, failures

    def by_ref(self, dataset_id: str, reference_id: str) -> SceneRow | None:
        return self._db.fetch_one(
            _scene,
            f"SELECT {_SCENE_COLUMNS} FROM scenes WHERE dataset_id = ? AND reference_id = ?",
            (dataset_id, reference_id),
        )

    def by_id(self, scene_id: str) -> SceneRow | None:
        return self._db.fetch_one(
            _scene, f"SELECT {_SCENE_COLUMNS} FROM scenes WHERE id = ?", (scene_id,)
        )

    def holding_item(self, dataset_id: str, item_reference_id: str) -> SceneRow | None:
        """The scene holding the item with this reference id (`?from_item=1`)."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT f.scene_id FROM items i JOIN scene_frames f ON f.item_id = i.id"
                " WHERE i.dataset_id = ? AND i.reference_id = ?",
                (dataset_id, item_reference_id),
            ).fetchone()
        return None if row is None else self.by_id(row[0])

    def in_dataset(self, dataset_id: str) -> list[SceneRow]:
        """Every scene of the dataset, oldest first."""
        return self._db.fetch_all(
            _scene,
            f"SELECT {_SCENE_COLUMNS} FROM scenes WHERE dataset_id = ? ORDER BY seq",
            (dataset_id,),
        )

    def frames(self, scene_id: str) -> list[tuple[int, str, ItemRow]]:
        """`(frame_index, sensor, item)` in frame order, sensors in insertion order."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT f.frame_index, f.sensor, {ITEM_COLUMNS_I} FROM scene_frames f"
                " JOIN items i ON i.id = f.item_id WHERE f.scene_id = ?"
                " ORDER BY f.frame_index, f.rowid",
                (scene_id,),
            ).fetchall()
        return [(r[0], r[1], item_row(r[2:])) for r in rows]

    def delete(self, scene_id: str) -> None:
        """Delete the scene and every item of it."""
        with self._db.transaction() as conn:
            item_ids = [
                r[0]
                for r in conn.execute(
                    "SELECT item_id FROM scene_frames WHERE scene_id = ?", (scene_id,)
                )
            ]
            conn.executemany("DELETE FROM items WHERE id = ?", [(i,) for i in item_ids])
            conn.execute("DELETE FROM scenes WHERE id = ?", (scene_id,))

    def merge_metadata(
        self, dataset_id: str, updates: Iterable[tuple[str, dict[str, Any]]]
    ) -> tuple[list[str], list[str]]:
        """Merge each mapping into the scene's metadata; returns (updated refs, missing refs)."""
        merged: dict[str, dict[str, Any]] = {}
        for ref, meta in updates:
            merged.setdefault(ref, {}).update(meta)
        updated: list[str] = []
        missing: list[str] = []
        with self._db.transaction() as conn:
            for ref, meta in merged.items():
                row = conn.execute(
                    "SELECT id, metadata FROM scenes WHERE dataset_id = ? AND reference_id = ?",
                    (dataset_id, ref),
                ).fetchone()
                if row is None:
                    missing.append(ref)
                    continue
                current = json.loads(row[1])
                current.update(meta)
                conn.execute(
                    "UPDATE scenes SET metadata = ? WHERE id = ?", (dumps(current), row[0])
                )
                updated.append(ref)
        return updated, missing

    def ids_by_refs(self, dataset_id: str, refs: Sequence[str]) -> dict[str, str]:
        """`{reference_id: scene id}` for the refs that name scenes of the dataset."""
        with self._db.read() as conn:
            return self.ids_by_refs_in(conn, dataset_id, refs)

    @staticmethod
    def ids_by_refs_in(
        conn: sqlite3.Connection, dataset_id: str, refs: Sequence[str]
    ) -> dict[str, str]:
        """`ids_by_refs` inside the caller's transaction (scene-level annotations use it)."""
        return ids_by_ref(conn, "scenes", dataset_id, refs)

    def existing_ids(self, dataset_id: str, ids: Sequence[str]) -> set[str]:
        """The `ids` that name scenes of the dataset."""
        with self._db.read() as conn:
            return existing_ids(conn, "scenes", dataset_id, ids)


def _put_scene(conn: sqlite3.Connection, dataset_id: str, scene: SceneInput, update: bool) -> str:
    row = conn.execute(
        "SELECT id FROM scenes WHERE dataset_id = ? AND reference_id = ?",
        (dataset_id, scene.reference_id),
    ).fetchone()
    existing_scene: str | None = row[0] if row else None
    if existing_scene is not None and not update:
        return "ignored"
    refs = [item.reference_id for frame in scene.frames for _, item in frame]
    owners: dict[str, tuple[str, str | None]] = {}  # ref -> (item id, scene id or None)
    for chunk in chunks(refs):
        for ref, item_id, scene_id in conn.execute(
            "SELECT i.reference_id, i.id, f.scene_id FROM items i"
            " LEFT JOIN scene_frames f ON f.item_id = i.id"
            f" WHERE i.dataset_id = ? AND i.reference_id IN ({marks(chunk)})",
            (dataset_id, *chunk),
        ):
            owners[ref] = (item_id, scene_id)
    for ref, (_, owner_scene) in owners.items():
        if owner_scene is None or owner_scene != existing_scene:
            where = f"scene {_scene_ref(conn, owner_scene)}" if owner_scene else "the dataset"
            return f"Item reference id {ref} is already used by {where}"
    if existing_scene is None:
        scene_id = new_id("scn")
        conn.execute(
            "INSERT INTO scenes (id, dataset_id, reference_id, kind, metadata, frame_rate,"
            " video_url, tracks, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                scene_id,
                dataset_id,
                scene.reference_id,
                scene.kind,
                dumps(scene.metadata),
                None if scene.frame_rate is None else dumps(scene.frame_rate),
                scene.video_url,
                dumps(scene.tracks),
                now_iso(),
            ),
        )
    else:
        scene_id = existing_scene
        conn.execute(
            "UPDATE scenes SET kind = ?, metadata = ?, frame_rate = ?, video_url = ?, tracks = ?"
            " WHERE id = ?",
            (
                scene.kind,
                dumps(scene.metadata),
                None if scene.frame_rate is None else dumps(scene.frame_rate),
                scene.video_url,
                dumps(scene.tracks),
                scene_id,
            ),
        )
        # Items of the old version that the new one no longer has are deleted with it.
        kept = set(refs)
        stale = [
            item_id
            for item_id, ref in conn.execute(
                "SELECT i.id, i.reference_id FROM scene_frames f JOIN items i ON i.id = f.item_id"
                " WHERE f.scene_id = ?",
                (scene_id,),
            )
            if ref not in kept
        ]
        conn.execute("DELETE FROM scene_frames WHERE scene_id = ?", (scene_id,))
        conn.executemany("DELETE FROM items WHERE id = ?", [(i,) for i in stale])
    frames: list[tuple[str, int, str, str]] = []
    for index, frame in enumerate(scene.frames):
        for sensor, item in frame:
            if item.reference_id in owners:
                item_id = owners[item.reference_id][0]
                conn.execute(
                    "UPDATE items SET image_url = ?, pointcloud_url = ?, metadata = ?, width = ?,"
                    " height = ?, embedding_info = ? WHERE id = ?",
                    (
                        item.image_url,
                        item.pointcloud_url,
                        dumps(item.metadata),
                        item.width,
                        item.height,
                        None if item.embedding_info is None else dumps(item.embedding_info),
                        item_id,
                    ),
                )
            else:
                item_id = new_id("di")
                conn.execute(
                    "INSERT INTO items (id, dataset_id, reference_id, image_url, pointcloud_url,"
                    " metadata, width, height, embedding_info, blob)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    (
                        item_id,
                        dataset_id,
                        item.reference_id,
                        item.image_url,
                        item.pointcloud_url,
                        dumps(item.metadata),
                        item.width,
                        item.height,
                        None if item.embedding_info is None else dumps(item.embedding_info),
                    ),
                )
            frames.append((scene_id, index, sensor, item_id))
    conn.executemany(
        "INSERT INTO scene_frames (scene_id, frame_index, sensor, item_id) VALUES (?, ?, ?, ?)",
        frames,
    )
    # Tracks named by a scene become dataset tracks too (`GET dataset/{ds}/tracks`).
    conn.executemany(
        "INSERT OR IGNORE INTO tracks (dataset_id, reference_id, metadata) VALUES (?, ?, ?)",
        [(dataset_id, t["reference_id"], dumps(t.get("metadata") or {})) for t in scene.tracks],
    )
    return "new" if existing_scene is None else "updated"


#####


def _scene_ref(conn: sqlite3.Connection, scene_id: str) -> str:
    row = conn.execute("SELECT reference_id FROM scenes WHERE id = ?", (scene_id,)).fetchone()
    return str(row[0]) if row else scene_id
