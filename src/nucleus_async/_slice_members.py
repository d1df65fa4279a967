"""Decoding of a slice's member list (``GET slice/{id}``): items, objects or scenes by id prefix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._scenes import scene_from_json
from .types import DatasetItem, annotation_from_json, prediction_from_json

__all__ = ["slice_members"]


def slice_member(entry: Mapping[str, Any]) -> Any:
    """One member, its class chosen by its id's prefix as the service assigns them.

    ``di_`` is a dataset item, ``ann_`` an annotation, ``pred_`` a prediction and ``scn_`` a
    scene; any other prefix is kept as the raw dict (a newer kind must not break a read).
    """
    prefix = str(entry.get("id", "")).split("_", 1)[0]
    if prefix == "di":
        return DatasetItem.from_json(entry)
    if prefix == "ann":
        return annotation_from_json(entry)
    if prefix == "pred":
        return prediction_from_json(entry)
    if prefix == "scn":
        return scene_from_json(entry)
    return dict(entry)


def slice_members(response: Any) -> list[Any]:
    """Every member of a ``GET slice/{id}`` answer (``{"items": [...]}``), decoded."""
    entries = response.get("items", []) if isinstance(response, Mapping) else []
    return [slice_member(entry) for entry in entries or []]
