"""HTTPClient: the adapter's entry point, one pooled client per core client."""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .._config import ClientConfig
from ._interface import (
    ASGITransport,
    ConnectFailure,
    ConnectionLost,
    FileBody,
    FilePart,
    InvalidURL,
    Response,
    TimeoutFailure,
    TransportFailure,
)
from ._library import import_library

if TYPE_CHECKING:
    from ._h1_sender import H1Sender
    from ._httpx_sender import HttpxSender

__all__ = ["HTTPClient", "PreparedRequest"]


class PreparedRequest:
    """A request built by :meth:`HTTPClient.build`, ready for one :meth:`HTTPClient.send`."""

    __slots__ = ("_request", "_sender")

    def __init__(self, request: object, sender: H1Sender | HttpxSender) -> None:
        self._request = request  # the sender's own kind of request
        self._sender = sender  # the sender that built it, and sends it


class HTTPClient:
    """One pooled HTTP client: timeouts, connection limits, user agent and TLS from the config.

    ``auth_headers`` are added to every request built with ``authenticated=True``.
    ``transport`` sends to an in-process ASGI app instead of the network. Building the client
    makes no network call. Network sends go through the adapter's own HTTP/1.1, unless the
    environment configures a proxy or a test double (respx) replaced the library's sending:
    then through ``httpx.AsyncClient``, as in-process. The double is looked for again as each
    request is built, so a client built before ``respx.mock`` started is still seen by it.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        user_agent: str,
        auth_headers: Mapping[str, str],
        transport: ASGITransport | None = None,
    ) -> None:
        import_library()  # before the senders' modules import httpx
        t = config.timeouts
        self._auth_headers = auth_headers
        self._in_process = transport is not None
        self._read_timeout = t.read
        self._timeouts = {"connect": t.connect, "read": t.read, "write": t.write, "pool": t.pool}
        self._config = config
        self._user_agent = user_agent
        #: The sender of requests built while a test double replaces the library's sending,
        #: when this client was built without one (made on first need).
        self._doubled: HttpxSender | None = None
        self._sender: H1Sender | HttpxSender
        if transport is None and not _proxy_configured() and not _sending_replaced():
            from ._h1_sender import H1Sender

            self._sender = H1Sender(config, user_agent=user_agent)
            self._direct = True
        else:
            self._direct = False
            from ._httpx_sender import HttpxSender

            self._sender = HttpxSender(config, user_agent=user_agent, transport=transport)

    def __repr__(self) -> str:
        return f"<HTTPClient {'in-process' if self._in_process else 'pooled'}>"

    @property
    def is_closed(self) -> bool:
        return self._sender.is_closed

    @property
    def timeouts(self) -> dict[str, float | None]:
        """The timeouts in force: ``connect``, ``read``, ``write`` and ``pool`` seconds."""
        return dict(self._timeouts)

    @property
    def socket_check_installed(self) -> bool:
        """True when pooled connections are checked with the adapter's socket check."""
        return self._sender.socket_check_installed

    def busy_connections(self) -> int:
        """Pooled connections serving a request now (neither idle nor closed)."""
        doubled = self._doubled.busy_connections() if self._doubled is not None else 0
        return self._sender.busy_connections() + doubled

    async def aclose(self) -> None:
        """Close the pooled connections. Idempotent."""
        try:
            await self._sender.aclose()
        finally:
            if self._doubled is not None:
                await self._doubled.aclose()

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
        if isinstance(body, FileBody):
            all_headers["Content-Length"] = str(body.length)  # streamed, not chunked
        sender = self._sender_now()
        invalid: str | None = None
        try:
            built = sender.build(method, url, content=body, files=parts, headers=all_headers)
            return PreparedRequest(built, sender)
        except httpx.InvalidURL as exc:
            invalid = str(exc)
        # Raised here, outside the except clause: the library's exception is not chained.
        raise InvalidURL(invalid)

    def _sender_now(self) -> H1Sender | HttpxSender:
        """The sender of a request built now: the client's own, unless that is the direct path
        and a test double replaces the library's sending (then the library's, made once)."""
        if not self._direct or not _sending_replaced():
            return self._sender
        if self._doubled is None:
            from ._httpx_sender import HttpxSender

            self._doubled = HttpxSender(self._config, user_agent=self._user_agent, transport=None)
        return self._doubled

    async def send(self, prepared: PreparedRequest) -> Response:
        """Send and read the whole answer; the connection is released, also on cancellation.

        Raises a :class:`TransportFailure` when no answer came.
        """
        import httpcore
        import httpx

        failure: TransportFailure
        try:
            return await prepared._sender.send(prepared._request)
        except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
            failure = TimeoutFailure(type(exc).__name__, str(exc))
        except (httpx.ConnectError, httpcore.ConnectError) as exc:
            failure = ConnectFailure(type(exc).__name__, str(exc))
        except (
            httpx.NetworkError,
            httpx.RemoteProtocolError,
            httpcore.NetworkError,
            httpcore.RemoteProtocolError,
        ) as exc:
            # RemoteProtocolError is mostly a keep-alive connection the server dropped.
            failure = ConnectionLost(type(exc).__name__, str(exc))
        except (
            httpx.HTTPError,
            httpcore.ProtocolError,
            httpcore.ProxyError,
            httpcore.UnsupportedProtocol,
        ) as exc:
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


def _sending_replaced() -> bool:
    """True when a test double (respx) replaced how httpx or httpcore send (private 6).

    Such a double sees only requests sent through the library, so the client then sends through
    ``httpx.AsyncClient`` rather than its own HTTP/1.1, as it would through a proxy. Asked as
    each request is built: a few attribute reads.
    """
    import httpcore
    import httpx

    senders = (
        httpcore.AsyncConnectionPool.handle_async_request,
        httpcore.AsyncHTTPConnection.handle_async_request,
        getattr(httpx.AsyncClient, "_transport_for_url", None),
    )
    for sender in senders:
        if sender is not None and not sender.__module__.startswith(("httpcore.", "httpx.")):
            return True
    return False


def _proxy_configured() -> bool:
    """True when httpx (``trust_env``) would send through a proxy from the environment."""
    proxies = urllib.request.getproxies()
    if "*" in (host.strip() for host in proxies.get("no", "").split(",")):
        return False  # NO_PROXY=* turns every proxy off
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))
