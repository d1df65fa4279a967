"""Errors of the fake core."""

from __future__ import annotations


class FakeError(Exception):
    """Raised by the fake core on purpose."""
