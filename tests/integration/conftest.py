"""Fixtures for integration tests: a fresh in-process emulator per test, and the SDK's two faces.

Each test that takes ``face`` runs twice: once on the async core (``nucleus_async``) and once on
the generated sync facade (``nucleus_sync``), through the adaptor in ``support.faces``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import nucleus_async
from nucleus_emulator import Emulator
from support.faces import wrap_sync

API_KEY = "integration-key"
OTHER_KEY = "someone-else"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


def fast_retry() -> nucleus_async.RetryPolicy:
    async def no_sleep(_: float) -> None:
        return None

    return nucleus_async.RetryPolicy(max_attempts=3, sleep=no_sleep)


def client_options(emulator: Emulator) -> dict[str, Any]:
    """Both faces' clients: in-process, instant retries, no progress bars."""
    return {
        "endpoint": emulator.endpoint,
        "http_transport": nucleus_async.ASGITransport(emulator.app),
        "retry": fast_retry(),
        "progress": False,
    }


@pytest.fixture
async def aclient(emulator: Emulator) -> AsyncIterator[nucleus_async.NucleusClient]:
    async with nucleus_async.NucleusClient(API_KEY, **client_options(emulator)) as client:
        yield client


@pytest.fixture
def sclient(emulator: Emulator) -> Iterator[Any]:
    import nucleus_sync

    with nucleus_sync.NucleusClient(API_KEY, **client_options(emulator)) as client:
        yield client


@pytest.fixture(params=["async", "sync"])
def face(request: pytest.FixtureRequest) -> str:
    """Which face of the SDK the test drives."""
    return str(request.param)


@pytest.fixture
def client(face: str, request: pytest.FixtureRequest) -> Any:
    """The client for ``face``: the core client, or an awaitable view of the sync client."""
    if face == "async":
        return request.getfixturevalue("aclient")
    return wrap_sync(request.getfixturevalue("sclient"))


@pytest.fixture
async def other_client(emulator: Emulator) -> AsyncIterator[nucleus_async.NucleusClient]:
    """A client with another key: it owns nothing of ``client``'s."""
    async with nucleus_async.NucleusClient(OTHER_KEY, **client_options(emulator)) as other:
        yield other


@pytest.fixture
async def dataset(client: Any) -> Any:
    """A fresh item dataset on ``client``'s face."""
    return await client.create_dataset("integration", is_scene=False)
