"""SQLite state of the emulator: schema, id generation and data access (one locked connection)."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: DDL run (idempotently) on every open. A new table is one more entry here; see DEVELOPING.md.
SCHEMA: list[str] = [
    """CREATE TABLE IF NOT EXISTS datasets (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        is_scene INTEGER NOT NULL DEFAULT 0,
        use_privacy_mode INTEGER NOT NULL DEFAULT 0,
        annotation_metadata_schema TEXT,
        item_metadata_schema TEXT,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS datasets_owner ON datasets(owner, created_at)",
    """CREATE TABLE IF NOT EXISTS items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        dataset_id TEXT NOT NULL,
        reference_id TEXT NOT NULL,
        image_url TEXT,
        pointcloud_url TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        width INTEGER,
        height INTEGER,
        embedding_info TEXT,
        blob TEXT,
        UNIQUE (dataset_id, reference_id)
    )""",
    "CREATE INDEX IF NOT EXISTS items_by_dataset ON items(dataset_id, seq)",
    """CREATE TABLE IF NOT EXISTS uploads (
        request_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        dataset_id TEXT NOT NULL,
        blob TEXT,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        dataset_id TEXT,
        job_type TEXT NOT NULL,
        status TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '""',
        completed_steps INTEGER NOT NULL DEFAULT 0,
        total_steps INTEGER NOT NULL DEFAULT 0,
        params TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, created_at)",
    """CREATE TABLE IF NOT EXISTS job_errors (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL,
        message TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS job_errors_by_job ON job_errors(job_id, seq)",
    # -- annotations, predictions, taxonomies, tracks, models (store_annotations/store_models)
    """CREATE TABLE IF NOT EXISTS taxonomies (
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        labels TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (dataset_id, name)
    )""",
    """CREATE TABLE IF NOT EXISTS models (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        ref_id TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        bundle_name TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        trained_slice_ids TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS models_owner ON models(owner, seq)",
    """CREATE TABLE IF NOT EXISTS model_runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        reference_id TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS model_runs_by_dataset ON model_runs(dataset_id, model_id, seq)",
    "CREATE INDEX IF NOT EXISTS model_runs_by_model ON model_runs(model_id)",
    # Ground truth (`scope` = '') and predictions (`scope` = run id) of items or scenes.
    """CREATE TABLE IF NOT EXISTS annotations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        scope TEXT NOT NULL,
        run_id TEXT REFERENCES model_runs(id) ON DELETE CASCADE,
        item_id TEXT REFERENCES items(id) ON DELETE CASCADE,
        scene_id TEXT,
        target TEXT NOT NULL,
        kind TEXT NOT NULL,
        identity TEXT,
        annotation_id TEXT,
        label TEXT,
        taxonomy_name TEXT,
        track_reference_id TEXT,
        task_id TEXT,
        blob TEXT,
        payload TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS annotations_identity"
    " ON annotations(scope, target, identity)",
    "CREATE INDEX IF NOT EXISTS annotations_by_dataset ON annotations(dataset_id, scope, seq)",
    "CREATE INDEX IF NOT EXISTS annotations_by_item ON annotations(item_id)",
    "CREATE INDEX IF NOT EXISTS annotations_by_run ON annotations(run_id)",
    """CREATE TABLE IF NOT EXISTS tracks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        reference_id TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        UNIQUE (dataset_id, reference_id)
    )""",
]

# -- scenes, slices, embeddings and indexes, autotags, dataset tags (store_scenes.py,
# store_slices.py, store_embeddings.py, store_misc.py; routes scenes/slices/indexing/autotags/misc)
SCHEMA += [
    """CREATE TABLE IF NOT EXISTS scenes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        reference_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        frame_rate TEXT,
        video_url TEXT,
        tracks TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        UNIQUE (dataset_id, reference_id)
    )""",
    """CREATE TABLE IF NOT EXISTS scene_frames (
        scene_id TEXT NOT NULL REFERENCES scenes(id) ON DELETE CASCADE,
        frame_index INTEGER NOT NULL,
        sensor TEXT NOT NULL,
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        PRIMARY KEY (scene_id, frame_index, sensor)
    )""",
    "CREATE INDEX IF NOT EXISTS scene_frames_by_item ON scene_frames(item_id)",
    """CREATE TABLE IF NOT EXISTS slices (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        description TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS slices_by_dataset ON slices(dataset_id, seq)",
    """CREATE TABLE IF NOT EXISTS slice_members (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        slice_id TEXT NOT NULL REFERENCES slices(id) ON DELETE CASCADE,
        item_id TEXT REFERENCES items(id) ON DELETE CASCADE,
        scene_id TEXT REFERENCES scenes(id) ON DELETE CASCADE,
        UNIQUE (slice_id, item_id),
        UNIQUE (slice_id, scene_id)
    )""",
    "CREATE INDEX IF NOT EXISTS slice_members_by_item ON slice_members(item_id)",
    "CREATE INDEX IF NOT EXISTS slice_members_by_scene ON slice_members(scene_id)",
    """CREATE TABLE IF NOT EXISTS embeddings (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        dataset_id TEXT NOT NULL,
        index_kind TEXT NOT NULL,
        vector TEXT NOT NULL,
        PRIMARY KEY (item_id, index_kind)
    )""",
    "CREATE INDEX IF NOT EXISTS embeddings_by_dataset ON embeddings(dataset_id, index_kind)",
    """CREATE TABLE IF NOT EXISTS embedding_indexes (
        id TEXT PRIMARY KEY,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        index_type TEXT NOT NULL,
        index_level TEXT NOT NULL,
        embedding_type TEXT NOT NULL,
        embedding_dimension INTEGER NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (dataset_id, index_type, index_level)
    )""",
    """CREATE TABLE IF NOT EXISTS dataset_indexing (
        dataset_id TEXT PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
        continuous INTEGER NOT NULL DEFAULT 0,
        primary_image TEXT,
        primary_object TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS autotags (
        id TEXT PRIMARY KEY,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        autotag_level TEXT NOT NULL,
        refinement_steps INTEGER NOT NULL DEFAULT 0,
        refinement_ms REAL NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        UNIQUE (dataset_id, name)
    )""",
    """CREATE TABLE IF NOT EXISTS autotag_items (
        autotag_id TEXT NOT NULL REFERENCES autotags(id) ON DELETE CASCADE,
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        positive INTEGER NOT NULL DEFAULT 0,
        score REAL,
        PRIMARY KEY (autotag_id, item_id)
    )""",
    """CREATE TABLE IF NOT EXISTS dataset_tags (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        UNIQUE (dataset_id, tag)
    )""",
]

