"""AsyncJob: the handle of a long-running server-side operation (status, waiting, listing)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import anyio

from .._errors import JobError, JobTimeoutError, NucleusAPIError, NucleusConnectionError
from .._job_queries import job_list_payload
from .._progress import ProgressTask, progress_for
from .._session import Session, SessionSource
from ._base import Resource

__all__ = ["AsyncJob", "JobStatus", "job_stats", "list_jobs", "wait_for_jobs"]

logger = logging.getLogger("nucleus_async")

#: Polling starts at once, then backs off geometrically to a cap, so a quick job is seen
#: quickly and a long one does not hammer the service. With 1.2 the gap between polls stays
#: under a quarter of the time waited (0.43 s around 2 s: a 2 s job is seen < 0.5 s late), and
#: reaches the 5 s cap after ~21 polls (~25 s).
FIRST_POLL_DELAY = 0.1
POLL_BACKOFF = 1.2
MAX_POLL_DELAY = 5.0


def _show_steps(bar: ProgressTask, status: Mapping[str, Any], shown: int) -> int:
    """Move the bar to the job's completed steps; return the steps now shown."""
    total, done = status.get("total_steps"), status.get("completed_steps")
    try:
        total_steps = int(total) if total is not None else None
        done_steps = int(done) if done is not None else shown
    except (TypeError, ValueError):
        return shown
    if total_steps:
        bar.set_total(total_steps)
    if done_steps > shown:
        bar.advance(done_steps - shown)
        return done_steps
    return shown


class JobStatus(str, Enum):
    """Every status the service reports for a job."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    ERRORED = "Errored"
    ERRORED_SERVER = "Errored_Server"
    ERRORED_USER = "Errored_User"
    ERRORED_PARTIAL = "Errored_Partial"
    ERRORED_HANGING = "Errored_Hanging"
    CANCELLED = "Cancelled"
    RETRIED = "Retried"


_IN_PROGRESS = frozenset({JobStatus.QUEUED.value, JobStatus.RUNNING.value})


def _is_transient(status_code: int) -> bool:
    # Worth polling again: rate limiting, request timeouts and server-side failures.
    return status_code in (408, 429) or status_code >= 500


def is_error_status(status: str) -> bool:
    return status.startswith("Errored")


def _unescape_error(text: str) -> str:
    # The service double-escapes newlines, tabs and quotes inside error strings.
    return text.replace("\\\\n", "\n").replace("\\\\t", "\t").replace('\\\\"', '"')


class AsyncJob(Resource):
    """Object used to check the status or errors of a long running asynchronous operation.

    ::

        job = await dataset.append(items, asynchronous=True)
        print(await job.status())
        await job.wait_until_complete(timeout=600)
    """

    def __init__(
        self,
        job_id: str,
        job_last_known_status: str,
        job_type: str,
        job_creation_time: str,
        client: SessionSource,
    ) -> None:
        super().__init__(client)
        self.job_id = job_id
        self.job_last_known_status = job_last_known_status
        self.job_type = job_type
        self.job_creation_time = job_creation_time

    def __repr__(self) -> str:
        return (
            f"AsyncJob(job_id={self.job_id!r}, job_last_known_status="
            f"{self.job_last_known_status!r}, job_type={self.job_type!r})"
        )

    @property
    def _identity(self) -> Hashable:
        return self.job_id

    @property
    def _route_root(self) -> str:
        return f"job/{self.job_id}"

    @classmethod
    def from_json(cls, payload: Mapping[str, Any], client: SessionSource) -> AsyncJob:
        """Build a job from the service's job object (``job_id``, status, type, creation time)."""
        try:
            return cls(
                job_id=payload["job_id"],
                job_last_known_status=payload["job_last_known_status"],
                job_type=payload["job_type"],
                job_creation_time=payload["job_creation_time"],
                client=client,
            )
        except (KeyError, TypeError):
            raise ValueError(f"Not a job object: {payload!r:.300}") from None

    @classmethod
    async def from_id(cls, job_id: str, client: SessionSource) -> AsyncJob:
        """Creates a job instance from a specific job Id (one request, for its status)."""
        source = client.session
        response = await source.transport.request("GET", f"job/{job_id}/info")
        return cls.from_json(response, source)

    async def status(self) -> dict[str, Any]:
        """Fetches status of the job and an informative message on job progress.

        Returns a dict with ``job_id``, ``status`` (``Running``, ``Completed``, ``Errored_…``),
        ``message``, ``job_progress``, ``completed_steps`` and ``total_steps``.
        """
        response = await self._transport.request("GET", self._route())
        if not isinstance(response, Mapping) or "status" not in response:
            raise ValueError(f"Job status without 'status': {response!r:.300}")
        self.job_last_known_status = str(response["status"])
        return dict(response)

    async def errors(self) -> list[str]:
        """Fetches a list of the latest errors generated by the asynchronous job."""
        response = await self._transport.request("GET", self._route("errors"))
        if isinstance(response, Mapping):
            response = response.get("errors", [])
        return [_unescape_error(str(e)) for e in (response or [])]

    async def wait_until_complete(
        self,
        *,
        timeout: float | None = None,
        poll_interval: float = FIRST_POLL_DELAY,
        max_poll_interval: float = MAX_POLL_DELAY,
        raise_on_error: bool = True,
        progress: bool | None = None,
    ) -> dict[str, Any]:
        """Wait until the job leaves ``Queued``/``Running``; return its final status.

        The first poll is immediate; later polls back off from ``poll_interval`` to
        ``max_poll_interval``. A transient failure of a poll (connection error, 5xx after the
        transport's retries) is logged and polling goes on. Raises ``JobError`` (with the job's
        errors) when the job ends in an ``Errored*`` state and ``raise_on_error`` is true, and
        ``JobTimeoutError`` when ``timeout`` seconds pass first (the job keeps running).
        ``progress`` shows a bar of the job's steps (default: the client's setting).
        """
        with progress_for(self._session.progress(progress)).task(
            f"Waiting for job {self.job_id}"
        ) as bar:
            return await self._wait(timeout, poll_interval, max_poll_interval, raise_on_error, bar)

    async def _wait(
        self,
        timeout: float | None,
        poll_interval: float,
        max_poll_interval: float,
        raise_on_error: bool,
        bar: ProgressTask,
    ) -> dict[str, Any]:
        steps_shown = 0
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = poll_interval
        last: dict[str, Any] | None = None
        while True:
            try:
                # A poll (with the transport's retries and backoff) may take longer than the
                # caller's whole budget: it is cut at the deadline.
                with anyio.move_on_after(
                    math.inf if deadline is None else deadline - time.monotonic()
                ):
                    last = await self.status()
            except (NucleusConnectionError, NucleusAPIError) as exc:
                if isinstance(exc, NucleusAPIError) and not _is_transient(exc.status_code):
                    raise
                logger.info("job %s: status poll failed (%s); polling on", self.job_id, exc)
            else:
                if last is not None:
                    steps_shown = _show_steps(bar, last, steps_shown)
                    if self.job_last_known_status not in _IN_PROGRESS:
                        break
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise JobTimeoutError(self.job_id, timeout or 0.0, self.job_last_known_status)
                await anyio.sleep(min(delay, remaining))
            else:
                await anyio.sleep(delay)
            delay = min(max_poll_interval, delay * POLL_BACKOFF)
        assert last is not None
        if raise_on_error and is_error_status(self.job_last_known_status):
            raise JobError(
                self.job_id,
                self.job_last_known_status,
                last.get("message"),
                await self._safe_errors(),
            )
        return last

    async def sleep_until_complete(self, verbose_std_out: bool = True) -> None:
        """Blocks until the job completes or errors (raises ``JobError`` on an error state).

        ``verbose_std_out`` logs each status change at INFO (this library never prints).
        """
        result = await self.wait_until_complete()
        if verbose_std_out:
            logger.info("job %s finished: %s", self.job_id, result.get("status"))

    async def _safe_errors(self) -> list[str]:
        try:
            return await self.errors()
        except (NucleusConnectionError, NucleusAPIError):
            return []


