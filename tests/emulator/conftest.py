"""Fixtures for emulator tests: an in-process emulator and raw httpx clients bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from emulator_helpers import OTHER_KEY, create_dataset, make_client

from nucleus_emulator import Emulator


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    # Embedding files written to the test's folder are readable as file:// URLs (only there).
    with Emulator(readable_folders=[tmp_path]) as emulator:
        yield emulator


@pytest.fixture
async def api(emu: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(emu) as client:
        yield client


@pytest.fixture
async def other(emu: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    """A client with another key (owns nothing of `api`'s)."""
    async with make_client(emu, OTHER_KEY) as client:
        yield client


@pytest.fixture
async def dataset(api: httpx.AsyncClient) -> str:
    return await create_dataset(api)
