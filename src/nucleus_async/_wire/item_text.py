"""The NDJSON lines of plain items, written without a payload dict per item.

An asynchronous append of a million images is a million lines of
``{"metadata":…,"reference_id":…,"image_url":…}``. Building each line's payload dict and
encoding it alone was most of the client's own cost per item; here the reference ids and
locations of a chunk are encoded a column at a time (:func:`~.._json.orjson_strings`), each
metadata dict by one orjson call, and the three are put in a fixed text.

A plain item is exactly a :class:`DatasetItem` with a non-empty string image location and
reference id, dict metadata, and no embedding, width, height or ``upload_to_scale`` (their
keys would join the line). The bytes are the payload path's (the standard library's), which
the tests hold; anything else sends the chunk down the payload path (None): another shape,
metadata orjson refuses (non-string keys, integers past 64 bits) or writes otherwise than the
standard library (a float below 1e-4; a ``null``, which may be a NaN the payload path must
refuse, is left to it too), or no orjson.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from .._json import orjson_differs, orjson_encoder, orjson_strings
from ..types.dataset_item import DatasetItem

__all__ = ["plain_items_lines"]

_LINE = b'{"metadata":%b,"reference_id":"%b","image_url":"%b"}\n'
_METADATA = attrgetter("metadata")
_REFERENCE_ID = attrgetter("reference_id")
_IMAGE_LOCATION = attrgetter("image_location")
#: The optional fields that must all be unset (None) for the plain line.
_UNSET = attrgetter("embedding_info", "width", "height", "upload_to_scale", "pointcloud_location")
_NOTHING = (None,) * 5


def plain_items_lines(items: Sequence[Any]) -> bytes | None:
    """``items``' payloads as NDJSON (a newline after each), or None (see the module
    docstring)."""
    encode = orjson_encoder()
    if encode is None or not items or {*map(type, items)} != {DatasetItem}:
        return None
    try:
        if {*map(_UNSET, items)} != {_NOTHING}:
            return None
    except TypeError:
        return None  # an unhashable value is set (an embedding)
    metadata = [*map(_METADATA, items)]
    locations = [*map(_IMAGE_LOCATION, items)]
    if {*map(type, metadata)} != {dict} or not all(locations):
        return None
    try:
        metadata_texts = [*map(encode, metadata)]
    except TypeError:
        return None
    joined = b"".join(metadata_texts)
    if orjson_differs(joined) or b"null" in joined:
        return None
    references = orjson_strings([*map(_REFERENCE_ID, items)])
    urls = orjson_strings(locations)
    if references is None or urls is None:
        return None
    rows = zip(metadata_texts, references, urls, strict=True)
    return b"".join([_LINE % row for row in rows])
