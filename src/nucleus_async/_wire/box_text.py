"""The wire text of plain boxes, written from columns instead of a payload dict per box.

A box with string ids, plain numbers and nothing optional set (no metadata, embedding, track
or task id; for a prediction no ``class_pdf``) is the bulk of every ``annotate`` and
``upload_predictions`` call. Its JSON is a fixed text with seven holes (eight with a
confidence). Building two dicts per box for the encoder to walk was most of a 100,000-box
upload's encoding; here a piece's values are encoded a column at a time, one orjson call for
its strings and one for its numbers (:func:`~.._json.orjson_strings`,
:func:`~.._json.orjson_numbers`), and put in the holes.

The bytes are the payload path's (the standard library's), which the tests hold on every
shape. Anything else sends the piece down the payload path (the functions answer None):
another type or shape, a number orjson writes differently from the standard library (below
1e-4), a string orjson refuses, or no orjson.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from .._json import orjson_numbers, orjson_strings
from ..types.annotations import BoxAnnotation
from ..types.predictions import BoxPrediction

__all__ = ["plain_boxes_lines", "plain_boxes_text"]

_BOX = (
    b'{"label":"%b","type":"box","geometry":{"x":%b,"y":%b,"width":%b,"height":%b},'
    b'"reference_id":"%b","annotation_id":"%b","metadata":{},"embedding_vector":null,'
    b'"track_reference_id":null,"task_id":null'
)
_BOX_END = _BOX + b"}"
_BOX_WITH_CONFIDENCE = _BOX + b',"confidence":%b}'

# Each step below runs over a whole piece in C (map, set, any, slicing): a Python test or
# tuple per box cost as much as the encoding it enables.
_METADATA = attrgetter("metadata")
#: The text columns and the number columns, in the order they are encoded.
_TEXTS = tuple(map(attrgetter, ("label", "reference_id", "annotation_id")))
_GEOMETRY = tuple(map(attrgetter, ("x", "y", "width", "height")))
_CONFIDENCE = attrgetter("confidence")
#: The optional fields that must all be None, per class (``class_pdf``: predictions only).
_UNSET_FIELDS = {
    BoxAnnotation: ("embedding_vector", "track_reference_id", "_task_id"),
    BoxPrediction: ("embedding_vector", "track_reference_id", "_task_id", "class_pdf"),
}
_UNSET = {
    kind: (attrgetter(*fields), (None,) * len(fields)) for kind, fields in _UNSET_FIELDS.items()
}


def _all_plain(units: Sequence[Any], kind: type) -> bool:
    """Every unit exactly of class ``kind``, with empty dict metadata and nothing optional set."""
    if {*map(type, units)} != {kind}:
        return False
    metadata = [*map(_METADATA, units)]
    if {*map(type, metadata)} != {dict} or any(metadata):
        return False
    unset, nothing = _UNSET[kind]
    try:
        return {*map(unset, units)} == {nothing}
    except TypeError:
        return False  # an unhashable value (an embedding list, a class_pdf dict) is set


def _rows(units: Sequence[Any]) -> list[bytes] | None:
    """Each unit's JSON text, or None (see the module docstring)."""
    if not units:
        return None
    kind = type(units[0])
    if kind not in _UNSET or not _all_plain(units, kind):
        return None
    count = len(units)
    label, reference_id, annotation_id = _TEXTS
    texts = orjson_strings(
        [*map(label, units), *map(reference_id, units), *map(annotation_id, units)]
    )
    x, y, width, height = _GEOMETRY
    numbers = [*map(x, units), *map(y, units), *map(width, units), *map(height, units)]
    with_confidence = False
    if kind is BoxPrediction:
        confidences = [*map(_CONFIDENCE, units)]
        if not any(confidence is None for confidence in confidences):
            with_confidence = True
            numbers += confidences
        elif any(confidence is not None for confidence in confidences):
            return None  # a mix of confidences and none
    values = orjson_numbers(numbers)
    if texts is None or values is None:
        return None
    # Column after column: labels, reference ids, annotation ids; x, y, width, height (and
    # confidences), each ``count`` long.
    columns = [texts[i * count : (i + 1) * count] for i in range(3)]
    columns += [values[i * count : (i + 1) * count] for i in range(5 if with_confidence else 4)]
    labels, references, annotation_ids, xs, ys, widths, heights, *confidence = columns
    rows = zip(
        labels, xs, ys, widths, heights, references, annotation_ids, *confidence, strict=True
    )
    template = _BOX_WITH_CONFIDENCE if with_confidence else _BOX_END
    return [template % row for row in rows]


def plain_boxes_text(units: Sequence[Any]) -> bytes | None:
    """The members of the JSON array of ``units``' payloads (no brackets), or None.

    None when a unit is not a plain :class:`BoxAnnotation` or :class:`BoxPrediction` (exactly
    those classes), when the predictions of the piece mix a confidence and none, or when
    orjson is not there or would write a value otherwise than the standard library.
    """
    rows = _rows(units)
    return None if rows is None else b",".join(rows)


def plain_boxes_lines(units: Sequence[Any]) -> bytes | None:
    """``units``' payloads as NDJSON (a newline after each), or None as
    :func:`plain_boxes_text`."""
    rows = _rows(units)
    return None if rows is None else b"\n".join(rows) + b"\n"
