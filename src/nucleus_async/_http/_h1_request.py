"""A request ready for the wire: its HTTP/1.1 head bytes, the same httpx would send, and body.

:class:`HeadEncoder` writes the head of a request whose body is bytes, empty, or a
:class:`~._interface.FileBody`, byte for byte as ``httpx.Request`` and h11 would: the request
line, ``Host`` (and ``Content-Length: 0`` for an empty ``POST``/``PUT``/``PATCH``), the
client's default headers not overridden, the caller's headers in order, ``Cookie``, then the
body's ``Content-Length`` (``tests/unit/test_http_h1_head.py`` compares the two). Headers a
request line cannot carry are found here and refused when the request is sent, as h11 did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpcore
import httpx

from ._interface import FileBody

__all__ = ["H1Request", "HeadEncoder"]

_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
# h11's field-value: visible characters (and obs-text), single spaces or tabs between them.
_FIELD_VALUE = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")
_TARGET = re.compile(rb"[\x21-\x7e]+")
#: Header blocks remembered: a bulk upload sends the same headers over and over.
_BLOCKS = 64
_CONTENT_LENGTH_FOR_EMPTY = frozenset({b"POST", b"PUT", b"PATCH"})


class H1Request:
    """What one send needs: the head, the body (bytes or a file), where to, how to read.

    ``refusal`` is the failure to raise instead of sending (a header h11 would refuse, an
    unsupported scheme); ``url`` is httpx's parsed URL, for cookies.
    """

    __slots__ = ("body", "expect_body", "file", "head", "method", "origin", "refusal", "url")

    def __init__(
        self,
        *,
        method: str,
        url: httpx.URL,
        origin: tuple[str, str, int],
        head: bytes,
        body: bytes,
        file: FileBody | None,
        refusal: Exception | None,
    ) -> None:
        self.method = method
        self.url = url
        self.origin = origin
        self.head = head
        self.body = body
        self.file = file
        self.refusal = refusal
        self.expect_body = method != "HEAD"


class _HeaderBlock:
    """The encoded default and caller headers of one header mapping, and what they hold."""

    __slots__ = ("encoded", "has_content_length", "has_cookie", "host", "refusal")

    def __init__(self, entries: list[tuple[bytes, bytes]]) -> None:
        names = {name.lower() for name, _ in entries}
        self.has_content_length = b"content-length" in names or b"transfer-encoding" in names
        self.has_cookie = b"cookie" in names
        self.refusal = _refusal(entries)
        # h11 writes Host first whatever its place.
        self.host = b"".join(b"%s: %s\r\n" % e for e in entries if e[0].lower() == b"host")
        self.encoded = b"".join(b"%s: %s\r\n" % e for e in entries if e[0].lower() != b"host")


class HeadEncoder:
    """Encodes request heads: ``default_headers`` are the client's, e.g. ``User-Agent``."""

    def __init__(self, default_headers: list[tuple[bytes, bytes]]) -> None:
        self._defaults = default_headers
        self._blocks: dict[tuple[tuple[str, str], ...], _HeaderBlock] = {}

    def head(
        self,
        method: bytes,
        target: bytes,
        netloc: bytes,
        headers: Mapping[str, str],
        *,
        body: bytes | FileBody,
        cookie: str | None,
    ) -> tuple[bytes, Exception | None]:
        """The head of a request, and the failure to raise instead of sending it, if any.

        ``cookie`` is the ``Cookie`` value the client's cookies give this URL. Raises
        ``UnicodeEncodeError`` for a header that is not ASCII, as httpx does.
        """
        key = tuple(headers.items())
        block = self._blocks.get(key)
        if block is None:
            if len(self._blocks) >= _BLOCKS:
                self._blocks.clear()
            block = self._blocks[key] = self._block(headers)
        parts = [b"%s %s HTTP/1.1\r\n" % (method, target), block.host or b"Host: %s\r\n" % netloc]
        if not body and not block.has_content_length and method in _CONTENT_LENGTH_FOR_EMPTY:
            parts.append(b"Content-Length: 0\r\n")
        parts.append(block.encoded)
        refusal = block.refusal
        if cookie is not None and not block.has_cookie:
            value = cookie.encode("utf-8")
            parts.append(b"Cookie: %s\r\n" % value)
            if refusal is None and not _FIELD_VALUE.fullmatch(value):
                refusal = httpcore.LocalProtocolError("a cookie no request can carry")
        if isinstance(body, bytes) and body and not block.has_content_length:
            parts.append(b"Content-Length: %d\r\n" % len(body))
        parts.append(b"\r\n")
        return b"".join(parts), refusal or _line_refusal(method, target)

    def raw_head(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
    ) -> tuple[bytes, Exception | None]:
        """The head of a request whose headers httpx built whole (multipart bodies)."""
        block = _HeaderBlock(headers)
        request_line = b"%s %s HTTP/1.1\r\n" % (method, target)
        return request_line + block.host + block.encoded + b"\r\n", _line_refusal(
            method, target
        ) or block.refusal

    def _block(self, headers: Mapping[str, str]) -> _HeaderBlock:
        # httpx.Headers.update: the caller's headers replace the defaults of the same name
        # and follow them, in the caller's order (encoded as ASCII).
        caller = [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()]
        replaced = {name.lower() for name, _ in caller}
        kept = [entry for entry in self._defaults if entry[0].lower() not in replaced]
        return _HeaderBlock(kept + caller)


def _line_refusal(method: bytes, target: bytes) -> Exception | None:
    if _TOKEN.fullmatch(method) and _TARGET.fullmatch(target):
        return None
    return httpcore.LocalProtocolError("a method or URL no request line can carry")


def _refusal(entries: list[tuple[bytes, bytes]]) -> Exception | None:
    """The failure h11 would raise for these headers (never quoting a value: keys are secrets)."""
    lengths: set[bytes] = set()
    for name, value in entries:
        if not _TOKEN.fullmatch(name):
            return httpcore.LocalProtocolError("Illegal header name")
        if not _FIELD_VALUE.fullmatch(value):
            return httpcore.LocalProtocolError(
                f"Illegal header value (header {name.decode('ascii')!r})"
            )
        lower = name.lower()
        if lower == b"transfer-encoding":
            # This client sends bodies of a known length only.
            return httpcore.LocalProtocolError("Transfer-Encoding is not supported")
        if lower == b"content-length":
            lengths.update(length.strip() for length in value.split(b","))
    if len(lengths) > 1 or (lengths and not next(iter(lengths)).isdigit()):
        return httpcore.LocalProtocolError("bad Content-Length")
    return None
