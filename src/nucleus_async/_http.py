"""The HTTP library adapter: the only module of the core that imports httpx or httpcore.

The rest of the core sees a small neutral interface: :class:`HTTPClient` (one pooled client,
opened from a :class:`~._config.ClientConfig`) builds a request (:meth:`HTTPClient.build`:
method, URL, headers, a body of bytes, multipart parts or a :class:`FileBody`) and sends it
(:meth:`HTTPClient.send`), answering the project's own :class:`Response`; the library's
exceptions come out as the neutral :class:`TransportFailure` family and :class:`InvalidURL`.
:class:`ASGITransport` is the public way to send requests to an ASGI app in-process. Moving to
another HTTP library is a rewrite of this module only.

httpx is imported when the first :class:`HTTPClient` is built (or :func:`library_version` is
called), not by ``import nucleus_async``; the annotations below only name it for type checkers.

Library privates this module relies on. Each is guarded (when one is missing, the library's
own slower behaviour is kept; nothing fails) and pinned by
``tests/unit/test_http_adapter_privates.py``, which fails loudly when a new httpx/httpcore
changes it:

1. ``httpx.AsyncClient._transport`` / ``._mounts`` and ``httpx.AsyncHTTPTransport._pool``:
   where the client keeps its default transports (direct and proxied) and their httpcore
   pools (:func:`_install_socket_check`).
2. ``httpcore.AsyncConnectionPool._network_backend``: the pool's network backend, replaced by
   :class:`_SocketCheckBackend` (httpx offers no way to pass a backend).
3. httpcore decides whether an idle pooled connection was closed by the server by asking its
   stream ``get_extra_info("is_readable")`` (:class:`_SocketCheckStream` answers it cheaply).
4. A response read by ``AsyncClient.send`` and its ``stream`` refer to each other, and the
   response holds the request and its body; setting ``response.stream`` to an empty stream
   breaks the cycle, so bodies are freed when an attempt ends, not at the next cyclic garbage
   collection (:meth:`HTTPClient.send`).
5. ``httpx/__init__`` imports ``httpx._main`` (its command-line tool) whenever click is
   installed, which pulls in click, rich and pygments: two thirds of httpx's import time, paid
   by the first client. A placeholder stands in for ``httpx._main`` during that import
   (:func:`_import_library`).

No longer relied on: ``httpcore._utils.is_socket_readable`` (:func:`_socket_is_readable` does
the same with :mod:`select`).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from ._config import ClientConfig

if TYPE_CHECKING:
    import socket
    import ssl

    import httpcore
    import httpx

__all__ = [
    "ASGIApp",
    "ASGITransport",
    "ConnectFailure",
    "ConnectionLost",
    "FileBody",
    "FilePart",
    "HTTPClient",
    "InvalidURL",
    "PreparedRequest",
    "Response",
    "TimeoutFailure",
    "TransportFailure",
    "library_version",
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

#: Bytes read from a :class:`FileBody` at a time.
_FILE_CHUNK = 256 * 1024


# -- the neutral interface ----------------------------------------------------------------------


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


def library_version() -> str:
    """The HTTP library and its version, for the user agent (imports the library)."""
    _import_library()
    import httpx

    return f"httpx {httpx.__version__}"


class PreparedRequest:
    """A request built by :meth:`HTTPClient.build`, ready for one :meth:`HTTPClient.send`."""

    __slots__ = ("_request",)

    def __init__(self, request: httpx.Request) -> None:
        self._request = request


class HTTPClient:
    """One pooled HTTP client: timeouts, connection limits, user agent and TLS from the config.

    ``auth_headers`` are added to every request built with ``authenticated=True``.
    ``transport`` sends to an in-process ASGI app instead of the network. Building the client
    makes no network call.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        user_agent: str,
        auth_headers: Mapping[str, str],
        transport: ASGITransport | None = None,
    ) -> None:
        _import_library()
        import httpx

        t = config.timeouts
        self._auth_headers = auth_headers
        self._in_process = transport is not None
        self._read_timeout = t.read
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
            limits=httpx.Limits(
                max_connections=config.max_concurrency * 2,
                max_keepalive_connections=config.max_concurrency,
            ),
            verify=config.verify_ssl,
            transport=None if transport is None else httpx.ASGITransport(app=transport.app),
            headers={"User-Agent": user_agent},
            follow_redirects=False,
        )
        self._pools = [] if transport is not None else _install_socket_check(self._client)
        self._spent_stream = httpx.ByteStream(b"")  # see private 4 in the module docstring

    def __repr__(self) -> str:
        return f"<HTTPClient {'in-process' if self._in_process else 'pooled'}>"

    @property
    def is_closed(self) -> bool:
        return self._client.is_closed

    @property
    def timeouts(self) -> dict[str, float | None]:
        """The timeouts in force: ``connect``, ``read``, ``write`` and ``pool`` seconds."""
        return dict(self._client.timeout.as_dict())

    @property
    def socket_check_installed(self) -> bool:
        """True when the pools check idle connections with :class:`_SocketCheckStream`."""
        return bool(self._pools)

    def busy_connections(self) -> int:
        """Pooled connections serving a request now (neither idle nor closed)."""
        return sum(
            not (connection.is_idle() or connection.is_closed())
            for pool in self._pools
            for connection in pool.connections
        )

    async def aclose(self) -> None:
        """Close the pooled connections. Idempotent."""
        await self._client.aclose()

    def build(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | FileBody | None = None,
        parts: Sequence[FilePart] | None = None,
        authenticated: bool = True,
    ) -> PreparedRequest:
        """A request to send once; raises :class:`InvalidURL` if the URL cannot be sent.

        ``parts`` are encoded as ``multipart/form-data`` (``body`` must then be None).
        """
        import httpx

        all_headers = dict(headers)
        if authenticated:
            all_headers.update(self._auth_headers)
        content: bytes | AsyncIterator[bytes] | None
        if isinstance(body, FileBody):
            content = _file_chunks(body.path)
            all_headers["Content-Length"] = str(body.length)  # streamed, not chunked
        else:
            content = body
        invalid: str | None = None
        try:
            return PreparedRequest(
                self._client.build_request(
                    method, url, content=content, files=parts, headers=all_headers
                )
            )
        except httpx.InvalidURL as exc:
            invalid = str(exc)
        # Raised here, outside the except clause: the library's exception is not chained.
        raise InvalidURL(invalid)

    async def send(self, prepared: PreparedRequest) -> Response:
        """Send and read the whole answer; the connection is released, also on cancellation.

        Raises a :class:`TransportFailure` when no answer came.
        """
        import httpx

        failure: TransportFailure
        try:
            if self._in_process:
                # No socket times out in-process: the read timeout bounds the app's answer.
                with anyio.fail_after(self._read_timeout):
                    response = await self._client.send(prepared._request)
            else:
                response = await self._client.send(prepared._request)
            with contextlib.suppress(AttributeError):  # private 4: frees the request body now
                response.stream = self._spent_stream
            return Response(response.status_code, response.headers, response.content)
        except httpx.TimeoutException as exc:
            failure = TimeoutFailure(type(exc).__name__, str(exc))
        except httpx.ConnectError as exc:
            failure = ConnectFailure(type(exc).__name__, str(exc))
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            # RemoteProtocolError is mostly a keep-alive connection the server dropped.
            failure = ConnectionLost(type(exc).__name__, str(exc))
        except httpx.HTTPError as exc:
            # Proxy, protocol and decoding errors: retrying would fail the same way.
            failure = TransportFailure(type(exc).__name__, str(exc))
        except TimeoutError as exc:
            if not self._in_process:
                raise
            failure = TimeoutFailure(
                type(exc).__name__,
                str(exc) or f"no answer within the read timeout ({self._read_timeout} s)",
            )
        except ConnectionError as exc:
            if not self._in_process:
                raise
            failure = ConnectionLost(type(exc).__name__, str(exc) or "connection dropped")
        # Raised here, outside the except clauses: the library's exception is not chained.
        raise failure


