"""Read-only queries of the console over the store's connection (never a write).

Every query is bounded: pages of items, counts grouped in SQL, the newest jobs only, so the pages
stay fast on a dataset of 100,000 items. Every read takes the owner's key and answers only rows
that key owns (a dataset, item, job or mask of another key reads as None).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from nucleus_emulator.store import Store
from nucleus_emulator.store.lookups import chunks, marks

#: How many of a key's newest jobs the home page lists.
RECENT_JOBS = 20
#: Items whose metadata keys are offered as filter suggestions (the first ones of the dataset).
METADATA_KEY_SAMPLE = 1000
#: Errors of one job shown on its page (the newest ones).
JOB_ERRORS_SHOWN = 500


@dataclass(frozen=True)
class OwnerSummary:
    """A key that owns data, with how many datasets it owns."""

    key: str
    datasets: int


@dataclass(frozen=True)
class SliceSummary:
    id: str
    name: str
    members: int


@dataclass(frozen=True)
class ModelSummary:
    """A model with predictions on a dataset: one of its runs there."""

    model_id: str
    name: str
    reference_id: str
    run_id: str
    run_name: str
    predictions: int


@dataclass(frozen=True)
class JobSummary:
    id: str
    job_type: str
    status: str
    dataset_id: str | None
    completed_steps: int
    total_steps: int
    created_at: str
    errors: int
    message: Any = None


@dataclass(frozen=True)
class DatasetSummary:
    id: str
    name: str
    created_at: str
    is_scene: bool
    items: int = 0
    annotations: int = 0
    predictions: int = 0
    slices: list[SliceSummary] = field(default_factory=list)
    models: list[ModelSummary] = field(default_factory=list)


@dataclass(frozen=True)
class ItemCard:
    """An item as the dataset grid shows it."""

    id: str
    reference_id: str
    image_url: str | None
    pointcloud_url: str | None
    stored_image: str | None
    metadata: dict[str, Any]
    annotations: int = 0
    predictions: int = 0


@dataclass(frozen=True)
class LabelCount:
    """Units of one (layer, kind, label): `run_id` None is ground truth."""

    run_id: str | None
    kind: str
    label: str | None
    count: int


@dataclass(frozen=True)
class ItemFilter:
    """The dataset grid's filters: a slice, a metadata key and (optionally) its value as text."""

    slice_id: str | None = None
    metadata_key: str | None = None
    metadata_value: str | None = None


@dataclass(frozen=True)
class ItemPage:
    items: list[ItemCard]
    total: int


@dataclass(frozen=True)
class StoredUnitRow:
    """One annotation or prediction of an item, as stored (`run_id` None is ground truth)."""

    id: str
    run_id: str | None
    kind: str
    label: str | None
    blob: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class ItemDetail:
    card: ItemCard
    dataset_id: str
    dataset_name: str
    width: int | None
    height: int | None
    units: list[StoredUnitRow]
    runs: dict[str, ModelSummary]
    previous_id: str | None
    next_id: str | None


@dataclass(frozen=True)
class JobDetail:
    job: JobSummary
    params: dict[str, Any]
    errors: list[str]


_ITEM_CARD_COLUMNS = "i.id, i.reference_id, i.image_url, i.pointcloud_url, i.blob, i.metadata"


def _card(row: Sequence[Any]) -> ItemCard:
    return ItemCard(
        id=row[0],
        reference_id=row[1],
        image_url=row[2],
        pointcloud_url=row[3],
        stored_image=row[4],
        metadata=json.loads(row[5]),
    )


_JOB_COLUMNS = (
    "j.id, j.job_type, j.status, j.dataset_id, j.completed_steps, j.total_steps, j.created_at,"
    " (SELECT COUNT(*) FROM job_errors e WHERE e.job_id = j.id), j.message"
)


def _job(row: Sequence[Any]) -> JobSummary:
    return JobSummary(
        id=row[0],
        job_type=row[1],
        status=row[2],
        dataset_id=row[3],
        completed_steps=row[4],
        total_steps=row[5],
        created_at=row[6],
        errors=row[7],
        message=json.loads(row[8]),
    )


#: A metadata value compared as text: JSON booleans as `true`/`false`, numbers as written.
_METADATA_VALUE_TEXT = (
    "CASE m.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(m.value AS TEXT) END"
)


