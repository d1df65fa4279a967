"""The wire codec slot: the converter every data type serialises through, wired from outside.

The data types never import the converter (the converter imports them). What they need from it
is the :class:`WireCodec` protocol; the package root (``nucleus_async/__init__.py``, which runs
before any submodule can be used) plugs the converter in once with :func:`use_codec`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

__all__ = ["WireCodec", "codec", "use_codec"]

T = TypeVar("T")


class WireCodec(Protocol):
    """What ``to_payload`` / ``from_json`` of the data types ask of the converter."""

    def unstructure(self, unit: object) -> dict[str, Any]:
        """The wire payload of a data type."""
        ...

    def item_payload(self, item: object, is_scene: bool) -> dict[str, Any]:
        """A ``DatasetItem``'s payload: ``image_url`` form, or (``is_scene``) the scene form."""
        ...

    def structure(self, payload: Mapping[str, Any], cls: type[T]) -> T:
        """``cls`` built from the server's JSON; malformed JSON raises ``ValidationError``."""
        ...

    def structure_lidar_scene(
        self, payload: Mapping[str, Any], cls: type[T], skip_validate: bool
    ) -> T:
        """A ``LidarScene`` (subclass) built from JSON, validated unless ``skip_validate``."""
        ...


_wired: WireCodec | None = None


def use_codec(wire_codec: WireCodec) -> None:
    """Makes ``wire_codec`` the converter of every data type (the package root calls this)."""
    global _wired
    _wired = wire_codec


def codec() -> WireCodec:
    """The wired converter; ``RuntimeError`` if the package root has not wired one yet."""
    wired = _wired
    if wired is None:
        raise RuntimeError(
            "nucleus_async.types has no wire codec yet: importing nucleus_async wires it"
        )
    return wired
