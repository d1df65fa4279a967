"""The session a command runs in: the global options and the client they open.

Credentials and endpoint come from ``--api-key``/``--endpoint`` or ``NUCLEUS_API_KEY``/
``NUCLEUS_ENDPOINT``. ``--emulator`` runs against a local, in-process emulator whose data
lives in ``--emulator-dir`` (default ``./.nucleus-emulator``), so state persists between
commands.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import anyio

from nucleus_async import ASGITransport, Dataset, NucleusClient, RetryPolicy

from .errors import CommandError, ExitStatus

__all__ = ["EMULATOR_KEY", "Session", "emulator_class", "open_dataset"]

T = TypeVar("T")

#: The key used against ``--emulator`` when none is given (the emulator accepts any key).
EMULATOR_KEY = "nucleus-cli"


class Session:
    """Options shared by every command; opens a client for each command's work."""

    def __init__(
        self,
        *,
        api_key: str | None,
        endpoint: str | None,
        emulator: bool,
        emulator_dir: Path,
        retries: int | None,
        debug: bool,
    ) -> None:
        self.api_key = api_key
        self.endpoint = endpoint
        self.emulator = emulator
        self.emulator_dir = emulator_dir
        self.retries = retries
        self.debug = debug

    def __repr__(self) -> str:  # never the key
        return f"Session(endpoint={self.endpoint!r}, emulator={self.emulator!r})"

    def run(self, work: Callable[[NucleusClient], Awaitable[T]]) -> T:
        """Open a client (and an emulator when asked), run ``work`` on it, close everything."""

        async def main() -> T:
            async with AsyncExitStack() as stack:
                client = await stack.enter_async_context(self._client(stack))
                return await work(client)

        try:
            return anyio.run(main)
        except asyncio.CancelledError:
            # Ctrl-C cancels the main task; before Python 3.11 a task cannot be uncancelled,
            # so anyio's runner lets that cancellation out instead of KeyboardInterrupt.
            if sys.version_info >= (3, 11):
                raise
            raise KeyboardInterrupt from None

    def _client(self, stack: AsyncExitStack) -> NucleusClient:
        options: dict[str, Any] = {}
        if self.retries is not None:
            options["retry"] = RetryPolicy(max_attempts=self.retries + 1)
        if not self.emulator:
            return NucleusClient(self.api_key, endpoint=self.endpoint, **options)
        emulator = stack.enter_context(emulator_class()(self.emulator_dir))
        return NucleusClient(
            self.api_key or EMULATOR_KEY,
            endpoint=emulator.endpoint,
            http_transport=ASGITransport(emulator.app),
            **options,
        )


def emulator_class() -> Any:
    try:
        from nucleus_emulator import Emulator
    except ImportError as exc:
        raise CommandError(
            f"--emulator needs the emulator extra ({exc}): pip install 'nucleus-sdk[emulator]'",
            ExitStatus.USAGE,
        ) from None
    return Emulator


async def open_dataset(client: NucleusClient, dataset_id: str) -> Dataset:
    """The dataset a command works on: the one place a command resolves a dataset id."""
    return await client.get_dataset(dataset_id)
