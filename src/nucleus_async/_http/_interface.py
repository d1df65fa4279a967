"""The adapter's neutral types: what the rest of the core sees instead of the library's."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import attrs

__all__ = [
    "ASGIApp",
    "ASGITransport",
    "ConnectFailure",
    "ConnectionLost",
    "FileBody",
    "FilePart",
    "InvalidURL",
    "Response",
    "TimeoutFailure",
    "TransportFailure",
]

#: A multipart part: (field name, (filename or None, content, content type)).
FilePart = tuple[str, tuple[str | None, bytes, str]]
#: An ASGI 3 application: ``await app(scope, receive, send)``.
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]


class Response:
    """A finished answer: status, headers and body bytes (the connection is already released).

    ``headers`` is a case-insensitive mapping.
    """

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def __repr__(self) -> str:
        return f"<Response {self.status_code} ({len(self.content)} bytes)>"

    def json(self) -> Any:
        return json.loads(self.content) if self.content else None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


@attrs.frozen
class FileBody:
    """A request body streamed from a file of a known length (sent as ``Content-Length``).

    The file is opened afresh for each attempt, so a retry sends it from the start.
    """

    path: str | os.PathLike[str]
    length: int = attrs.field(validator=attrs.validators.ge(0))


class ASGITransport:
    """Sends a client's requests to an ASGI application in the same process (no socket).

    Pass it as ``NucleusClient(..., http_transport=ASGITransport(app))``, for example to use
    the emulator in-process::

        emu = nucleus_emulator.Emulator()
        client = nucleus_async.NucleusClient(
            key, endpoint=emu.endpoint, http_transport=nucleus_async.ASGITransport(emu.app)
        )

    The app answers as a server would, with failures a socket would give: an answer slower
    than the client's read timeout ends in ``NucleusTimeoutError``, and an app that raises
    ``ConnectionError`` (``ConnectionResetError`` for a dropped connection) or ``TimeoutError``
    gives ``NucleusConnectionError`` or ``NucleusTimeoutError``, retried like their socket
    twins. Any other exception of the app propagates unchanged.
    """

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        if not callable(app):
            raise TypeError("ASGITransport needs an ASGI application (a callable)")
        self.app = app

    def __repr__(self) -> str:
        return f"ASGITransport({self.app!r})"


class TransportFailure(Exception):
    """The request got no answer. Not worth retrying unless a subclass says otherwise.

    ``reason`` names the failure (the library's name for it, e.g. ``ConnectError``); the
    message is the library's description, which may quote the request: scrub it before use.
    The library's exception is never attached (it holds the request and its headers).
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class ConnectFailure(TransportFailure):
    """No connection to the server could be made (nothing was sent)."""


class ConnectionLost(TransportFailure):
    """The connection broke or the server closed it before answering."""


class TimeoutFailure(TransportFailure):
    """A connect, read, write or pool timeout expired."""


class InvalidURL(ValueError):
    """The URL cannot be sent (not a URL, or characters a request line cannot carry)."""
