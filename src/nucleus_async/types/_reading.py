"""Lenient reading: what the service sends is taken as sent; what user code builds is checked.

The official client reads whatever the service returns (a confidence above 1, a numeric
label, a float width, an empty ``embedding_info``); code migrating from it must read the same
data. Construction checks stay strict for objects user code builds: only a ``from_json`` call,
inside :func:`reading`, lets a failed check pass. A context variable scopes that to the
reading task or thread, so an object built elsewhere at the same time is still checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from .._errors import ValidationError

__all__ = ["check_unless_read", "reading"]


_READING: ContextVar[bool] = ContextVar("nucleus_async_reading", default=False)


class _Checked(Protocol):
    def validate(self) -> None: ...


@contextmanager
def reading() -> Iterator[None]:
    """Objects constructed inside come from the service: failed checks are tolerated."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def check_unless_read(unit: _Checked) -> None:
    """``unit.validate()``; inside :func:`reading`, a failed check is logged, not raised."""
    try:
        unit.validate()
    except ValidationError as exc:
        if not _READING.get():
            raise
        # logging is imported here, not at the top: ``import nucleus_async`` stays free of it
        # (tests/unit/test_import_cost.py), and a failed check on read is the rare case.
        import logging

        logger = logging.getLogger("nucleus_async")
        logger.debug("read %s as sent, unchecked: %s", type(unit).__name__, exc)
