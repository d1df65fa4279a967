"""AsyncJobGroup: one handle on the jobs of an upload the service took in several parts."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import anyio

from .._session import SessionSource
from .jobs import FIRST_POLL_DELAY, MAX_POLL_DELAY, AsyncJob, JobStatus, is_error_status

__all__ = ["AsyncJobGroup", "job_handle"]

_IN_PROGRESS = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def job_handle(payloads: Sequence[Mapping[str, Any]], client: SessionSource) -> AsyncJob:
    """The handle of an asynchronous upload's job(s): an ``AsyncJob``, or a group of several."""
    jobs = [AsyncJob.from_json(payload, client) for payload in payloads]
    if len(jobs) == 1:
        return jobs[0]
    return AsyncJobGroup(jobs, client)


def _group_status(statuses: Sequence[str]) -> str:
    """An errored job's status if any, else ``Running``/``Queued`` while any is, else the last."""
    for status in statuses:
        if is_error_status(status):
            return status
    if JobStatus.RUNNING.value in statuses:
        return JobStatus.RUNNING.value
    if JobStatus.QUEUED.value in statuses:
        return JobStatus.QUEUED.value
    return statuses[-1]


class AsyncJobGroup(AsyncJob):
    """The jobs of one asynchronous upload, waited on as one ``AsyncJob``.

    An ``asynchronous=True`` upload larger than the service accepts in one file (about 512 MB
    of NDJSON) is sent in several parts, each its own job; the upload returns this group
    instead of a single ``AsyncJob``. It has the waiting methods of a job, over all of them:
    ``status()`` sums the steps and reports the first errored status (else ``Running`` while
    any job runs), ``errors()`` joins every job's errors, and ``wait_until_complete()`` waits
    for every job, raising the first ``JobError`` once all have ended. ``job_id`` is the first
    job's; ``jobs`` holds them all::

        job = await dataset.append(million_items, asynchronous=True)
        await job.wait_until_complete()
        print([j.job_id for j in getattr(job, "jobs", [job])])
    """

    def __init__(self, jobs: Sequence[AsyncJob], client: SessionSource) -> None:
        if not jobs:
            raise ValueError("a job group needs at least one job")
        first = jobs[0]
        super().__init__(
            first.job_id,
            _group_status([job.job_last_known_status for job in jobs]),
            first.job_type,
            first.job_creation_time,
            client,
        )
        self.jobs: list[AsyncJob] = list(jobs)

    def __repr__(self) -> str:
        ids = ", ".join(repr(job.job_id) for job in self.jobs)
        return f"AsyncJobGroup(jobs=[{ids}], job_last_known_status={self.job_last_known_status!r})"

    @property
    def _identity(self) -> Hashable:
        return tuple(job.job_id for job in self.jobs)

    async def status(self) -> dict[str, Any]:
        """The status of every job, folded: ``jobs`` lists each one's own answer."""
        answers: list[dict[str, Any]] = [{} for _ in self.jobs]
        failures: list[Exception] = []

        async def fetch(i: int, job: AsyncJob) -> None:
            try:
                answers[i] = await job.status()
            except Exception as exc:  # raised below as itself, not in an exception group
                failures.append(exc)

        async with anyio.create_task_group() as tasks:
            for i, job in enumerate(self.jobs):
                tasks.start_soon(fetch, i, job)
        if failures:
            raise failures[0]
        return self._fold(answers)

    def _fold(self, answers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        self.job_last_known_status = _group_status([job.job_last_known_status for job in self.jobs])
        total = sum(int(a.get("total_steps") or 0) for a in answers)
        done = sum(int(a.get("completed_steps") or 0) for a in answers)
        return {
            "job_id": self.job_id,
            "status": self.job_last_known_status,
            "message": "; ".join(str(a["message"]) for a in answers if a.get("message")),
            "job_progress": f"{done / total:.2f}" if total else "0.00",
            "completed_steps": done,
            "total_steps": total,
            "jobs": list(answers),
        }

    async def errors(self) -> list[str]:
        """The latest errors of every job, in job order."""
        errors: list[str] = []
        for job in self.jobs:
            errors += await job.errors()
        return errors

    async def wait_until_complete(
        self,
        *,
        timeout: float | None = None,
        poll_interval: float = FIRST_POLL_DELAY,
        max_poll_interval: float = MAX_POLL_DELAY,
        raise_on_error: bool = True,
        progress: bool | None = None,
    ) -> dict[str, Any]:
        """Wait until every job has ended; return the folded final status.

        Each job is waited on as :meth:`AsyncJob.wait_until_complete` does (concurrently).
        Once all have ended, raises the first failure in job order: a ``JobError`` when
        ``raise_on_error`` and a job ended in an ``Errored*`` state, ``JobTimeoutError`` when
        ``timeout`` passed first.
        """
        answers: list[dict[str, Any]] = [{} for _ in self.jobs]
        failures: list[Exception | None] = [None for _ in self.jobs]

        async def wait(i: int, job: AsyncJob) -> None:
            try:
                answers[i] = await job.wait_until_complete(
                    timeout=timeout,
                    poll_interval=poll_interval,
                    max_poll_interval=max_poll_interval,
                    raise_on_error=raise_on_error,
                    progress=progress,
                )
            except Exception as exc:
                # Recorded, not raised: the other jobs are waited on to their end.
                failures[i] = exc

        async with anyio.create_task_group() as tasks:
            for i, job in enumerate(self.jobs):
                tasks.start_soon(wait, i, job)
        for failure in failures:
            if failure is not None:
                raise failure
        return self._fold(answers)
