"""WireUnit: the base class of the data types that travel on the wire.

``to_payload`` / ``to_json`` / ``from_json`` hand the work to the converter wired into
:mod:`._codec` (the data types never import the converter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .._json import dumps_text
from ._codec import codec
from .base import JSONDict

__all__ = ["WireUnit"]

_Unit = TypeVar("_Unit", bound="WireUnit")


class WireUnit:
    """Base of the types that travel on the wire: ``to_payload``/``to_json``/``from_json``."""

    __slots__ = ()

    def to_payload(self) -> JSONDict:
        """Serializes the object to its schematized JSON dict."""
        return codec().unstructure(self)

    def to_json(self) -> str:
        """Serializes the object to a JSON string (NaN and infinity raise ``ValueError``)."""
        return dumps_text(self.to_payload())

    @classmethod
    def from_json(cls: type[_Unit], payload: Mapping[str, Any]) -> _Unit:
        """Instantiates the object from its schematized JSON dict payload."""
        return codec().structure(payload, cls)
