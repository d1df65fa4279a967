"""NucleusClient model methods (create, get, list, delete models; Launch models)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = ["ModelClientMethods"]


class ModelClientMethods:
    """NucleusClient model methods (create, get, list, delete models; Launch models)."""

    _transport: Transport