async def wait_for_jobs(
    jobs: Iterable[AsyncJob], *, timeout: float | None = None, raise_on_error: bool = True
) -> list[dict[str, Any]]:
    """Wait on many jobs at once; return their final statuses in the order given."""
    job_list = list(jobs)
    results: list[dict[str, Any]] = [{} for _ in job_list]

    async def wait_one(i: int, job: AsyncJob) -> None:
        results[i] = await job.wait_until_complete(timeout=timeout, raise_on_error=raise_on_error)

    async with anyio.create_task_group() as tg:
        for i, job in enumerate(job_list):
            tg.start_soon(wait_one, i, job)
    return results


async def list_jobs(
    session: Session,
    *,
    show_completed: bool,
    from_date: str | datetime | None,
    to_date: str | datetime | None,
    job_types: list[str] | None,
    limit: int | None,
    dataset_id: str | None,
) -> list[AsyncJob]:
    """The jobs of the session's key, filtered as ``NucleusClient.list_jobs`` describes."""
    payload = job_list_payload(
        show_completed=show_completed,
        from_date=from_date,
        to_date=to_date,
        job_types=job_types,
        limit=limit,
        dataset_id=dataset_id,
    )
    response = await session.transport.request("POST", "jobs/", payload)
    return [AsyncJob.from_json(job, session) for job in response or []]


def job_stats(jobs: Iterable[AsyncJob]) -> dict[str, dict[str, int]]:
    """``{job_type: {last known status: count}}`` over ``jobs``."""
    stats: dict[str, dict[str, int]] = {}
    for job in jobs:
        by_status = stats.setdefault(job.job_type, {})
        by_status[job.job_last_known_status] = by_status.get(job.job_last_known_status, 0) + 1
    return stats
