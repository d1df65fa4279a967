"""Jobs: `JobRow` and `JobStore` over the `jobs` table (with each job's `job_errors`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nucleus_emulator.store.connection import StoreConnection
from nucleus_emulator.store.values import dumps, new_id, now_iso


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


_JOB_COLUMNS = (
    "id, owner, dataset_id, job_type, status, message, completed_steps, total_steps, params,"
    " created_at"
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


class JobStore:
    """Jobs of an owner: create, read, list, progress updates and per-job errors."""

    def __init__(self, db: StoreConnection) -> None:
        self._db = db

    def create(
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
        with self._db.transaction() as conn:
            conn.execute(
                f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    owner,
                    dataset_id,
                    job_type,
                    status,
                    dumps(job.message),
                    0,
                    0,
                    dumps(params),
                    job.created_at,
                ),
            )
        return job

    def get(self, job_id: str) -> JobRow | None:
        return self._db.fetch_one(_job, f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))

    def with_status(self, status: str) -> list[JobRow]:
        return self._db.fetch_all(
            _job, f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status = ? ORDER BY created_at", (status,)
        )

    def owned_by(
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
        return self._db.fetch_all(
            _job,
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE {' AND '.join(where)}"
            " ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (*args, limit),
        )

    def update(
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
            args.append(dumps(message))
        if not sets:
            return
        with self._db.transaction() as conn:
            conn.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*args, job_id))

    def add_errors(self, job_id: str, messages: Sequence[str]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO job_errors (job_id, message) VALUES (?, ?)",
                [(job_id, m) for m in messages],
            )

    def errors(self, job_id: str, limit: int = 10000) -> list[str]:
        """The most recent `limit` errors of a job, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT message FROM job_errors WHERE job_id = ? ORDER BY seq DESC LIMIT ?",
                (job_id, limit),
            ).fetchall()
        return [r[0] for r in reversed(rows)]

    def running_on_slice(self, slice_id: str) -> int:
        """How many Running jobs work on this slice (their params carry `slice_id`)."""
        with self._db.read() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE status = 'Running'"
                " AND json_extract(params, '$.slice_id') = ?",
                (slice_id,),
            ).fetchone()
        return int(count)