_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
#: Every pair of id characters, indexed by 10 random bits (ids are minted 10k at a time).
_ID_PAIRS = [a + b for a in _ID_ALPHABET for b in _ID_ALPHABET]
#: SQLite's default limit of host parameters is 32766; stay far below it.
_IN_CHUNK = 500


def new_id(prefix: str) -> str:
    """A service-shaped id: `prefix_` and 20 lowercase base32 characters."""
    bits = secrets.randbits(100)
    pairs = _ID_PAIRS
    return f"{prefix}_" + "".join(pairs[(bits >> shift) & 1023] for shift in range(0, 100, 10))


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` ids shaped like `new_id(prefix)` (20 characters of the id alphabet: hex digits
    are a subset of it), from one `os.urandom` call instead of one per id."""
    text = os.urandom(10 * count).hex()
    return [f"{prefix}_{text[20 * i : 20 * i + 20]}" for i in range(count)]


def now_iso() -> str:
    """Current UTC time as the service writes it (ISO 8601 with milliseconds and `Z`)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


_ENCODER = json.JSONEncoder(separators=(",", ":"))
# `JSONEncoder.encode` builds a C encoder per call (a third of the cost of a small dict); this one
# is built once, with the same options. No `markers`: values come from JSON, never circular.
_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE: Any = (
    None
    if _C_MAKE_ENCODER is None
    else _C_MAKE_ENCODER(
        None,
        _ENCODER.default,
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,
        False,
        True,
    )
)


def _dumps(value: Any) -> str:
    """Compact JSON, as `json.dumps(value, separators=(",", ":"))` writes it."""
    if _C_ENCODE is not None and isinstance(value, dict | list):
        return "".join(_C_ENCODE(value, 0))
    return _ENCODER.encode(value)


@dataclass(frozen=True)
class DatasetRow:
    id: str
    owner: str
    name: str
    is_scene: bool
    use_privacy_mode: bool
    annotation_metadata_schema: Any
    item_metadata_schema: Any
    created_at: str


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 6x (one per unit)
class ItemInput:
    """A validated item payload ready to insert or update."""

    reference_id: str
    image_url: str | None
    pointcloud_url: str | None
    metadata: dict[str, Any]
    width: int | None = None
    height: int | None = None
    embedding_info: Any = None
    blob: str | None = None


@dataclass(frozen=True)
class ItemRow:
    seq: int
    id: str
    dataset_id: str
    reference_id: str
    image_url: str | None
    pointcloud_url: str | None
    metadata: dict[str, Any]
    width: int | None
    height: int | None
    blob: str | None

    def to_json(self) -> dict[str, Any]:
        """The item JSON of the service: locations verbatim, ids under both names."""
        out: dict[str, Any] = {"id": self.id, "dataset_item_id": self.id}
        out["reference_id"] = self.reference_id
        if self.image_url is not None:
            out["image_url"] = self.image_url
        if self.pointcloud_url is not None:
            out["pointcloud_url"] = self.pointcloud_url
        out["metadata"] = self.metadata
        if self.width is not None:
            out["width"] = self.width
        if self.height is not None:
            out["height"] = self.height
        return out


@dataclass
class AppendCounts:
    new_items: int = 0
    updated_items: int = 0
    ignored_items: int = 0


@dataclass(frozen=True)
class UploadRow:
    request_id: str
    owner: str
    dataset_id: str
    blob: str | None


@dataclass(frozen=True)
class JobRow:
    id: str
    owner: str
    dataset_id: str | None
    job_type: str
    status: str
    message: Any
    completed_steps: int
    total_steps: int
    params: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""


_ITEM_COLUMNS = (
    "seq, id, dataset_id, reference_id, image_url, pointcloud_url, metadata, width, height, blob"
)
_JOB_COLUMNS = (
    "id, owner, dataset_id, job_type, status, message, completed_steps, total_steps, params,"
    " created_at"
)


_INSERT_ITEM = (
    "INSERT INTO items (id, dataset_id, reference_id, image_url, pointcloud_url, metadata, width,"
    " height, embedding_info, blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_IF_NEW = " ON CONFLICT (dataset_id, reference_id) DO NOTHING"


def _item(row: sqlite3.Row) -> ItemRow:
    return ItemRow(
        seq=row[0],
        id=row[1],
        dataset_id=row[2],
        reference_id=row[3],
        image_url=row[4],
        pointcloud_url=row[5],
        metadata=json.loads(row[6]),
        width=row[7],
        height=row[8],
        blob=row[9],
    )


def _job(row: sqlite3.Row) -> JobRow:
    return JobRow(
        id=row[0],
        owner=row[1],
        dataset_id=row[2],
        job_type=row[3],
        status=row[4],
        message=json.loads(row[5]),
        completed_steps=row[6],
        total_steps=row[7],
        params=json.loads(row[8]),
        created_at=row[9],
    )


def _dataset(row: sqlite3.Row) -> DatasetRow:
    return DatasetRow(
        id=row[0],
        owner=row[1],
        name=row[2],
        is_scene=bool(row[3]),
        use_privacy_mode=bool(row[4]),
        annotation_metadata_schema=_loads(row[5]),
        item_metadata_schema=_loads(row[6]),
        created_at=row[7],
    )


def _chunks(values: Sequence[str], size: int = _IN_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Store:
    """One SQLite connection in WAL mode, serialised by a lock (handlers run on threads)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # No fsync: in WAL mode a crash of the process loses nothing (the OS has the writes);
        # only an OS crash could. NORMAL fsyncs at every checkpoint: half of a small append.
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute("PRAGMA temp_store=MEMORY")
        self._conn.execute("PRAGMA cache_size=-65536")  # KiB: 64 MiB of page cache
        self._conn.execute("PRAGMA foreign_keys=ON")
        with self.transaction() as conn:
            for ddl in SCHEMA:
                conn.execute(ddl)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside BEGIN IMMEDIATE … COMMIT (rolled back on error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads (under the lock, autocommit)."""
        with self._lock:
            yield self._conn

    # -- datasets -------------------------------------------------------------------------

    def create_dataset(
        self,
        owner: str,
        name: str,
        *,
        is_scene: bool = False,
        use_privacy_mode: bool = False,
        annotation_metadata_schema: Any = None,
        item_metadata_schema: Any = None,
    ) -> DatasetRow:
        row = DatasetRow(
            id=new_id("ds"),
            owner=owner,
            name=name,
            is_scene=is_scene,
            use_privacy_mode=use_privacy_mode,
            annotation_metadata_schema=annotation_metadata_schema,
            item_metadata_schema=item_metadata_schema,
            created_at=now_iso(),
        )
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.id,
                    owner,
                    name,
                    int(is_scene),
                    int(use_privacy_mode),
                    None
                    if annotation_metadata_schema is None
                    else _dumps(annotation_metadata_schema),
                    None if item_metadata_schema is None else _dumps(item_metadata_schema),
                    row.created_at,
                ),
            )
        return row

    def get_dataset(self, dataset_id: str) -> DatasetRow | None:
        with self.read() as conn:
            row = conn.execute("SELECT * FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        return None if row is None else _dataset(row)

    def list_datasets(self, owner: str) -> list[DatasetRow]:
        with self.read() as conn:
            rows = conn.execute(
                "SELECT * FROM datasets WHERE owner = ? ORDER BY created_at, rowid", (owner,)
            ).fetchall()
        return [_dataset(r) for r in rows]

    def delete_dataset(self, dataset_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM items WHERE dataset_id = ?", (dataset_id,))
            conn.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))

    # -- items ----------------------------------------------------------------------------

    def count_items(self, dataset_id: str) -> int:
        with self.read() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM items WHERE dataset_id = ?", (dataset_id,)
            ).fetchone()
        return int(count)

    def append_items(
        self, dataset_id: str, items: Sequence[ItemInput], *, update: bool
    ) -> AppendCounts:
        """Insert new reference ids; existing ones are updated when `update`, else ignored."""
        counts = AppendCounts()
        # (id, dataset, ref, image, pointcloud, metadata, width, height, embedding, blob),
        # encoded before the lock is taken.
        rows = [
            (
                new,
                dataset_id,
                item.reference_id,
                item.image_url,
                item.pointcloud_url,
                _dumps(item.metadata),
                item.width,
                item.height,
                None if item.embedding_info is None else _dumps(item.embedding_info),
                item.blob,
            )
            for new, item in zip(new_ids("di", len(items)), items, strict=True)
        ]
        with self.transaction() as conn:
            if not update:
                # The unique (dataset_id, reference_id) index skips known ids, and ids repeated
                # in the batch after their first occurrence: `rowcount` counts the new ones.
                stored = conn.executemany(_INSERT_ITEM + _IF_NEW, rows).rowcount if rows else 0
                counts.new_items = stored
                counts.ignored_items = len(rows) - stored
                return counts
            existing = self._existing_refs(conn, dataset_id, [i.reference_id for i in items])
            inserts: list[tuple[Any, ...]] = []
            updates: list[tuple[Any, ...]] = []
            for row in rows:
                ref = row[2]
                if ref in existing:
                    updates.append((*row[3:], dataset_id, ref))
                    counts.updated_items += 1
                    continue
                existing.add(ref)
                inserts.append(row)
                counts.new_items += 1
            if inserts:
                conn.executemany(_INSERT_ITEM, inserts)
            if updates:
                conn.executemany(
                    "UPDATE items SET image_url = ?, pointcloud_url = ?, metadata = ?, width = ?,"
                    " height = ?, embedding_info = ?, blob = ?"
                    " WHERE dataset_id = ? AND reference_id = ?",
                    updates,
                )
        return counts

    @staticmethod
    def _existing_refs(conn: sqlite3.Connection, dataset_id: str, refs: Sequence[str]) -> set[str]:
        found: set[str] = set()
        unique = list(dict.fromkeys(refs))
        for chunk in _chunks(unique):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT reference_id FROM items"
                f" WHERE dataset_id = ? AND reference_id IN ({marks})",
                (dataset_id, *chunk),
            )
            found.update(r[0] for r in rows)
        return found

    def item_by_ref(self, dataset_id: str, reference_id: str) -> ItemRow | None:
        return self._one_item("dataset_id = ? AND reference_id = ?", (dataset_id, reference_id))

    def item_by_id(self, dataset_id: str, item_id: str) -> ItemRow | None:
        return self._one_item("dataset_id = ? AND id = ?", (dataset_id, item_id))

    def item_by_index(self, dataset_id: str, index: int) -> ItemRow | None:
        with self.read() as conn:
            row = conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE dataset_id = ?"
                " ORDER BY seq LIMIT 1 OFFSET ?",
                (dataset_id, index),
            ).fetchone()
        return None if row is None else _item(row)

    def _one_item(self, where: str, args: tuple[Any, ...]) -> ItemRow | None:
        with self.read() as conn:
            row = conn.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE {where}", args).fetchone()
        return None if row is None else _item(row)

    def items_page(self, dataset_id: str, after_seq: int, limit: int) -> list[ItemRow]:
        """Up to `limit` items after insertion position `after_seq`, in insertion order."""
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE dataset_id = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (dataset_id, after_seq, limit),
            ).fetchall()
        return [_item(r) for r in rows]

    def all_items(self, dataset_id: str) -> list[ItemRow]:
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE dataset_id = ? ORDER BY seq",
                (dataset_id,),
            ).fetchall()
        return [_item(r) for r in rows]

    def delete_item(self, dataset_id: str, reference_id: str) -> bool:
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM items WHERE dataset_id = ? AND reference_id = ?",
                (dataset_id, reference_id),
            )
        return cursor.rowcount > 0

    def merge_item_metadata(
        self, dataset_id: str, updates: Iterable[tuple[str, dict[str, Any]]]
    ) -> tuple[list[str], list[str]]:
        """Merge each mapping into the item's metadata; returns (updated refs, missing refs)."""
        merged: dict[str, dict[str, Any]] = {}
        for ref, meta in updates:
            merged.setdefault(ref, {}).update(meta)
        updated: list[str] = []
        missing: list[str] = []
        with self.transaction() as conn:
            current: dict[str, dict[str, Any]] = {}
            refs = list(merged)
            for chunk in _chunks(refs):
                marks = ",".join("?" * len(chunk))
                for ref, text in conn.execute(
                    "SELECT reference_id, metadata FROM items"
                    f" WHERE dataset_id = ? AND reference_id IN ({marks})",
                    (dataset_id, *chunk),
                ):
                    current[ref] = json.loads(text)
            rows: list[tuple[str, str, str]] = []
            for ref in refs:
                if ref not in current:
                    missing.append(ref)
                    continue
                meta = current[ref]
                meta.update(merged[ref])
                rows.append((_dumps(meta), dataset_id, ref))
                updated.append(ref)
            conn.executemany(
                "UPDATE items SET metadata = ? WHERE dataset_id = ? AND reference_id = ?", rows
            )
        return updated, missing

    # -- signed-url uploads ---------------------------------------------------------------

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

    # -- jobs -----------------------------------------------------------------------------

    def create_job(
        self,
        owner: str,
        job_type: str,
        *,
        dataset_id: str | None,
        params: dict[str, Any],
        status: str = "Running",
    ) -> JobRow:
        job = JobRow(
            id=new_id("job"),
            owner=owner,
            dataset_id=dataset_id,
            job_type=job_type,
            status=status,
            message="",
            completed_steps=0,
            total_steps=0,
            params=params,
            created_at=now_iso(),
        )
        with self.transaction() as conn:
            conn.execute(
                f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    owner,
                    dataset_id,
                    job_type,
                    status,
                    _dumps(job.message),
                    0,
                    0,
                    _dumps(params),
                    job.created_at,
                ),
            )
        return job

    def get_job(self, job_id: str) -> JobRow | None:
        with self.read() as conn:
            row = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        return None if row is None else _job(row)

    def jobs_with_status(self, status: str) -> list[JobRow]:
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status = ? ORDER BY created_at", (status,)
            ).fetchall()
        return [_job(r) for r in rows]

    def list_jobs(
        self,
        owner: str,
        *,
        dataset_id: str | None = None,
        job_types: Sequence[str] = (),
        show_completed: bool = False,
        limit: int = 50000,
    ) -> list[JobRow]:
        """Jobs of `owner`, newest first (date filters are applied by the caller)."""
        where = ["owner = ?"]
        args: list[Any] = [owner]
        if dataset_id:
            where.append("dataset_id = ?")
            args.append(dataset_id)
        if job_types:
            where.append(f"job_type IN ({','.join('?' * len(job_types))})")
            args.extend(job_types)
        if not show_completed:
            where.append("status != 'Completed'")
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE {' AND '.join(where)}"
                " ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [_job(r) for r in rows]

    def update_job(
        self,
        job_id: str,
        *,
        status: str | None = None,
        message: Any = None,
        completed_steps: int | None = None,
        total_steps: int | None = None,
    ) -> None:
        sets: list[str] = []
        args: list[Any] = []
        for column, value in (
            ("status", status),
            ("completed_steps", completed_steps),
            ("total_steps", total_steps),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                args.append(value)
        if message is not None:
            sets.append("message = ?")
            args.append(_dumps(message))
        if not sets:
            return
        with self.transaction() as conn:
            conn.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*args, job_id))

    def add_job_errors(self, job_id: str, messages: Sequence[str]) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO job_errors (job_id, message) VALUES (?, ?)",
                [(job_id, m) for m in messages],
            )

    def job_errors(self, job_id: str, limit: int = 10000) -> list[str]:
        """The most recent `limit` errors of a job, oldest first."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT message FROM job_errors WHERE job_id = ? ORDER BY seq DESC LIMIT ?",
                (job_id, limit),
            ).fetchall()
        return [r[0] for r in reversed(rows)]
