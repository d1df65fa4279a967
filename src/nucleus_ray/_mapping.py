"""RowMapper: turns Ray rows into DatasetItems, annotations or predictions, naming bad rows.

The column mapping (documented in ``docs/ray.md``):

* items: ``reference_id`` (required), ``image_location`` or ``pointcloud_location``,
  ``metadata`` (a dict or JSON text), ``width``, ``height``.
* annotations and predictions: a ``payload`` column holding the wire JSON of any type (a dict
  or JSON text; what :func:`read_nucleus` gives in each annotation's ``payload``), or the flat
  columns of a ``type`` (default ``"box"``): ``box`` takes ``reference_id``, ``label``, ``x``,
  ``y``, ``width``, ``height``, ``annotation_id``, ``metadata``; ``category`` takes
  ``reference_id``, ``label``, ``taxonomy_name``, ``metadata``. Predictions also take
  ``confidence`` and ``class_pdf``.

``columns={"field": "column"}`` renames; a ``row_mapper`` function replaces the mapping.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal

from nucleus_async import (
    Annotation,
    BoxAnnotation,
    BoxPrediction,
    CategoryAnnotation,
    CategoryPrediction,
    CuboidAnnotation,
    DatasetItem,
    LineAnnotation,
    PolygonAnnotation,
    Prediction,
    ValidationError,
    annotation_from_json,
    prediction_from_json,
)

__all__ = ["Kind", "RowMapper", "Unit"]

Kind = Literal["items", "annotations", "predictions"]
Unit = DatasetItem | Annotation
RowFunction = Callable[[dict[str, Any]], Any]

_ITEM_FIELDS = ("reference_id", "image_location", "pointcloud_location", "width", "height")
_FLAT_TYPES = ("box", "category")
_BOX_FIELDS = ("label", "x", "y", "width", "height", "reference_id", "annotation_id")
_CATEGORY_FIELDS = ("label", "reference_id", "taxonomy_name")
_PREDICTION_FIELDS = ("confidence", "class_pdf")
#: Types whose identity is (item, annotation_id) and that get no id from their content: a
#: resent row without an id would be stored twice.
_NEED_ANNOTATION_ID = (LineAnnotation, PolygonAnnotation, CuboidAnnotation)


class RowMapper:
    """Maps rows of one kind to SDK objects and remembers the reference id of every row.

    Picklable (it travels inside the sink). ``map(rows)`` is lazy, so a block streams into
    the upload: rows mapped after a failure were never sent.
    """

    def __init__(
        self,
        kind: Kind,
        *,
        columns: Mapping[str, str] | None = None,
        row_mapper: RowFunction | None = None,
    ) -> None:
        if kind not in ("items", "annotations", "predictions"):
            raise ValueError(f"kind must be 'items', 'annotations' or 'predictions', not {kind!r}")
        self.kind: Kind = kind
        self._columns = dict(columns or {})
        self._row_mapper = row_mapper

    def map(self, rows: Iterable[Mapping[str, Any]], seen: list[str]) -> Iterator[Unit]:
        """Yield one object per row, appending each row's reference id to ``seen``."""
        for index, row in enumerate(rows):
            unit = self.map_row(index, dict(row))
            seen.append(unit.reference_id)
            yield unit

    def map_row(self, index: int, row: dict[str, Any]) -> Unit:
        """One row → one object, or a ``ValidationError`` naming the row."""
        ref = row.get(self._column("reference_id"))
        try:
            unit = self._row_mapper(row) if self._row_mapper is not None else self._mapped(row)
            self._check(unit)
        except ValidationError as exc:
            # The core's message already names its field (and, when it knows it, the row's
            # reference id); the position is added, and the id when the core did not know it.
            named = None if exc.obj is not None else _shown(ref)
            raise ValidationError(f"row {index} of the block: {exc}", obj=named) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(
                f"row {index} of the block: {type(exc).__name__}: {exc}", obj=_shown(ref)
            ) from exc
        return unit

    def _column(self, field: str) -> str:
        return self._columns.get(field, field)

    def _values(self, row: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
        values = {}
        for field in fields:
            value = row.get(self._column(field))
            if value is not None:
                values[field] = value
        return values

    def _metadata(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        value = row.get(self._column("metadata"))
        if value is None or isinstance(value, dict):
            return value
        if isinstance(value, str):
            decoded = json.loads(value)
            if isinstance(decoded, dict):
                return decoded
        raise ValidationError(
            f"must be a dict or the JSON text of one, got {type(value).__name__}",
            field=self._column("metadata"),
        )

    def _mapped(self, row: Mapping[str, Any]) -> Unit:
        if self.kind == "items":
            return DatasetItem(**self._values(row, _ITEM_FIELDS), metadata=self._metadata(row))
        predictions = self.kind == "predictions"
        payload = row.get(self._column("payload"))
        if payload is not None:
            wire = json.loads(payload) if isinstance(payload, str) else dict(payload)
            return prediction_from_json(wire) if predictions else annotation_from_json(wire)
        kind = row.get(self._column("type")) or "box"
        extra = _PREDICTION_FIELDS if predictions else ()
        metadata = self._metadata(row)
        if kind == "box":
            values = self._values(row, (*_BOX_FIELDS, *extra))
            cls: Callable[..., Annotation] = BoxPrediction if predictions else BoxAnnotation
        elif kind == "category":
            values = self._values(row, (*_CATEGORY_FIELDS, *extra))
            cls = CategoryPrediction if predictions else CategoryAnnotation
        else:
            raise ValidationError(
                f"type {kind!r} has no flat columns (only {list(_FLAT_TYPES)}); send its wire "
                f"JSON in the {self._column('payload')!r} column or pass a row_mapper",
                field=self._column("type"),
            )
        return cls(**values, metadata=metadata)

    def _check(self, unit: object) -> None:
        if self.kind == "items":
            expected: type | tuple[type, ...] = DatasetItem
        elif self.kind == "predictions":
            expected = Prediction
        else:
            expected = Annotation
        if not isinstance(unit, expected) or (
            self.kind == "annotations" and isinstance(unit, Prediction)
        ):
            raise ValidationError(
                f"a {self.kind} write needs {_noun(self.kind)} objects, got {type(unit).__name__}"
            )
        if isinstance(unit, _NEED_ANNOTATION_ID) and unit.annotation_id is None:
            raise ValidationError(
                "is required for this type in a Ray write: Ray resends the rows of a retried "
                "task, and only an annotation_id makes the resend idempotent",
                field="annotation_id",
            )


def _noun(kind: Kind) -> str:
    return {"items": "DatasetItem", "annotations": "Annotation", "predictions": "Prediction"}[kind]


def _shown(ref: Any) -> str | None:
    return ref if isinstance(ref, str) else None
