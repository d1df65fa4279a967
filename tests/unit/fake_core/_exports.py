"""A job subclass in a module of its own, that the core does not export."""

from __future__ import annotations

import anyio

from ._jobs import AsyncJob


class ExportJob(AsyncJob):
    """A job whose result can be downloaded."""

    async def download(self) -> list[str]:
        """Download the export."""
        await anyio.sleep(0)
        return [self.job_id]
