"""Shared checks of the data types: numbers, locations, user JSON, reference and duplicate ids.

Every check raises ``ValidationError(message, field=..., obj=<reference id>)`` so one bad unit in a
batch of thousands is easy to find.
"""

from __future__ import annotations

import math
import numbers
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from .._errors import DuplicateIDError, ValidationError

__all__ = [
    "REMOTE_PREFIXES",
    "REMOTE_SCHEMES",
    "JSONDict",
    "check_confidence",
    "check_duplicate_ids",
    "check_finite_vector",
    "check_mapping",
    "check_number",
    "check_optional_number",
    "check_reference_id",
    "is_local_path",
    "may_repeat",
    "metadata_or_empty",
]

JSONDict = dict[str, Any]

#: Schemes the service fetches itself; anything else is a local file path (reference 3.6).
REMOTE_SCHEMES = frozenset({"http", "https", "s3", "gs"})
#: How a remote location usually starts: ``location.startswith(REMOTE_PREFIXES)`` proves it
#: remote without a URL parse (a False still needs :func:`is_local_path`: "S3://" is remote).
REMOTE_PREFIXES = ("s3://", "gs://", "https://", "http://")


def is_local_path(path: str) -> bool:
    """True unless ``path`` is a URL with a scheme the service fetches (http, https, s3, gs)."""
    return urlparse(path).scheme not in REMOTE_SCHEMES


