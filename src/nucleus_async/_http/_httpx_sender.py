"""The library path: requests sent by ``httpx.AsyncClient``, through a proxy or in-process.

Used when the environment configures a proxy (httpx reads it and builds the proxy's pools,
which get the socket check too: privates 1 and 2 of the package) and for an in-process ASGI
app. Network sends without a proxy take the faster :mod:`._h1_sender`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence

import anyio
import httpx

from .._config import ClientConfig
from ._file_chunks import file_chunks
from ._interface import ASGITransport, FileBody, FilePart, Response
from ._socket_check import install_socket_check

__all__ = ["HttpxSender"]


class HttpxSender:
    """One ``httpx.AsyncClient``: timeouts, limits, user agent and TLS from the config."""

    def __init__(
        self, config: ClientConfig, *, user_agent: str, transport: ASGITransport | None
    ) -> None:
        t = config.timeouts
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
        self._pools = [] if transport is not None else install_socket_check(self._client)
        self._spent_stream = httpx.ByteStream(b"")  # see private 4 of the package

    def __repr__(self) -> str:
        return f"<HttpxSender {'in-process' if self._in_process else 'networked'}>"

    @property
    def is_closed(self) -> bool:
        return self._client.is_closed

    @property
    def socket_check_installed(self) -> bool:
        return bool(self._pools)

    def busy_connections(self) -> int:
        return sum(
            not (connection.is_idle() or connection.is_closed())
            for pool in self._pools
            for connection in pool.connections
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def build(
        self,
        method: str,
        url: str,
        *,
        content: bytes | FileBody | None,
        files: Sequence[FilePart] | None,
        headers: Mapping[str, str],
    ) -> httpx.Request:
        return self._client.build_request(
            method,
            url,
            content=file_chunks(content.path) if isinstance(content, FileBody) else content,
            files=files,
            headers=headers,
        )

    async def send(self, request: object) -> Response:
        """Send and read the whole answer (raises httpx's errors).

        In-process, the read timeout bounds the app's answer (no socket times out there).
        """
        if not isinstance(request, httpx.Request):
            raise TypeError("the request was built by another kind of client")
        if self._in_process:
            with anyio.fail_after(self._read_timeout):
                response = await self._client.send(request)
        else:
            response = await self._client.send(request)
        with contextlib.suppress(AttributeError):  # private 4: frees the request body now
            response.stream = self._spent_stream
        return Response(response.status_code, response.headers, response.content)
