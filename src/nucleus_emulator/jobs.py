"""Background jobs: `JobRunner`, the worker thread that runs job bodies, and job JSON shapes."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nucleus_emulator.blobs import BlobStore
from nucleus_emulator.store import Store
from nucleus_emulator.store.jobs import JobRow

logger = logging.getLogger("nucleus_emulator")

RUNNING = "Running"
COMPLETED = "Completed"
ERRORED_SERVER = "Errored_Server"
ERRORED_USER = "Errored_User"
TERMINAL_STATUSES = frozenset(
    {
        COMPLETED,
        "Errored",
        ERRORED_SERVER,
        ERRORED_USER,
        "Errored_Partial",
        "Errored_Hanging",
        "Cancelled",
        "Retried",
    }
)


class JobFailed(Exception):
    """Raised by a job body to end it in `status` (default `Errored_User`) with `message`."""

    def __init__(self, message: str, status: str = ERRORED_USER) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class JobContext:
    """What a job body gets: storage, its job row, and progress/error reporting."""

    store: Store
    blobs: BlobStore
    job: JobRow
    total_steps: int = 0
    completed_steps: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def set_total(self, total_steps: int) -> None:
        self.total_steps = total_steps
        self.store.jobs.update(self.job.id, total_steps=total_steps)

    def advance(self, steps: int = 1) -> None:
        """Record progress (and flush the errors collected so far)."""
        self.completed_steps += steps
        self.flush_errors()
        self.store.jobs.update(self.job.id, completed_steps=self.completed_steps)

    def error(self, message: str) -> None:
        """A per-unit error, visible at `job/{id}/errors`; the job still completes."""
        self.errors.append(message)

    def flush_errors(self) -> None:
        if self.errors:
            self.store.jobs.add_errors(self.job.id, self.errors)
            self.errors = []


#: A job body returns the final `message` (a string or a JSON object).
JobBody = Callable[[JobContext], Any]


def job_progress(job: JobRow) -> str:
    """`"0.33"`-style progress; terminal jobs report `"1.00"`."""
    if job.status == COMPLETED:
        return "1.00"
    if job.total_steps <= 0:
        return "0.00"
    return f"{min(job.completed_steps / job.total_steps, 1.0):.2f}"


def job_object(job: JobRow) -> dict[str, Any]:
    """The job object answered by every route that starts background work."""
    return {
        "job_id": job.id,
        "job_last_known_status": job.status,
        "job_type": job.job_type,
        "job_creation_time": job.created_at,
    }


def job_status(job: JobRow) -> dict[str, Any]:
    """The status dict of `GET job/{id}`."""
    return {
        "job_id": job.id,
        "status": job.status,
        "message": job.message,
        "job_progress": job_progress(job),
        "completed_steps": job.completed_steps,
        "total_steps": job.total_steps,
        "job_type": job.job_type,
        "job_creation_time": job.created_at,
    }


class JobRunner:
    """Runs submitted jobs one after another on a daemon thread started on first use.

    Independent of ASGI lifespan, so jobs progress both in-process (an ASGI transport runs no
    lifespan) and served. `pause()`/`resume()` let tests observe a job while it is Running.
    `bodies` maps each job type to the body that runs it (the route families' `job_bodies`).
    """

    def __init__(self, store: Store, blobs: BlobStore, bodies: Mapping[str, JobBody]) -> None:
        self.store = store
        self.blobs = blobs
        self._bodies = dict(bodies)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._running.set()
        self._idle = threading.Condition()
        self._pending = 0
        self._closed = False

    def start(
        self, owner: str, job_type: str, *, dataset_id: str | None, params: dict[str, Any]
    ) -> JobRow:
        """Record a Running job and queue it; returns the row (answer it with `job_object`)."""
        job = self.store.jobs.create(owner, job_type, dataset_id=dataset_id, params=params)
        self.submit(job)
        return job

    def submit(self, job: JobRow) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(job.id)
        self._ensure_thread()

    def resume_unfinished(self) -> None:
        """Re-queue jobs left Running by a previous process using the same data folder."""
        for job in self.store.jobs.with_status(RUNNING):
            self.submit(job)

    def pause(self) -> None:
        """Hold jobs (they stay Running) until `resume()`."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted job has finished; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        self._running.set()
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=10)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._closed or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(
                target=self._work, name="nucleus-emulator-jobs", daemon=True
            )
            self._thread.start()

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            self._running.wait()
            try:
                if not self._closed:
                    self._run(job_id)
            except Exception:  # the worker must survive anything a job body does
                logger.exception("Job %s crashed the runner", job_id)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _run(self, job_id: str) -> None:
        job = self.store.jobs.get(job_id)
        if job is None or job.status != RUNNING:
            return
        body = self._bodies.get(job.job_type)
        ctx = JobContext(self.store, self.blobs, job)
        if body is None:
            self.store.jobs.update(
                job_id, status=ERRORED_SERVER, message=f"Unknown job type {job.job_type}"
            )
            return
        try:
            message = body(ctx)
        except JobFailed as exc:
            ctx.flush_errors()
            self.store.jobs.update(job_id, status=exc.status, message=exc.message)
            return
        except Exception as exc:
            logger.exception("Job %s (%s) failed", job_id, job.job_type)
            ctx.flush_errors()
            self.store.jobs.update(job_id, status=ERRORED_SERVER, message=f"Internal error: {exc}")
            return
        ctx.flush_errors()
        total = max(ctx.total_steps, ctx.completed_steps, 1)
        self.store.jobs.update(
            job_id,
            status=COMPLETED,
            message=message if message is not None else "Job completed successfully.",
            completed_steps=total,
            total_steps=total,
        )
