"""Fixtures for end-to-end tests: an emulator served over TCP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nucleus_emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def served_endpoint(emulator: Emulator) -> Iterator[str]:
    """The endpoint URL of `emulator` served on a free loopback port."""
    with emulator.serve(host="127.0.0.1", port=0) as endpoint:
        assert endpoint.startswith("http://127.0.0.1:")
        yield endpoint
