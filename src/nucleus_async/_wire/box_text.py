"""The wire text of plain boxes, written from columns instead of a payload dict per box.

A box with string ids, plain numbers and nothing optional set (no metadata, embedding, track
or task id; for a prediction no ``class_pdf``) is the bulk of every ``annotate`` and
``upload_predictions`` call. Its JSON is a fixed text with seven holes (eight with a
confidence). Building two dicts per box for the encoder to walk was most of a 100,000-box
upload's encoding; here a piece's values are encoded a column at a time, one orjson call for
its strings and one for its numbers, cut apart, and put in the holes.

The bytes are the payload path's (the standard library's), which the tests hold on every
shape. The cuts are safe: in orjson's text of an array of strings, ``","`` occurs only between
members, because a quote inside a string is always written ``\\"``; numbers hold no comma.
Anything else sends the piece down the payload path (:func:`plain_boxes_text` answers None):
another type or shape, a number orjson writes differently from the standard library (below
1e-4), a string orjson refuses, or no orjson.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._json import orjson_differs, orjson_encoder
from ..types.annotations import BoxAnnotation
from ..types.predictions import BoxPrediction

__all__ = ["plain_boxes_text"]

_BOX = (
    b'{"label":"%b","type":"box","geometry":{"x":%b,"y":%b,"width":%b,"height":%b},'
    b'"reference_id":"%b","annotation_id":"%b","metadata":{},"embedding_vector":null,'
    b'"track_reference_id":null,"task_id":null'
)
_BOX_END = _BOX + b"}"
_BOX_WITH_CONFIDENCE = _BOX + b',"confidence":%b}'
_NUMBERS = (int, float)


def _plain(box: Any) -> bool:
    """String ids and label, plain numbers, nothing optional set (``class_pdf`` included)."""
    metadata = box.metadata
    return (
        type(metadata) is dict
        and not metadata
        and box.embedding_vector is None
        and box.track_reference_id is None
        and box._task_id is None
        and type(box.label) is str
        and type(box.reference_id) is str
        and type(box.annotation_id) is str
        and type(box.x) in _NUMBERS
        and type(box.y) in _NUMBERS
        and type(box.width) in _NUMBERS
        and type(box.height) in _NUMBERS
        and getattr(box, "class_pdf", None) is None
    )


def plain_boxes_text(units: Sequence[Any]) -> bytes | None:
    """The members of the JSON array of ``units``' payloads (no brackets), or None.

    None when a unit is not a plain :class:`BoxAnnotation` or :class:`BoxPrediction` (exactly
    those classes), when the predictions of the piece mix a confidence and none, or when
    orjson is not there or would write a value otherwise than the standard library.
    """
    encode = orjson_encoder()
    if encode is None or not units:
        return None
    kind = type(units[0])
    if kind is BoxPrediction:
        with_confidence = units[0].confidence is not None
    elif kind is BoxAnnotation:
        with_confidence = False
    else:
        return None
    for box in units:
        if type(box) is not kind or not _plain(box):
            return None
        if with_confidence:
            if type(box.confidence) not in _NUMBERS:
                return None
        elif kind is BoxPrediction and box.confidence is not None:
            return None
    try:
        strings = encode([v for b in units for v in (b.label, b.reference_id, b.annotation_id)])
        if with_confidence:
            numbers = encode(
                [v for b in units for v in (b.x, b.y, b.width, b.height, b.confidence)]
            )
        else:
            numbers = encode([v for b in units for v in (b.x, b.y, b.width, b.height)])
    except TypeError:
        return None  # orjson refuses a value (a lone surrogate, an integer past 64 bits)
    if orjson_differs(numbers):
        return None
    texts = iter(strings[2:-2].split(b'","'))
    values = iter(numbers[1:-1].split(b","))
    # zip takes from its iterators in argument order, so each row comes out in the holes'
    # order: label, x, y, width, height, reference id, annotation id (, confidence).
    if with_confidence:
        rows = zip(texts, values, values, values, values, texts, texts, values, strict=True)
        return b",".join([_BOX_WITH_CONFIDENCE % row for row in rows])
    rows = zip(texts, values, values, values, values, texts, texts, strict=True)
    return b",".join([_BOX_END % row for row in rows])