def metadata_or_empty(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """``None`` (or another falsy value) becomes a fresh ``{}``; a dict passes through untouched."""
    return value if value else {}  # type: ignore[return-value]


def check_number(value: Any, field: str, obj: str | None) -> int | float:
    """Return ``value`` if it is a finite int or float; numpy-like reals are converted.

    Booleans, strings, ``None``, NaN and infinity are refused.
    """
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float:
        if math.isfinite(value):
            return value  # type: ignore[no-any-return]
        raise ValidationError(f"must be a finite number, got {value!r}", field=field, obj=obj)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationError(
            f"must be a number, got {type(value).__name__} {value!r}", field=field, obj=obj
        )
    converted: int | float = int(value) if isinstance(value, numbers.Integral) else float(value)
    if isinstance(converted, float) and not math.isfinite(converted):
        raise ValidationError(f"must be a finite number, got {value!r}", field=field, obj=obj)
    return converted


def check_optional_number(value: Any, field: str, obj: str | None) -> int | float | None:
    """Like :func:`check_number`, but ``None`` passes."""
    return None if value is None else check_number(value, field, obj)


def check_confidence(value: Any, obj: str | None) -> int | float | None:
    """A confidence is ``None`` or a finite number in [0, 1]."""
    if value is None:
        return None
    number = check_number(value, "confidence", obj)
    if not 0 <= number <= 1:
        raise ValidationError(
            f"must be between 0 and 1, got {value!r}", field="confidence", obj=obj
        )
    return number


def check_finite_vector(value: Any, field: str, obj: str | None) -> None:
    """An optional list of finite numbers (an embedding vector)."""
    if value is None:
        return
    if not isinstance(value, (list, tuple)):
        raise ValidationError(
            f"must be a list of numbers, got {type(value).__name__}", field=field, obj=obj
        )
    try:
        # One C-level pass: NaN and infinity survive a sum, so a finite sum proves the
        # vector finite (a huge but finite vector can overflow; the slow path sorts it out).
        if math.isfinite(math.fsum(value)):
            return
    except (TypeError, OverflowError):
        pass
    for index, element in enumerate(value):
        check_number(element, f"{field}[{index}]", obj)


def check_json_finite(value: Any, field: str, obj: str | None) -> None:
    """No NaN or infinity anywhere inside user JSON (the service refuses them)."""
    if type(value) is float:
        if not math.isfinite(value):
            raise ValidationError(
                f"must not contain NaN or infinity, got {value!r}", field=field, obj=obj
            )
    elif isinstance(value, dict):
        for key, inner in value.items():
            if type(inner) in _SCALARS:
                if type(inner) is float and not math.isfinite(inner):
                    check_json_finite(inner, f"{field}.{key}", obj)
            else:
                check_json_finite(inner, f"{field}.{key}", obj)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            if type(inner) not in _SCALARS or type(inner) is float:
                check_json_finite(inner, f"{field}[{index}]", obj)


_SCALARS = frozenset({str, int, bool, float, type(None)})


def check_mapping(value: Any, field: str, obj: str | None) -> None:
    """``value`` must be a dict (user metadata, class_pdf)."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"must be a dict, got {type(value).__name__}", field=field, obj=obj)


def check_reference_id(value: Any, obj_field: str = "reference_id") -> None:
    """A reference id is a non-empty string."""
    if type(value) is not str or not value:
        raise ValidationError(
            f"must be a non-empty string, got {value!r}", field=obj_field, obj=None
        )


def _may_have_duplicates(units: Sequence[Any]) -> bool:
    """False when no two duplicate keys have the same hash: then there is no duplicate."""
    return may_repeat(
        array("q", (hash(k) for unit in units if (k := unit.duplicate_key()) is not None))
    )


#: Up to this many hashes, :func:`may_repeat` counts a set of them (7 times faster than the
#: bitmap; at most ~17 MB for a moment).
_SET_OF_HASHES_UP_TO = 250_000


def may_repeat(hashes: array[int]) -> bool:
    """False when no two of ``hashes`` are equal (then no two keys they hash are equal).

    A set of 100,000 key tuples costs ~10 MB. Here the keys' hashes are in an array (8 bytes
    each). Up to :data:`_SET_OF_HASHES_UP_TO` of them, a set of the hashes (~70 bytes each,
    for a moment, beside units of ~400 bytes each) answers in C; past that, a bitmap of their
    low bits (2 bits each) finds the few that may clash, and only those are compared whole.
    Only a list that may hold a duplicate pays for the exact check.
    """
    if len(hashes) <= _SET_OF_HASHES_UP_TO:
        return len(set(hashes)) != len(hashes)
    bits = max(10, (len(hashes) * 16).bit_length())
    mask = (1 << bits) - 1
    bitmap = bytearray(1 << (bits - 3))
    clashes: set[int] = set()
    for h in hashes:
        low = h & mask
        flag = 1 << (low & 7)
        if bitmap[low >> 3] & flag:
            clashes.add(low)
        else:
            bitmap[low >> 3] |= flag
    if not clashes:
        return False
    seen: set[int] = set()
    for h in hashes:
        if h & mask in clashes:
            if h in seen:
                return True
            seen.add(h)
    return False


def seen_keys() -> dict[Any, None]:
    """An empty record of the keys a stream has shown: ``key in seen``, ``seen[key] = None``.

    A dict, not a set, and only of atomic keys (ints, strings): CPython's garbage collector
    does not track a dict that holds nothing but atomic objects, and always tracks a set. A
    stream's record lives as long as the upload and grows to millions of keys; each full
    collection walked a million-key set (0.13 s), ~1.5 s of CPU in a 1,000,000-item upload.
    """
    return {}


def check_duplicate_ids(units: Iterable[Any], *, predictions: bool = False) -> None:
    """Raises ``DuplicateIDError`` when two units share a ``duplicate_key()``.

    Annotations: ``(reference_id, annotation_id, task_id)``; predictions:
    ``(annotation_id, reference_id)``; units without a key (categories) are not checked.
    """
    if isinstance(units, Sequence) and not _may_have_duplicates(units):
        return
    seen: set[Any] = set()
    duplicates: dict[Any, int] = {}
    for unit in units:
        key = unit.duplicate_key()
        if key is None:
            continue
        if key in seen:
            duplicates[key] = duplicates.get(key, 1) + 1
        else:
            seen.add(key)
    if duplicates:
        kind, fields = (
            ("predictions", "(annotation_id, reference_id)")
            if predictions
            else ("annotations", "(reference_id, annotation_id, task_id)")
        )
        first = next(iter(duplicates))
        raise DuplicateIDError(
            f"Duplicate {kind} with the same {fields} properties found: "
            f"{sorted(duplicates, key=repr)}. To fix this, avoid duplicate {kind}, or specify a "
            "different annotation_id attribute for the failing items.",
            field="annotation_id",
            obj=first[1] if predictions else first[0],
        )
