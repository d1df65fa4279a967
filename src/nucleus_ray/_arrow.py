"""The read's Arrow schema, and export rows turned into tables of that schema.

One row per item; its annotations (and a model's predictions) are lists of one struct type
whatever their kind: the common fields as columns (box geometry is null for other types) and
the full wire JSON in ``payload``, which ``NucleusDatasink`` accepts back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from nucleus_async import Annotation, DatasetItem

__all__ = ["OBJECT_TYPE", "SCHEMA", "object_record", "rows_table"]

OBJECT_TYPE = pa.struct(
    [
        ("type", pa.string()),
        ("annotation_id", pa.string()),
        ("label", pa.string()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("width", pa.float64()),
        ("height", pa.float64()),
        ("confidence", pa.float64()),
        ("payload", pa.string()),
    ]
)

#: Every block of a read has exactly this schema; ``predictions`` is null unless a model was
#: asked for, ``metadata`` is JSON text (item metadata has no fixed shape).
SCHEMA = pa.schema(
    [
        ("reference_id", pa.string()),
        ("image_location", pa.string()),
        ("pointcloud_location", pa.string()),
        ("width", pa.int64()),
        ("height", pa.int64()),
        ("metadata", pa.string()),
        ("annotations", pa.list_(OBJECT_TYPE)),
        ("predictions", pa.list_(OBJECT_TYPE)),
    ]
)


def _number(unit: Annotation, name: str) -> float | None:
    value = getattr(unit, name, None)
    return float(value) if isinstance(value, (int, float)) else None


def object_record(kind: str, unit: Annotation) -> dict[str, Any]:
    """One annotation or prediction as an ``OBJECT_TYPE`` record (``kind``: its export key)."""
    label = getattr(unit, "label", None)
    annotation_id = getattr(unit, "annotation_id", None)
    return {
        "type": kind,
        "annotation_id": annotation_id if isinstance(annotation_id, str) else None,
        "label": label if isinstance(label, str) else None,
        "x": _number(unit, "x"),
        "y": _number(unit, "y"),
        "width": _number(unit, "width"),
        "height": _number(unit, "height"),
        "confidence": _number(unit, "confidence"),
        "payload": unit.to_json(),
    }


def _records(by_kind: Mapping[str, Any]) -> list[dict[str, Any]]:
    records = []
    for kind, units in by_kind.items():
        # An export row holds one segmentation object, and lists of everything else.
        for unit in units if isinstance(units, Sequence) else [units]:
            records.append(object_record(kind, unit))
    return records


def _item_record(item: DatasetItem) -> dict[str, Any]:
    return {
        "reference_id": item.reference_id,
        "image_location": item.image_location,
        "pointcloud_location": item.pointcloud_location,
        "width": item.width,
        "height": item.height,
        "metadata": json.dumps(item.metadata, sort_keys=True),
    }


def rows_table(
    page: Iterable[Mapping[str, Any]],
    predictions: Mapping[str, list[dict[str, Any]]] | None,
) -> pa.Table:
    """Export rows (``{"item", "annotations"}``) → a table of :data:`SCHEMA`.

    ``predictions`` maps reference ids to prediction records (``None``: no model was asked
    for, and the column is null).
    """
    rows = []
    for row in page:
        item: DatasetItem = row["item"]
        record = _item_record(item)
        record["annotations"] = _records(row.get("annotations") or {})
        record["predictions"] = (
            None if predictions is None else predictions.get(item.reference_id, [])
        )
        rows.append(record)
    return pa.Table.from_pylist(rows, schema=SCHEMA)
