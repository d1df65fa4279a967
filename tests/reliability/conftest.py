"""Fixtures for reliability tests: an emulator per test, in-process and served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nucleus_emulator import Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def served(emu: Emulator) -> Iterator[str]:
    """The endpoint of ``emu`` served by uvicorn on a free loopback port."""
    with emu.serve() as endpoint:
        yield endpoint
