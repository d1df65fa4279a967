"""Plain boxes as columns: checked a field at a time, and written from the values checked.

A box with string ids, plain finite numbers and nothing optional set (no metadata, embedding,
track or task id; for a prediction no ``class_pdf``, and a float confidence in [0, 1] on every
box or on none) is the bulk of every ``annotate`` and ``upload_predictions`` call. Its JSON is
a fixed text with seven holes (eight with a confidence).

:class:`BoxColumns` reads such boxes one field at a time (a C-level ``map`` per field, over a
piece of the list at a time), checks the columns as each box's ``validate()`` would, and keeps
them. ``annotate`` reads a list this way before its first request and writes every body from
the kept columns: each attribute of a box is read once per upload, not once to check it and
again to write it, and the bodies hold the values that were checked. The columns cost 56 bytes
a box (64 with a confidence) while the upload runs; a box itself is ~400.

A piece's text comes from one orjson call for its strings and one for its numbers, whose texts
fill the holes of one template in one ``%``. The bytes are the payload path's (the standard
library's), which the tests hold on every shape. A piece orjson would write otherwise (a float
below 1e-4), or refuses (an integer past 64 bits, a lone surrogate), or any piece without
orjson, answers None and takes the payload path.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import repeat
from operator import attrgetter
from typing import Any, final, overload

from .._json import orjson_differs, orjson_encoder, string_members
from ..types.annotations import BoxAnnotation
from ..types.base import may_repeat
from ..types.predictions import BoxPrediction

__all__ = ["BoxColumns", "plain_boxes_lines", "plain_boxes_text"]

_BOX = (
    b'{"label":"%b","type":"box","geometry":{"x":%b,"y":%b,"width":%b,"height":%b},'
    b'"reference_id":"%b","annotation_id":"%b","metadata":{},"embedding_vector":null,'
    b'"track_reference_id":null,"task_id":null'
)
_BOX_END = _BOX + b"}"
_BOX_WITH_CONFIDENCE = _BOX + b',"confidence":%b}'

#: Boxes read at a time: a piece's columns stay in the CPU's caches while they are checked
#: (reading a 100,000-box list in one go was a third slower).
_READ_PIECE = 1024

_METADATA = attrgetter("metadata")
_LABEL, _REFERENCE_ID, _ANNOTATION_ID = map(attrgetter, ("label", "reference_id", "annotation_id"))
_GEOMETRY = tuple(map(attrgetter, ("x", "y", "width", "height")))
_CONFIDENCE = attrgetter("confidence")
#: The optional fields that must all be None, per class (``class_pdf``: predictions only).
_UNSET = {
    BoxAnnotation: tuple(map(attrgetter, ("embedding_vector", "track_reference_id", "_task_id"))),
    BoxPrediction: tuple(
        map(attrgetter, ("embedding_vector", "track_reference_id", "_task_id", "class_pdf"))
    ),
}
_DICT = {dict}
_STR = {str}
_FLOAT = {float}
_NONE = {None}
_NONE_TYPE = {type(None)}
_NUMBERS = frozenset({int, float})

#: Where each column's texts go among a box's holes: label, x, y, width, height, reference id,
#: annotation id (, confidence).
_STRING_HOLES = (0, 5, 6)  # labels, reference ids, annotation ids
_NUMBER_HOLES = (1, 2, 3, 4, 7)  # x, y, width, height, confidences

#: One piece's columns (labels, reference ids, annotation ids, x, y, width, height), and its
#: confidences (None when the boxes have none).
_Piece = tuple[tuple[list[Any], ...], list[float] | None]


@final
class BoxColumns(Sequence[BoxAnnotation]):
    """The wire values of plain boxes of one class, a list per field, checked as read.

    A sequence of the boxes it was read from. A slice is a view of the same columns (a batch
    of 5,000 boxes, then its pieces of 256, copy nothing). Built by :meth:`read` or
    :meth:`read_prefix`, never changed after.
    """

    __slots__ = ("_columns", "_confidences", "_start", "_stop", "_units", "kind")

    def __init__(
        self,
        kind: type[BoxAnnotation],
        units: Sequence[BoxAnnotation],
        columns: tuple[list[Any], ...],
        confidences: list[float] | None,
        start: int = 0,
        stop: int | None = None,
    ) -> None:
        self.kind = kind
        #: The boxes the columns were read from: box ``i`` is row ``i`` of the columns.
        self._units = units
        #: labels, reference ids, annotation ids, x, y, width, height.
        self._columns = columns
        self._confidences = confidences
        #: The rows this view holds.
        self._start = start
        self._stop = len(columns[0]) if stop is None else stop

    @classmethod
    def read(cls, units: Sequence[Any]) -> BoxColumns | None:
        """The columns of all of ``units``, or None unless every unit is a plain box of one
        class (see the module docstring) that ``validate()`` accepts."""
        columns = cls.read_prefix(units)
        return columns if columns is not None and len(columns) == len(units) else None

    @classmethod
    def read_prefix(cls, units: Sequence[Any]) -> BoxColumns | None:
        """The columns of the longest run of whole pieces, from the start of ``units``, whose
        boxes are plain boxes of one class that ``validate()`` accepts; None if there is none.
        """
        if not units:
            return None
        kind = type(units[0])
        if kind is not BoxAnnotation and kind is not BoxPrediction:
            return None
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [])
        confidences: list[float] | None = None
        for start in range(0, len(units), _READ_PIECE):
            piece = _checked_piece(units[start : start + _READ_PIECE], kind)
            if piece is None:
                break
            values, piece_confidences = piece
            if start == 0:
                confidences = None if piece_confidences is None else []
            elif (piece_confidences is None) != (confidences is None):
                break  # a confidence on some boxes and not on others: the payload path's
            for column, more in zip(columns, values, strict=True):
                column += more
            if confidences is not None:
                confidences += piece_confidences or ()
        return cls(kind, units, columns, confidences) if columns[0] else None

    @property
    def units(self) -> Sequence[BoxAnnotation]:
        """The boxes of this view."""
        return self._units[self._start : self._stop]

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> BoxAnnotation: ...

    @overload
    def __getitem__(self, index: slice) -> BoxColumns: ...

    def __getitem__(self, index: int | slice) -> BoxAnnotation | BoxColumns:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:  # not a run of rows: a copy of those rows
                rows = range(self._start + start, self._start + stop, step)
                return BoxColumns(
                    self.kind,
                    [self._units[row] for row in rows],
                    tuple([column[row] for row in rows] for column in self._columns),
                    None if self._confidences is None else [self._confidences[r] for r in rows],
                )
            stop = max(start, stop)
            return BoxColumns(
                self.kind,
                self._units,
                self._columns,
                self._confidences,
                self._start + start,
                self._start + stop,
            )
        row = index + len(self) if index < 0 else index
        if not 0 <= row < len(self):
            raise IndexError("BoxColumns index out of range")
        return self._units[self._start + row]

    def __iter__(self) -> Iterator[BoxAnnotation]:
        # A slice, not islice: islice would step over the rows before the view's first.
        return iter(self.units)

    def _rows(self, column: list[Any]) -> list[Any]:
        return column[self._start : self._stop]

    def identity_hashes(self) -> Iterator[int]:
        """``hash(box.duplicate_key())`` of each box, in order, from the columns."""
        _, references, annotation_ids, *_ = map(self._rows, self._columns)
        if self.kind is BoxPrediction:
            return map(hash, zip(annotation_ids, references, strict=True))
        return map(hash, zip(references, annotation_ids, repeat(None)))

    def may_hold_duplicates(self) -> bool:
        """False when no two boxes have the same identity (``duplicate_key()``); True when
        two may (their keys' hashes are equal: the keys must then be compared).

        Distinct annotation ids (the usual list) answer at once: a set of the ids, strings
        that exist already, instead of a hash of a key tuple built for every box.
        """
        annotation_ids = self._rows(self._columns[2])
        if len(set(annotation_ids)) == len(annotation_ids):
            return False
        return may_repeat(array("q", self.identity_hashes()))

    def text(self) -> bytes | None:
        """The members of the JSON array of the boxes' payloads (no brackets), or None."""
        return self._write(b",", b"")

    def lines(self) -> bytes | None:
        """The boxes' payloads as NDJSON (a newline after each), or None."""
        return self._write(b"\n", b"\n")

    def _write(self, separator: bytes, end: bytes) -> bytes | None:
        encode = orjson_encoder()
        count = len(self)
        if encode is None or not count:
            return None
        labels, references, annotation_ids, *geometry = self._columns
        start, stop = self._start, self._stop
        texts = labels[start:stop]
        texts += references[start:stop]
        texts += annotation_ids[start:stop]
        numbers: list[Any] = []
        for column in geometry:
            numbers += column[start:stop]
        confidences = self._confidences
        if confidences is not None:
            numbers += confidences[start:stop]
        try:
            strings_text = encode(texts)
            numbers_text = encode(numbers)
        except TypeError:  # orjson's refusal (an integer past 64 bits, a lone surrogate)
            return None
        if orjson_differs(numbers_text):
            return None
        strings = string_members(strings_text, 3 * count)
        values = numbers_text[1:-1].split(b",")  # ',' is only ever between numbers
        if strings is None or len(values) != len(numbers):
            return None
        fields = 7 if confidences is None else 8
        # Every box's holes in one flat list, filled a column at a time by slice assignment,
        # then one ``%`` over the piece's template (a ``%`` per box cost twice as much).
        holes: list[bytes] = [b""] * (fields * count)
        for run, hole in enumerate(_STRING_HOLES):
            holes[hole::fields] = strings[run * count : (run + 1) * count]
        for run, hole in enumerate(_NUMBER_HOLES[: fields - 3]):
            holes[hole::fields] = values[run * count : (run + 1) * count]
        return _template(fields, count, separator) % tuple(holes) + end


@lru_cache(maxsize=8)
def _template(fields: int, count: int, separator: bytes) -> bytes:
    """``count`` box templates joined by ``separator`` (a piece is nearly always 256 boxes)."""
    return separator.join([_BOX_END if fields == 7 else _BOX_WITH_CONFIDENCE] * count)


def _checked_piece(piece: Sequence[Any], kind: type) -> _Piece | None:
    """The columns of ``piece`` if every box is a plain box of class ``kind`` that
    ``validate()`` accepts, else None. Each test runs over a whole column in C."""
    if {*map(type, piece)} != {kind}:
        return None
    metadata = [*map(_METADATA, piece)]
    if {*map(type, metadata)} != _DICT or any(metadata):
        return None
    unset: set[Any] = set()
    try:
        for field in _UNSET[kind]:
            unset.update(map(field, piece))
    except TypeError:
        return None  # an unhashable value (an embedding list, a class_pdf dict) is set
    if unset != _NONE:
        return None
    labels = [*map(_LABEL, piece)]
    references = [*map(_REFERENCE_ID, piece)]
    annotation_ids = [*map(_ANNOTATION_ID, piece)]
    text_types = {*map(type, labels), *map(type, references), *map(type, annotation_ids)}
    if text_types != _STR or not all(references):
        return None
    geometry = [[*map(field, piece)] for field in _GEOMETRY]
    if not all(map(_finite_numbers, geometry)):
        return None
    confidences = None
    if kind is BoxPrediction:
        confidences = [*map(_CONFIDENCE, piece)]
        types = {*map(type, confidences)}
        if types == _NONE_TYPE:
            confidences = None
        elif not (
            types == _FLOAT
            and _finite_numbers(confidences)
            and min(confidences) >= 0.0
            and max(confidences) <= 1.0
        ):
            return None
    return (labels, references, annotation_ids, *geometry), confidences


def _finite_numbers(column: list[Any]) -> bool:
    """Every value a plain ``int`` or ``float``, and finite.

    A sum is finite only if every term is (a NaN or an infinity makes it NaN or infinite); a
    finite column whose sum overflows is checked a value at a time.
    """
    if not {*map(type, column)} <= _NUMBERS:
        return False
    try:
        total = sum(column)
        if total - total == 0:
            return True
    except OverflowError:  # an int too large for a float, next to a float
        pass
    return all(type(value) is int or value - value == 0 for value in column)


def _written(units: Sequence[Any], write: Callable[[BoxColumns], bytes | None]) -> bytes | None:
    columns = units if isinstance(units, BoxColumns) else BoxColumns.read(units)
    return None if columns is None else write(columns)


def plain_boxes_text(units: Sequence[Any]) -> bytes | None:
    """The members of the JSON array of ``units``' payloads (no brackets), or None.

    ``units`` is a :class:`BoxColumns` (written from its columns) or any sequence, read first.
    None when a unit is not a plain :class:`BoxAnnotation` or :class:`BoxPrediction` (exactly
    those classes), when the predictions mix a confidence and none, or when orjson is not
    there or would write a value otherwise than the standard library.
    """
    return _written(units, BoxColumns.text)


def plain_boxes_lines(units: Sequence[Any]) -> bytes | None:
    """``units``' payloads as NDJSON (a newline after each), or None as
    :func:`plain_boxes_text`."""
    return _written(units, BoxColumns.lines)
