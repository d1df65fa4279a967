"""The fast path: requests built with httpx, sent on the adapter's own connection pool.

``httpx.AsyncClient.send`` spends more than a millisecond per request on machinery the SDK
does not use (auth flows, event hooks, redirects, URL merging), and httpcore's pool as much
again scanning its connections. This path keeps what matters of the client: the same request
bytes (httpx builds the request, with the client's default headers), cookies kept across
requests, and answers decoded by httpx; the pool is :class:`~._pool.ConnectionPool`. It is
used for network sends when no proxy is configured.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import httpcore
import httpx

from .._config import ClientConfig
from ._interface import FilePart, Response
from ._pool import ConnectionPool
from ._socket_check import SocketCheckBackend

__all__ = ["PoolSender"]

#: Seconds an idle connection is kept alive: httpx's default.
KEEPALIVE_EXPIRY = 5.0
#: Parsed URLs remembered: a bulk upload sends to the same route over and over.
_PARSED_URLS = 64


class PoolSender:
    """Sends requests on its own pool: ``2 * max_concurrency`` connections, half kept idle."""

    def __init__(self, config: ClientConfig, *, user_agent: str) -> None:
        t = config.timeouts
        self._timeouts = {"connect": t.connect, "read": t.read, "write": t.write, "pool": t.pool}
        self._pool_timeout = t.pool
        self._pool = ConnectionPool(
            max_connections=config.max_concurrency * 2,
            max_idle=config.max_concurrency,
            keepalive_expiry=KEEPALIVE_EXPIRY,
            network_backend=SocketCheckBackend(httpcore.AnyIOBackend()),
            tls_context=functools.partial(httpx.create_ssl_context, verify=config.verify_ssl),
        )
        # A client given a transport builds no TLS context and reads no proxy setting; it is
        # asked only for the headers httpx sends with every request (its Accept-Encoding names
        # the decoders installed) and never sends.
        self._headers = httpx.AsyncClient(
            headers={"User-Agent": user_agent}, transport=httpx.AsyncBaseTransport()
        ).headers
        self._cookies = httpx.Cookies()
        # httpx's URL parsing is a third of building a request; signed URLs are each new, so
        # the memory is emptied when full rather than kept in use order.
        self._urls: dict[str, httpx.URL] = {}
        self.is_closed = False

    def __repr__(self) -> str:
        return f"<PoolSender {self._pool!r}>"

    @property
    def socket_check_installed(self) -> bool:
        return True  # every connection gets the SocketCheckBackend

    def busy_connections(self) -> int:
        return self._pool.busy_connections()

    async def aclose(self) -> None:
        self.is_closed = True
        await self._pool.aclose()

    def build(
        self,
        method: str,
        url: str,
        *,
        content: Any,
        files: Sequence[FilePart] | None,
        headers: Mapping[str, str],
    ) -> httpx.Request:
        """The request ``httpx.AsyncClient.build_request`` would build (raises httpx's errors)."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= _PARSED_URLS:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        merged = httpx.Headers(self._headers)
        merged.update(headers)
        return httpx.Request(
            method,
            parsed,
            content=content,
            files=files,
            headers=merged,
            cookies=self._cookies or None,
            extensions={"timeout": self._timeouts},
        )

    async def send(self, request: httpx.Request) -> Response:
        """Send and read the whole answer (raises httpcore's and httpx's errors).

        The connection goes back to the pool only once its answer was read whole; on any
        error or cancellation it is closed.
        """
        if self.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        url = request.url
        # What httpx's transport and httpcore's pool check and build (httpx's
        # AsyncHTTPTransport.handle_async_request).
        if url.raw_scheme not in (b"http", b"https"):
            raise httpcore.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{url.scheme}://'."
                if url.scheme
                else "Request URL is missing an 'http://' or 'https://' protocol."
            )
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        origin = core_request.url.origin
        pool = self._pool
        await pool.acquire_slot(self._pool_timeout)
        try:
            connection = await pool.connection(origin)
            try:
                while True:
                    try:
                        answer = await connection.handle_async_request(core_request)
                        break
                    except httpcore.ConnectionNotAvailable:
                        # Taken by nobody else, so rare: it changed state since the check.
                        await pool.discard(connection)
                        connection = await pool.connection(origin)
                content = await answer.aread()
                await answer.aclose()
            except BaseException:
                await pool.discard(connection)
                raise
            await pool.give_back(connection, origin)
        finally:
            pool.release_slot()
        headers = httpx.Headers(answer.headers)
        if "set-cookie" in headers:
            self._cookies.extract_cookies(
                httpx.Response(answer.status, headers=headers, request=request)
            )
        if "content-encoding" in headers:
            # httpx decodes with the decoders its Accept-Encoding announced.
            decoding = httpx.Response(
                answer.status, headers=headers, stream=httpx.ByteStream(content)
            )
            content = decoding.read()
        return Response(answer.status, headers, content)
