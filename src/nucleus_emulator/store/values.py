"""Values the store writes: service-shaped ids, timestamps and compact JSON."""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime, timezone
from typing import Any

_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
#: Every pair of id characters, indexed by 10 random bits (ids are minted 10k at a time).
_ID_PAIRS = [a + b for a in _ID_ALPHABET for b in _ID_ALPHABET]


def new_id(prefix: str) -> str:
    """A service-shaped id: `prefix_` and 20 lowercase base32 characters."""
    bits = secrets.randbits(100)
    pairs = _ID_PAIRS
    return f"{prefix}_" + "".join(pairs[(bits >> shift) & 1023] for shift in range(0, 100, 10))


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` ids shaped like `new_id(prefix)` (20 characters of the id alphabet: hex digits
    are a subset of it), from one `os.urandom` call instead of one per id."""
    text = os.urandom(10 * count).hex()
    return [f"{prefix}_{text[20 * i : 20 * i + 20]}" for i in range(count)]


def now_iso() -> str:
    """Current UTC time as the service writes it (ISO 8601 with milliseconds and `Z`)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def loads(text: str | None) -> Any:
    """The JSON value of a column (None stays None)."""
    return None if text is None else json.loads(text)


_ENCODER = json.JSONEncoder(separators=(",", ":"))
# `JSONEncoder.encode` builds a C encoder per call (a third of the cost of a small dict); this one
# is built once, with the same options. No `markers`: values come from JSON, never circular.
_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE: Any = (
    None
    if _C_MAKE_ENCODER is None
    else _C_MAKE_ENCODER(
        None,
        _ENCODER.default,
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,
        False,
        True,
    )
)


def dumps(value: Any) -> str:
    """Compact JSON, as `json.dumps(value, separators=(",", ":"))` writes it."""
    if _C_ENCODE is not None and isinstance(value, dict | list):
        return "".join(_C_ENCODE(value, 0))
    return _ENCODER.encode(value)
