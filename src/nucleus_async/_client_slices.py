"""NucleusClient slice, autotag and project methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = ["SliceClientMethods"]


class SliceClientMethods:
    """NucleusClient slice, autotag and project methods."""

    _transport: Transport