class ConsoleQueries:
    """What the console reads: summaries, pages, one item, one job, each for one owner key."""

    def __init__(self, store: Store) -> None:
        self._db = store.connection

    def owners(self) -> list[OwnerSummary]:
        """Keys that own datasets, first owner first."""
        rows = self._db.fetch_all(
            tuple,
            "SELECT owner, COUNT(*) FROM datasets GROUP BY owner ORDER BY MIN(created_at), owner",
            (),
        )
        return [OwnerSummary(key=r[0], datasets=r[1]) for r in rows]

    def datasets(self, owner: str, dataset_id: str | None = None) -> list[DatasetSummary]:
        """The owner's datasets (or only `dataset_id`), oldest first: counts, slices, models."""
        only = "" if dataset_id is None else " AND id = ?"
        rows = self._db.fetch_all(
            tuple,
            f"SELECT id, name, created_at, is_scene FROM datasets WHERE owner = ?{only}"
            " ORDER BY created_at, rowid",
            (owner,) if dataset_id is None else (owner, dataset_id),
        )
        ids = [r[0] for r in rows]
        items: dict[str, int] = {}
        annotations: dict[str, int] = {}
        predictions: dict[str, int] = {}
        slices: dict[str, list[SliceSummary]] = {i: [] for i in ids}
        models: dict[str, list[ModelSummary]] = {i: [] for i in ids}
        with self._db.read() as conn:
            for chunk in chunks(ids):
                args = tuple(chunk)
                for ds, count in conn.execute(
                    "SELECT dataset_id, COUNT(*) FROM items"
                    f" WHERE dataset_id IN ({marks(chunk)}) GROUP BY dataset_id",
                    args,
                ):
                    items[ds] = count
                for ds, is_truth, count in conn.execute(
                    "SELECT dataset_id, scope = '', COUNT(*) FROM annotations"
                    f" WHERE dataset_id IN ({marks(chunk)}) GROUP BY dataset_id, scope = ''",
                    args,
                ):
                    (annotations if is_truth else predictions)[ds] = count
                for slice_id, ds, name, members in conn.execute(
                    "SELECT s.id, s.dataset_id, s.name,"
                    " (SELECT COUNT(*) FROM slice_members m WHERE m.slice_id = s.id)"
                    f" FROM slices s WHERE s.dataset_id IN ({marks(chunk)}) ORDER BY s.seq",
                    args,
                ):
                    slices[ds].append(SliceSummary(slice_id, name, members))
                for ds, summary in self._models(conn, chunk):
                    models[ds].append(summary)
        return [
            DatasetSummary(
                id=r[0],
                name=r[1],
                created_at=r[2],
                is_scene=bool(r[3]),
                items=items.get(r[0], 0),
                annotations=annotations.get(r[0], 0),
                predictions=predictions.get(r[0], 0),
                slices=slices[r[0]],
                models=models[r[0]],
            )
            for r in rows
        ]

    @staticmethod
    def _models(conn: Any, dataset_ids: Sequence[str]) -> list[tuple[str, ModelSummary]]:
        rows = conn.execute(
            "SELECT r.dataset_id, m.id, m.name, m.ref_id, r.id, r.name,"
            " (SELECT COUNT(*) FROM annotations a WHERE a.run_id = r.id)"
            " FROM model_runs r JOIN models m ON m.id = r.model_id"
            f" WHERE r.dataset_id IN ({marks(dataset_ids)}) ORDER BY r.seq",
            tuple(dataset_ids),
        ).fetchall()
        return [(r[0], ModelSummary(r[1], r[2], r[3], r[4], r[5], r[6])) for r in rows]

    def dataset(self, owner: str, dataset_id: str) -> DatasetSummary | None:
        """One of the owner's datasets with its counts, or None."""
        found = self.datasets(owner, dataset_id)
        return found[0] if found else None

    def recent_jobs(self, owner: str, dataset_id: str | None = None) -> list[JobSummary]:
        """The owner's newest jobs (of one dataset when given), newest first."""
        where, args = "j.owner = ?", [owner]
        if dataset_id is not None:
            where += " AND j.dataset_id = ?"
            args.append(dataset_id)
        return self._db.fetch_all(
            _job,
            f"SELECT {_JOB_COLUMNS} FROM jobs j WHERE {where}"
            " ORDER BY j.created_at DESC, j.rowid DESC LIMIT ?",
            (*args, RECENT_JOBS),
        )

    def job(self, owner: str, job_id: str) -> JobDetail | None:
        """One of the owner's jobs with its newest errors (oldest of those first), or None."""
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_JOB_COLUMNS}, j.params FROM jobs j WHERE j.id = ? AND j.owner = ?",
                (job_id, owner),
            ).fetchone()
            if row is None:
                return None
            errors = conn.execute(
                "SELECT message FROM job_errors WHERE job_id = ? ORDER BY seq DESC LIMIT ?",
                (job_id, JOB_ERRORS_SHOWN),
            ).fetchall()
        return JobDetail(
            job=_job(row), params=json.loads(row[9]), errors=[e[0] for e in reversed(errors)]
        )

    def label_counts(self, dataset_id: str) -> list[LabelCount]:
        """Units per (layer, kind, label) of a dataset (ground truth first)."""
        rows = self._db.fetch_all(
            tuple,
            "SELECT scope, kind, label, COUNT(*) FROM annotations WHERE dataset_id = ?"
            " GROUP BY scope, kind, label ORDER BY scope, kind, label",
            (dataset_id,),
        )
        return [LabelCount(r[0] or None, r[1], r[2], r[3]) for r in rows]

    def metadata_keys(self, dataset_id: str) -> list[str]:
        """Metadata keys of the dataset's first items (suggestions for the filter)."""
        rows = self._db.fetch_all(
            tuple,
            "SELECT DISTINCT m.key FROM (SELECT metadata FROM items WHERE dataset_id = ?"
            " ORDER BY seq LIMIT ?) AS i, json_each(i.metadata) AS m ORDER BY m.key",
            (dataset_id, METADATA_KEY_SAMPLE),
        )
        return [r[0] for r in rows]

    def items(self, dataset_id: str, where: ItemFilter, offset: int, limit: int) -> ItemPage:
        """A page of the dataset's items in insertion order, with the total that match."""
        conditions = ["i.dataset_id = ?"]
        args: list[Any] = [dataset_id]
        if where.slice_id:
            conditions.append(
                "i.id IN (SELECT item_id FROM slice_members WHERE slice_id = ?"
                " AND item_id IS NOT NULL)"
            )
            args.append(where.slice_id)
        if where.metadata_key:
            test = "m.key = ?"
            args.append(where.metadata_key)
            if where.metadata_value is not None:
                test += f" AND {_METADATA_VALUE_TEXT} = ?"
                args.append(where.metadata_value)
            conditions.append(f"EXISTS (SELECT 1 FROM json_each(i.metadata) AS m WHERE {test})")
        condition = " AND ".join(conditions)
        with self._db.read() as conn:
            (total,) = conn.execute(
                f"SELECT COUNT(*) FROM items i WHERE {condition}", tuple(args)
            ).fetchone()
            # The offset is walked on the (dataset_id, seq) index alone; only the page's rows
            # are read whole (a deep page of 100,000 items would otherwise decode every row).
            rows = conn.execute(
                f"SELECT {_ITEM_CARD_COLUMNS} FROM items i WHERE i.seq IN"
                f" (SELECT i.seq FROM items i WHERE {condition} ORDER BY i.seq LIMIT ? OFFSET ?)"
                " ORDER BY i.seq",
                (*args, limit, offset),
            ).fetchall()
        cards = [_card(r) for r in rows]
        counts = self._unit_counts([c.id for c in cards])
        return ItemPage(
            items=[
                replace(card, annotations=counts[card.id][0], predictions=counts[card.id][1])
                for card in cards
            ],
            total=total,
        )

    def _unit_counts(self, item_ids: list[str]) -> dict[str, tuple[int, int]]:
        """(ground truth, predictions) per item."""
        counts = {i: [0, 0] for i in item_ids}
        with self._db.read() as conn:
            for chunk in chunks(item_ids):
                for item_id, is_truth, count in conn.execute(
                    "SELECT item_id, scope = '', COUNT(*) FROM annotations"
                    f" WHERE item_id IN ({marks(chunk)}) GROUP BY item_id, scope = ''",
                    tuple(chunk),
                ):
                    counts[item_id][0 if is_truth else 1] = count
        return {i: (c[0], c[1]) for i, c in counts.items()}

    def item(self, owner: str, item_id: str) -> ItemDetail | None:
        """One of the owner's items with every unit stored on it, or None."""
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT {_ITEM_CARD_COLUMNS}, i.width, i.height, i.seq, d.id, d.name"
                " FROM items i JOIN datasets d ON d.id = i.dataset_id"
                " WHERE i.id = ? AND d.owner = ?",
                (item_id, owner),
            ).fetchone()
            if row is None:
                return None
            dataset_id, seq = row[9], row[8]
            units = [
                StoredUnitRow(u[0], u[1] or None, u[2], u[3], u[4], json.loads(u[5]))
                for u in conn.execute(
                    "SELECT id, scope, kind, label, blob, payload FROM annotations"
                    " WHERE target = ? ORDER BY scope, seq",
                    (item_id,),
                )
            ]
            neighbours = [
                conn.execute(
                    f"SELECT id FROM items WHERE dataset_id = ? AND seq {op} ?"
                    f" ORDER BY seq {order} LIMIT 1",
                    (dataset_id, seq),
                ).fetchone()
                for op, order in (("<", "DESC"), (">", "ASC"))
            ]
            runs = {
                summary.run_id: summary
                for ds, summary in self._models(conn, [dataset_id])
                if ds == dataset_id
            }
        counts = (
            sum(1 for u in units if u.run_id is None),
            sum(1 for u in units if u.run_id is not None),
        )
        return ItemDetail(
            card=replace(_card(row), annotations=counts[0], predictions=counts[1]),
            dataset_id=dataset_id,
            dataset_name=row[10],
            width=row[6],
            height=row[7],
            units=units,
            runs=runs,
            previous_id=None if neighbours[0] is None else neighbours[0][0],
            next_id=None if neighbours[1] is None else neighbours[1][0],
        )
