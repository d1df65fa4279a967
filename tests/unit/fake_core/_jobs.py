"""Jobs, and a job subclass that is not exported."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from ._client import NucleusClient

DEFAULT_POLL = 0.01


class AsyncJob:
    """A job.

    ::

        job = await client.start_job("x")
        await job.wait_until_complete()
    """

    def __init__(self, job_id: str, client: NucleusClient) -> None:
        self.job_id = job_id
        self._client = client

    def __repr__(self) -> str:
        return f"AsyncJob({self.job_id!r})"

    @classmethod
    def from_json(cls, payload: dict[str, Any], client: NucleusClient) -> AsyncJob:
        """Build a job from a payload."""
        return cls(payload["job_id"], client)

    @staticmethod
    def is_error(status: str) -> bool:
        """Whether a status is an error."""
        return status.startswith("Errored")

    @property
    def client(self) -> NucleusClient:
        """The client this job belongs to."""
        return self._client

    async def wait_until_complete(self, *, poll_interval: float = DEFAULT_POLL) -> str:
        """Wait for the job."""
        await anyio.sleep(poll_interval)
        return "Completed"


async def wait_for_jobs(jobs: Iterable[AsyncJob], *, timeout: float | None = None) -> list[str]:
    """Wait on many jobs at once (a module-level coroutine the facade must block on)."""
    return [await job.wait_until_complete() for job in jobs]