async def _file_chunks(path: str | os.PathLike[str]) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(_FILE_CHUNK):
            yield chunk


# -- the library's import without its command-line tool (private 5) ----------------------------


def _import_library() -> None:
    """``import httpx`` without ``httpx._main`` (see private 5).

    The placeholder's ``main`` loads the real command-line tool on first call, so
    ``httpx.main()`` still works, and the placeholder is removed as soon as httpx is imported,
    so a later ``import httpx._main`` gets the real module.
    """
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    placeholder = ModuleType("httpx._main")

    def main(*args: Any, **kwargs: Any) -> Any:
        if sys.modules.get("httpx._main") is placeholder:
            del sys.modules["httpx._main"]
        return importlib.import_module("httpx._main").main(*args, **kwargs)

    placeholder.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = placeholder
    try:
        importlib.import_module("httpx")
    finally:
        if sys.modules.get("httpx._main") is placeholder:
            del sys.modules["httpx._main"]


# -- the cheaper idle-connection check (privates 1 to 3) -----------------------------------------


def _install_socket_check(client: httpx.AsyncClient) -> list[httpcore.AsyncConnectionPool]:
    """Give the client's default pools (direct and proxied) a :class:`_SocketCheckBackend`.

    Returns the pools changed: none when this httpx keeps its pools elsewhere (privates 1, 2).
    """
    import httpcore
    import httpx

    pools: list[httpcore.AsyncConnectionPool] = []
    mounts: Mapping[Any, Any] = getattr(client, "_mounts", {})
    for transport in (getattr(client, "_transport", None), *mounts.values()):
        if type(transport) is not httpx.AsyncHTTPTransport:
            continue
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(pool, httpcore.AsyncConnectionPool) and backend is not None:
            pool._network_backend = _SocketCheckBackend(backend)  # type: ignore[assignment]
            pools.append(pool)
    return pools


def _socket_is_readable(sock: socket.socket) -> bool:
    """True when a read would not block: data is waiting, or the peer closed (or it is gone)."""
    fd = sock.fileno()
    if fd < 0:
        return True
    if sys.platform == "win32" or not hasattr(select, "poll"):
        readable, _, _ = select.select([fd], [], [], 0)
        return bool(readable)
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    return bool(poll.poll(0))


class _SocketCheckStream:
    """A connection's stream whose ``is_readable`` check costs one ``poll`` and nothing more.

    httpcore asks every idle pooled connection ``is_readable`` (did the server close it?)
    each time a request starts or ends; its anyio stream answers by rebuilding anyio's table
    of socket attributes (a ``getpeername`` system call and a dict of lambdas) to find the
    socket, a third of a bulk upload's CPU with 16 connections. The socket is looked up once
    here; everything else is passed through (httpcore's network-stream interface).
    """

    __slots__ = ("_socket", "_stream")

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> _SocketCheckStream:
        return _SocketCheckStream(
            await self._stream.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:  # private 3
            return _socket_is_readable(self._socket)
        return self._stream.get_extra_info(info)


class _SocketCheckBackend:
    """httpcore's default backend, its TCP streams wrapped in :class:`_SocketCheckStream`."""

    __slots__ = ("_backend",)

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> _SocketCheckStream:
        stream = await self._backend.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return _SocketCheckStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        return await self._backend.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)
