"""The fast path: requests written and answers parsed by the adapter itself, on asyncio.

``httpx.AsyncClient.send`` and httpcore spend more than a millisecond per request on
machinery the SDK does not use (request and header objects, h11's state machine, a cancel
scope per read and write, two socket sends per request). Here a request is its head bytes
(:mod:`._h1_request`, the same bytes httpx sends), one transport write, and a future the
connection's protocol (:mod:`._h1_connection`) resolves with the parsed answer; connections
are kept in :mod:`._h1_pool`. httpx still encodes multipart bodies, keeps the cookies and
decodes compressed answers, so those behave as on the library path. Used for network sends
when no proxy is configured.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import httpcore
import httpx

from .._config import ClientConfig
from ._file_chunks import file_chunks
from ._h1_pool import H1Pool
from ._h1_request import H1Request, HeadEncoder
from ._interface import FileBody, FilePart, Response

__all__ = ["H1Sender"]

#: Seconds an idle connection is kept alive: httpx's default.
KEEPALIVE_EXPIRY = 5.0
#: Parsed URLs remembered: a bulk upload sends to the same route over and over.
_PARSED_URLS = 64
_DEFAULT_PORTS = {"http": 80, "https": 443}


class H1Sender:
    """Sends requests on its own pool: ``2 * max_concurrency`` connections, half kept idle."""

    def __init__(self, config: ClientConfig, *, user_agent: str) -> None:
        t = config.timeouts
        self._pool_timeout = t.pool
        self._write_timeout = t.write
        self._read_timeout = t.read
        self._pool = H1Pool(
            max_connections=config.max_concurrency * 2,
            max_idle=config.max_concurrency,
            keepalive_expiry=KEEPALIVE_EXPIRY,
            connect_timeout=t.connect,
            tls_context=functools.partial(httpx.create_ssl_context, verify=config.verify_ssl),
        )
        # A client given a transport builds no TLS context and reads no proxy setting; it is
        # asked only for the headers httpx sends with every request (its Accept-Encoding names
        # the decoders installed) and never sends.
        self._headers = httpx.AsyncClient(
            headers={"User-Agent": user_agent}, transport=httpx.AsyncBaseTransport()
        ).headers
        self._encoder = HeadEncoder(list(self._headers.raw))
        self._cookies = httpx.Cookies()
        # httpx's URL parsing is a third of building a request; signed URLs are each new, so
        # the memory is emptied when full rather than kept in use order.
        self._urls: dict[str, httpx.URL] = {}
        self.is_closed = False

    def __repr__(self) -> str:
        return f"<H1Sender {self._pool!r}>"

    @property
    def socket_check_installed(self) -> bool:
        return True  # every idle connection is polled before reuse

    def busy_connections(self) -> int:
        return self._pool.busy_connections()

    async def aclose(self) -> None:
        self.is_closed = True
        self._pool.close()

    def build(
        self,
        method: str,
        url: str,
        *,
        content: bytes | FileBody | None,
        files: Sequence[FilePart] | None,
        headers: Mapping[str, str],
    ) -> H1Request:
        """The request httpx would build, as bytes (raises httpx's ``InvalidURL``)."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= _PARSED_URLS:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        method = method.upper()
        scheme = parsed.scheme
        refusal: Exception | None = None
        if scheme not in _DEFAULT_PORTS:
            refusal = httpcore.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'."
                if scheme
                else "Request URL is missing an 'http://' or 'https://' protocol."
            )
        origin = (
            scheme,
            parsed.raw_host.decode("ascii"),
            parsed.port or _DEFAULT_PORTS.get(scheme, 0),
        )
        file = content if isinstance(content, FileBody) else None
        if files is not None:
            head, body, refused = self._multipart(method, parsed, files, headers)
        else:
            body = content if isinstance(content, bytes) else b""
            cookie = self._cookie_for(method, parsed) if self._cookies else None
            head, refused = self._encoder.head(
                method.encode("ascii"),
                parsed.raw_path,
                parsed.netloc,
                headers,
                body=file or body,
                cookie=cookie,
            )
        refusal = refusal or refused
        return H1Request(
            method=method,
            url=parsed,
            origin=origin,
            head=head,
            body=body,
            file=file,
            refusal=refusal,
        )

    async def send(self, request: object) -> Response:
        """Send and read the whole answer (raises httpcore's and httpx's errors).

        The connection goes back to the pool only once its answer was read whole and kept it
        alive; on any error or cancellation it is closed.
        """
        if not isinstance(request, H1Request):
            raise TypeError("the request was built by another kind of client")
        if self.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        if request.refusal is not None:
            raise request.refusal
        file = request.file
        pool = self._pool
        await pool.acquire_slot(self._pool_timeout)
        try:
            connection = await pool.connection(request.origin)
            try:
                answer = await connection.exchange(
                    request.head,
                    request.body,
                    None if file is None else file_chunks(file.path),
                    0 if file is None else file.length,
                    expect_body=request.expect_body,
                    write_timeout=self._write_timeout,
                    read_timeout=self._read_timeout,
                )
            except BaseException:
                pool.discard(connection)
                raise
            if answer.keep_alive:
                pool.give_back(connection, request.origin)
            else:
                pool.discard(connection)
        finally:
            pool.release_slot()
        headers = httpx.Headers(answer.headers)
        content = answer.content
        if "set-cookie" in headers:
            self._cookies.extract_cookies(
                httpx.Response(
                    answer.status,
                    headers=headers,
                    request=httpx.Request(request.method, request.url),
                )
            )
        if "content-encoding" in headers:
            # httpx decodes with the decoders its Accept-Encoding announced.
            decoding = httpx.Response(
                answer.status, headers=headers, stream=httpx.ByteStream(content)
            )
            content = decoding.read()
        return Response(answer.status, headers, content)

    def _cookie_for(self, method: str, url: httpx.URL) -> str | None:
        """The ``Cookie`` header httpx would send to ``url`` (the cookie jar's policy)."""
        probe = httpx.Request(method, url)
        self._cookies.set_cookie_header(probe)
        cookie: str | None = probe.headers.get("cookie")
        return cookie

    def _multipart(
        self,
        method: str,
        url: httpx.URL,
        files: Sequence[FilePart],
        headers: Mapping[str, str],
    ) -> tuple[bytes, bytes, Exception | None]:
        """Head, body and refusal of a multipart request, as httpx encodes it (rare: files)."""
        merged = httpx.Headers(self._headers)
        merged.update(headers)
        request = httpx.Request(
            method, url, files=files, headers=merged, cookies=self._cookies or None
        )
        body = request.read()
        head, refusal = self._encoder.raw_head(
            method.encode("ascii"), url.raw_path, request.headers.raw
        )
        return head, body, refusal
