"""Paging shared by the paged routes: page tokens bound to a scope, and page sizes."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from nucleus_emulator.app import ApiError


def encode_page_token(scope: str, after_seq: int) -> str:
    """A token resuming after position `after_seq` of `scope` (a dataset, slice or query)."""
    raw = json.dumps({"d": scope, "s": after_seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str, scope: str) -> int:
    """The position a token resumes after; a foreign or garbled token is a 400."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["d"] == scope and isinstance(data["s"], int):
            return int(data["s"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise ApiError(400, "Invalid pageToken")


def page_start(body: dict[str, Any], scope: str) -> int:
    """Where the page of `body` starts: after its `pageToken`'s position, or 0 without one."""
    token = body.get("pageToken")
    if token is not None and not isinstance(token, str):
        raise ApiError(400, "pageToken must be a string or null")
    return decode_page_token(token, scope) if token else 0


def page_size(body: dict[str, Any], default: int = 100000) -> int:
    """The body's `pageSize` (`default` when absent or null); anything but a positive int: 400."""
    size = body.get("pageSize", default)
    if size is None:
        size = default
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ApiError(400, "pageSize must be a positive integer")
    return size
