"""The pooled connections' network backend: :func:`_transport._speed_up_pools` installs it.

A module of its own so that ``httpcore`` (and ``h11``) are imported when the first client
builds its connection pool, as httpx itself does, not when ``nucleus_async`` is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpcore
from httpcore._utils import is_socket_readable

if TYPE_CHECKING:
    import ssl

__all__ = ["Backend", "ReadableCheck"]


class ReadableCheck(httpcore.AsyncNetworkStream):
    """A connection's stream whose ``is_readable`` check costs one ``poll`` and nothing more.

    httpcore asks every idle pooled connection ``is_readable`` (did the server close it?)
    each time a request starts or ends; its anyio stream answers by rebuilding anyio's
    table of socket attributes (a ``getpeername`` system call and a dict of lambdas) to find
    the socket, a third of a bulk upload's CPU with 16 connections. The socket is looked up
    once here; everything else is passed through.
    """

    __slots__ = ("_socket", "_stream")

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket = stream.get_extra_info("socket")

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
    ) -> httpcore.AsyncNetworkStream:
        return ReadableCheck(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return is_socket_readable(self._socket)
        return self._stream.get_extra_info(info)


class Backend(httpcore.AsyncNetworkBackend):
    """httpcore's default backend, its TCP streams wrapped in :class:`ReadableCheck`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return ReadableCheck(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        return await self._backend.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)
