"""Pytest fixtures for users' own test suites: an emulator and SDK clients bound to it.

Installed with the ``emulator`` extra and registered as a ``pytest11`` plugin, so the fixtures
are there without an import::

    def test_upload(nucleus_sync_client):
        dataset = nucleus_sync_client.create_dataset("t", is_scene=False)
        ...

Fixtures: ``nucleus_emulator`` (a fresh emulator per test; set the ini option
``nucleus_emulator_scope = session`` to share one), ``nucleus_endpoint`` (its in-process URL),
``nucleus_served_endpoint`` (the same emulator on a loopback port, for code that builds its own
client from ``NUCLEUS_ENDPOINT``), ``nucleus_async_client`` and ``nucleus_sync_client`` (bound to
it, progress bars off), ``nucleus_env`` (sets ``NUCLEUS_API_KEY``/``NUCLEUS_ENDPOINT`` to the
served emulator), and ``nucleus_latency`` / ``nucleus_faults`` (callables that inject latency or
faults into the emulator for the rest of the test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nucleus_emulator import Emulator

TEST_API_KEY = "pytest-nucleus-key"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "nucleus_emulator_scope",
        "Scope of the nucleus_emulator fixture: function (default), module or session.",
        default="function",
    )


def _emulator_scope(fixture_name: str, config: pytest.Config) -> str:
    scope = str(config.getini("nucleus_emulator_scope") or "function")
    if scope not in {"function", "class", "module", "package", "session"}:
        raise pytest.UsageError(f"nucleus_emulator_scope must be a pytest scope, got {scope!r}")
    return scope


@pytest.fixture(scope=_emulator_scope)  # type: ignore[arg-type]
def nucleus_emulator() -> Iterator[Emulator]:
    """A fresh Nucleus emulator (temporary data folder, removed afterwards)."""
    from nucleus_emulator import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def nucleus_endpoint(nucleus_emulator: Emulator) -> str:
    """The emulator's endpoint URL for in-process clients."""
    return nucleus_emulator.endpoint


@pytest.fixture
def nucleus_served_endpoint(nucleus_emulator: Emulator) -> Iterator[str]:
    """The emulator served on 127.0.0.1 (a free port) for the duration of the test."""
    with nucleus_emulator.serve() as endpoint:
        yield endpoint


@pytest.fixture
def nucleus_env(nucleus_served_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point ``NUCLEUS_API_KEY``/``NUCLEUS_ENDPOINT`` at the served emulator; returns the URL."""
    monkeypatch.setenv("NUCLEUS_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("NUCLEUS_ENDPOINT", nucleus_served_endpoint)
    return nucleus_served_endpoint


@pytest.fixture
def nucleus_async_client(nucleus_emulator: Emulator) -> Iterator[Any]:
    """A ``nucleus_async.NucleusClient`` bound to the emulator in-process (no port).

    Use it from async tests (pytest-asyncio or anyio); it needs no closing: the in-process
    transport holds no sockets.
    """
    import nucleus_async

    client = nucleus_async.NucleusClient(
        TEST_API_KEY,
        endpoint=nucleus_emulator.endpoint,
        http_transport=nucleus_async.ASGITransport(nucleus_emulator.app),
        progress=False,
    )
    yield client


@pytest.fixture
def nucleus_sync_client(nucleus_emulator: Emulator) -> Iterator[Any]:
    """A ``nucleus_sync.NucleusClient`` bound to the emulator in-process, closed afterwards."""
    import nucleus_sync

    with nucleus_sync.NucleusClient(
        TEST_API_KEY,
        endpoint=nucleus_emulator.endpoint,
        http_transport=nucleus_sync.ASGITransport(nucleus_emulator.app),
        progress=False,
    ) as client:
        yield client


@pytest.fixture
def nucleus_latency(nucleus_emulator: Emulator) -> Iterator[Callable[[float], None]]:
    """``nucleus_latency(0.05)`` adds 50 ms to every emulator answer until the test ends."""
    before = nucleus_emulator.latency

    def set_latency(seconds: float) -> None:
        nucleus_emulator.latency = seconds

    yield set_latency
    nucleus_emulator.latency = before


@pytest.fixture
def nucleus_faults(nucleus_emulator: Emulator) -> Iterator[Callable[..., None]]:
    """``nucleus_faults(rate=0.2, kinds=["503"], seed=1)`` injects seeded faults until the end."""

    def set_faults(rate: float, kinds: list[str] | None = None, seed: int = 0) -> None:
        configure = getattr(nucleus_emulator, "configure_faults", None)
        if configure is None:
            raise RuntimeError("This emulator version has no fault injection")
        configure(rate=rate, kinds=kinds, seed=seed)

    yield set_faults
    configure = getattr(nucleus_emulator, "configure_faults", None)
    if configure is not None:
        configure(rate=0.0)
