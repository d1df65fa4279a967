"""JSON encoding of request bodies: the one place that turns payloads into bytes.

Every body the SDK sends goes through here, so the separators, the refusal of NaN and
infinity, and the faster encoder are decided once.

The bulk encoders (:func:`dumps_batch`, :func:`dumps_lines`) use ``orjson`` when it is
installed (the ``speedups`` extra) and give the same bytes as the standard library, which stays
the reference, refusals included. orjson writes floats below 1e-4 in another form (``0.00001``
for ``1e-05``, ``1e-7`` for ``1e-07``) and NaN and infinity as ``null`` where the standard
library refuses them, so each chunk orjson encodes is checked and re-encoded by the standard
library when the check fails, as is anything orjson refuses (integers beyond 64 bits,
non-string keys, lone surrogates). The check is a scan for those small floats, then, only where
the text holds a ``null`` (the one place NaN and infinity can hide), reading the chunk back,
which must give the payloads. Callers whose units were validated (every float in them checked
finite: the upload pipeline's) pass ``finite=True`` and skip the reading back, two thirds of the
encoding's cost. :func:`dumps` (every other body: small) is the standard library's alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "UNITS_PER_PIECE",
    "batch_pieces",
    "dumps",
    "dumps_batch",
    "dumps_lines",
    "dumps_text",
    "orjson_differs",
    "orjson_encoder",
    "orjson_strings",
    "string_members",
    "use_orjson",
]

# One encoder (``json.dumps`` with options builds a new one per call).
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode

#: Units turned into payload dicts at a time by ``dumps_batch``: bounds the dicts alive at once.
UNITS_PER_PIECE = 256

#: orjson's float text differs from the standard library's below 1e-4 only: ``0.0000…`` for
#: 1e-5 <= x < 1e-4 (Python writes ``1e-05``) and a one-digit exponent below that (``1e-7``
#: against ``1e-07``), which in compact JSON is always followed by ``,``, ``}`` or ``]``.
#: Python's float repr writes neither, so outside strings a match is one of orjson's small
#: floats; inside strings it only costs a re-encoding. Both searches have a literal prefix,
#: so they scan at memory speed (a one-pattern regex without one is 30 times slower).
_ORJSON_DECIMAL_SMALL_FLOAT = b"0.0000"
_ORJSON_EXPONENT_SMALL_FLOAT = re.compile(rb"e-[1-9][,}\]]")


def orjson_differs(encoded: bytes) -> bool:
    """Whether orjson's ``encoded`` may differ from the standard library's text."""
    return (
        _ORJSON_DECIMAL_SMALL_FLOAT in encoded
        or _ORJSON_EXPONENT_SMALL_FLOAT.search(encoded) is not None
    )


_orjson_dumps: Callable[..., bytes] | None = None
_orjson_loads: Callable[[bytes], Any] | None = None
_APPEND_NEWLINE = 0
#: Whether orjson was looked for yet: on the first bulk body, not at import (import time).
_decided = False


def use_orjson(enabled: bool) -> bool:
    """Use orjson for bulk bodies if ``enabled`` and it is installed; return whether it is used.

    Decided on the first bulk body (enabled); tests call it to force either path.
    """
    global _orjson_dumps, _orjson_loads, _APPEND_NEWLINE, _decided
    _decided = True
    _orjson_dumps = None
    if enabled:
        try:
            import orjson
        except ImportError:
            return False
        _orjson_dumps = orjson.dumps
        _orjson_loads = orjson.loads
        _APPEND_NEWLINE = orjson.OPT_APPEND_NEWLINE
    return _orjson_dumps is not None


def _orjson_exact(array: bytes, payloads: list[Any], finite: bool) -> bool:
    """Whether orjson's ``array`` (of ``payloads``) is the standard library's text, refusals
    included: no small float written otherwise, and no NaN or infinity. orjson writes those as
    ``null``: without a ``null`` in the text there is none; with one, unless the caller promised
    ``finite`` payloads, the text is read back, and NaN and infinity, read back as ``None``,
    compare unequal (so do tuples, read back as lists: the standard library then decides, with
    the same bytes)."""
    if orjson_differs(array):
        return False
    if finite or b"null" not in array:
        return True
    assert _orjson_loads is not None
    return bool(_orjson_loads(array) == payloads)


def orjson_encoder() -> Callable[..., bytes] | None:
    """``orjson.dumps`` when bulk bodies use it (see :func:`use_orjson`), else None."""
    if not _decided:
        use_orjson(True)
    return _orjson_dumps


def orjson_strings(strings: list[Any]) -> list[bytes] | None:
    """Each string's JSON text without its quotes, from one orjson call; None when orjson is
    not used, a value is not a ``str``, or orjson refuses one (a lone surrogate).

    The text is the standard library's (``ensure_ascii=False``), cut by :func:`string_members`.
    """
    encode = orjson_encoder()
    if encode is None or not strings or {*map(type, strings)} != {str}:
        return None
    try:
        text = encode(strings)
    except TypeError:
        return None
    return string_members(text, len(strings))


def string_members(text: bytes, count: int) -> list[bytes] | None:
    """The members of orjson's ``text`` of an array of ``count`` strings, without their quotes
    (None if the cut does not give ``count``).

    The text is cut at ``","``, which in orjson's text of an array of strings occurs only
    between members: a quote inside a string is always written ``\\"``.
    """
    members = text[2:-2].split(b'","')
    return members if len(members) == count else None


def dumps(payload: Any) -> bytes:
    """JSON as the service expects it; NaN and infinity are refused, as in the official client."""
    try:
        return _encode(payload).encode()
    except ValueError as exc:
        raise ValueError(f"Payload is not valid JSON (NaN or infinity?): {exc}") from None


def _array_items(payloads: list[Any], finite: bool) -> bytes:
    """The members of a JSON array of ``payloads``, without the brackets."""
    fast = orjson_encoder()
    if fast is not None:
        try:
            encoded = fast(payloads)
        except TypeError:
            pass  # orjson refuses it: the standard library decides (and raises its own errors)
        else:
            if _orjson_exact(encoded, payloads, finite):
                return encoded[1:-1]
    return _encode(payloads)[1:-1].encode()


def dumps_batch(
    head: Mapping[str, Any],
    key: str,
    units: Sequence[Any],
    payload: Callable[[Any], Any],
    tail: Mapping[str, Any] | None = None,
    *,
    finite: bool = False,
) -> bytes:
    """``dumps({**head, key: [payload(u) for u in units], **tail})``, byte for byte, without
    the list of payload dicts: a few hundred payloads exist at a time, not a batch's worth.

    ``finite``: the caller checked every float of the units finite (validated units), so
    orjson's text needs no reading back (see the module docstring).
    """
    # One list of byte pieces, joined once: the finished body and the pieces (which add up
    # to it) are the only copies.
    return b"".join(batch_pieces(head, key, units, payload, tail, finite=finite))


def batch_pieces(
    head: Mapping[str, Any],
    key: str,
    units: Sequence[Any],
    payload: Callable[[Any], Any],
    tail: Mapping[str, Any] | None = None,
    *,
    finite: bool = False,
    text: Callable[[Sequence[Any]], bytes | None] | None = None,
) -> Iterator[bytes]:
    """The pieces of :func:`dumps_batch`'s body, one chunk of ``UNITS_PER_PIECE`` units at a
    time, so a caller may let other work run between them.

    ``text``, if given, writes a chunk's array members directly (the same bytes as encoding
    the payloads) or answers None to let the payloads be encoded.
    """
    try:
        opening: list[bytes] = [b"{"]
        for k, v in head.items():
            opening += (_encode(k).encode(), b":", _encode(v).encode(), b",")
        opening += (_encode(key).encode(), b":[")
        yield b"".join(opening)
        for start in range(0, len(units), UNITS_PER_PIECE):
            chunk = units[start : start + UNITS_PER_PIECE]
            written = text(chunk) if text is not None else None
            if written is None:
                written = _array_items([payload(unit) for unit in chunk], finite)
            # The comma goes with the piece: a piece of its own would be one more step (and
            # loop checkpoint) for the caller, per piece.
            yield b"," + written if start else written
        closing: list[bytes] = [b"]"]
        for k, v in (tail or {}).items():
            closing += (b",", _encode(k).encode(), b":", _encode(v).encode())
        closing.append(b"}")
        yield b"".join(closing)
    except ValueError as exc:
        raise ValueError(f"Payload is not valid JSON (NaN or infinity?): {exc}") from None


def dumps_lines(payloads: Iterable[Any], *, finite: bool = False) -> bytes:
    """NDJSON: ``dumps(p) + b"\\n"`` for each payload, joined (empty for no payloads).

    ``finite`` as in :func:`dumps_batch`.
    """
    chunk = list(payloads)
    fast = orjson_encoder()
    if fast is not None:
        option = _APPEND_NEWLINE
        try:
            lines = [fast(p, option=option) for p in chunk]
        except TypeError:
            pass
        else:
            # The lines as one array (newlines are whitespace between members) for the check.
            if _orjson_exact(b"[" + b",".join(lines) + b"]", chunk, finite):
                return b"".join(lines)
    try:
        return "".join([_encode(p) + "\n" for p in chunk]).encode()
    except ValueError as exc:
        raise ValueError(f"Payload is not valid JSON (NaN or infinity?): {exc}") from None


def dumps_text(payload: Any) -> str:
    """``to_json()`` of the data types: the official client's ``json.dumps`` spacing, as text."""
    return json.dumps(payload, allow_nan=False)
