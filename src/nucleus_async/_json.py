"""JSON encoding of request bodies: the one place that turns payloads into bytes.

Every body the SDK sends goes through here, so the separators, the refusal of NaN and
infinity, and any faster encoder are decided once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["dumps", "dumps_batch", "dumps_text"]

# One encoder (``json.dumps`` with options builds a new one per call).
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode

#: Units turned into payload dicts at a time by ``dumps_batch``: bounds the dicts alive at once.
_DUMPS_CHUNK = 256


def dumps(payload: Any) -> bytes:
    """JSON as the service expects it; NaN and infinity are refused, as in the official client."""
    try:
        return _encode(payload).encode()
    except ValueError as exc:
        raise ValueError(f"Payload is not valid JSON (NaN or infinity?): {exc}") from None


def dumps_batch(
    head: Mapping[str, Any],
    key: str,
    units: Sequence[Any],
    payload: Callable[[Any], Any],
    tail: Mapping[str, Any] | None = None,
) -> bytes:
    """``dumps({**head, key: [payload(u) for u in units], **tail})``, byte for byte, without
    the list of payload dicts: a few hundred payloads exist at a time, not a batch's worth."""
    # One list of byte pieces, joined once: the finished body and the pieces (which add up
    # to it) are the only copies.
    try:
        parts: list[bytes] = [b"{"]
        for k, v in head.items():
            parts += (_encode(k).encode(), b":", _encode(v).encode(), b",")
        parts += (_encode(key).encode(), b":[")
        for start in range(0, len(units), _DUMPS_CHUNK):
            if start:
                parts.append(b",")
            chunk = _encode([payload(unit) for unit in units[start : start + _DUMPS_CHUNK]])
            parts.append(chunk[1:-1].encode())
        parts.append(b"]")
        for k, v in (tail or {}).items():
            parts += (b",", _encode(k).encode(), b":", _encode(v).encode())
        parts.append(b"}")
        return b"".join(parts)
    except ValueError as exc:
        raise ValueError(f"Payload is not valid JSON (NaN or infinity?): {exc}") from None


def dumps_text(payload: Any) -> str:
    """``to_json()`` of the data types: the official client's ``json.dumps`` spacing, as text."""
    return json.dumps(payload, allow_nan=False)
