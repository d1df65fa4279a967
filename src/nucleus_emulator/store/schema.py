"""The SQLite schema of the emulator: `SCHEMA`, the DDL run (idempotently) on every open."""

from __future__ import annotations

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
