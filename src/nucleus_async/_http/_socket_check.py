"""The cheaper idle-connection check: did the server close this idle keep-alive connection?

httpcore asks an idle connection's stream ``get_extra_info("is_readable")`` before reusing it
(private 3 of the package); :class:`SocketCheckBackend` makes its streams answer with one
``poll``. The adapter's own pool passes it as the connections' network backend (public
httpcore API); on the library path :func:`install_socket_check` puts it into httpx's pools
(privates 1 and 2).
"""

from __future__ import annotations

import select
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

if TYPE_CHECKING:
    import socket
    import ssl

__all__ = ["SocketCheckBackend", "install_socket_check", "socket_is_readable"]


def install_socket_check(client: httpx.AsyncClient) -> list[httpcore.AsyncConnectionPool]:
    """Give the client's default pools (direct and proxied) a :class:`SocketCheckBackend`.

    Returns the pools changed: none when this httpx keeps its pools elsewhere (privates 1, 2).
    """
    pools: list[httpcore.AsyncConnectionPool] = []
    mounts: Mapping[Any, Any] = getattr(client, "_mounts", {})
    for transport in (getattr(client, "_transport", None), *mounts.values()):
        if type(transport) is not httpx.AsyncHTTPTransport:
            continue
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(pool, httpcore.AsyncConnectionPool) and backend is not None:
            pool._network_backend = SocketCheckBackend(backend)
            pools.append(pool)
    return pools


def socket_is_readable(sock: socket.socket) -> bool:
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


class SocketCheckStream(httpcore.AsyncNetworkStream):
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
    ) -> SocketCheckStream:
        return SocketCheckStream(
            await self._stream.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:  # private 3
            return socket_is_readable(self._socket)
        return self._stream.get_extra_info(info)


class SocketCheckBackend(httpcore.AsyncNetworkBackend):
    """httpcore's default backend, its TCP streams wrapped in :class:`SocketCheckStream`."""

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
    ) -> SocketCheckStream:
        stream = await self._backend.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return SocketCheckStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        return await self._backend.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)
