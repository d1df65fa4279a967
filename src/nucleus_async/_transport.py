"""HTTP transport: the one pooled httpx client, auth, the retry loop, and error mapping.

This is the only module that imports httpx, so swapping the HTTP library is a one-file change.

Secrets: the credentials live in one ``httpx.Auth`` object whose repr is redacted and are
added to each request inside httpx, so they are in no local variable, log line or message
of this module. Transport failures are re-raised as SDK errors *without* chaining the httpx
exception (which holds the request and its headers), and any text that comes back from the
network (error bodies, exception messages) has the key and its Basic-auth form scrubbed.
"""

from __future__ import annotations

import base64
import importlib
import itertools
import json
import logging
import platform
import sys
import time
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from ._config import ClientConfig
from ._errors import (
    NucleusAPIError,
    NucleusConnectionError,
    NucleusError,
    NucleusTimeoutError,
    ValidationError,
    api_error_for_status,
)
from ._json import dumps, dumps_batch
from ._version import __version__


def _import_httpx() -> ModuleType:
    """``import httpx`` without its command-line module.

    ``httpx/__init__`` imports ``httpx._main`` (its CLI) whenever click is installed, which
    pulls in click, rich and pygments: about half of this package's import time and memory.
    A placeholder stands in for ``httpx._main`` during the import; its ``main`` loads the real
    CLI on first call, so ``httpx.main()`` still works, and the placeholder is removed at once
    so a later ``import httpx._main`` gets the real module.
    """
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return importlib.import_module("httpx")
    placeholder = ModuleType("httpx._main")

    def main(*args: Any, **kwargs: Any) -> Any:
        if sys.modules.get("httpx._main") is placeholder:
            del sys.modules["httpx._main"]
        return importlib.import_module("httpx._main").main(*args, **kwargs)

    placeholder.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = placeholder
    try:
        return importlib.import_module("httpx")
    finally:
        if sys.modules.get("httpx._main") is placeholder:
            del sys.modules["httpx._main"]


if TYPE_CHECKING:
    import httpx
else:
    httpx = _import_httpx()

__all__ = [
    "USER_AGENT",
    "FilePart",
    "MultipartFactory",
    "Response",
    "Transport",
    "dumps",
    "dumps_batch",
]

logger = logging.getLogger("nucleus_async")

#: A multipart part: (field name, (filename or None, content, content type)).
FilePart = tuple[str, tuple[str | None, bytes, str]]
#: Builds the multipart parts afresh for each attempt, so a retry re-reads the files.
MultipartFactory = Callable[[], Awaitable[Sequence[FilePart]]]

USER_AGENT = (
    f"nucleus-sdk/{__version__} (nucleus_async; python {platform.python_version()}; "
    f"httpx {httpx.__version__})"
)

#: The label used for presigned URLs in errors and logs: their query string is a credential.
SIGNED_URL_ROUTE = "<signed url>"

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid")
_BODY_ON_NONE = frozenset({"POST", "PUT", "PATCH"})
_REDACTED = "<redacted>"
_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}
#: Stands in for the stream of a response already read (see ``Transport._attempt``).
_SPENT_STREAM = httpx.ByteStream(b"")


class Response:
    """A finished answer: status, headers and body bytes (the connection is already released)."""

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


class _Credentials(httpx.Auth):
    """Adds the client's credentials to each request; knows how to scrub them from text."""

    def __init__(self, config: ClientConfig) -> None:
        if config.limited_access_key is not None:
            key = config.limited_access_key
            self._headers = {"x-limited-access-key": key}
        else:
            assert config.api_key is not None  # ClientConfig guarantees one of the two
            key = config.api_key
            token = base64.b64encode(f"{key}:".encode()).decode()
            self._headers = {"Authorization": f"Basic {token}"}
        # The key, its Basic-auth token and its bare base64 (which shares the token's start),
        # longest first so the token is replaced whole.
        forms = {
            key,
            base64.b64encode(f"{key}:".encode()).decode(),
            base64.b64encode(key.encode()).decode().rstrip("="),
        }
        self._secrets = tuple(sorted(forms, key=len, reverse=True))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_REDACTED})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self._headers)
        yield request

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _REDACTED)
        return text


def _speed_up_pools(client: httpx.AsyncClient) -> None:
    """Give the client's own pools (direct and proxied) the :class:`~._pool_backend.Backend`.

    Only httpx's default transports are touched (a transport passed by the caller is left
    alone), and only if they hold the pool where this httpx version keeps it.
    """
    # httpx itself imports httpcore only when it builds a transport (as here), and so does this
    # module: httpcore and h11 are a fifth of the package's import time.
    try:
        import httpcore

        from ._pool_backend import Backend
    except ImportError:  # another httpcore layout: keep its own backend, just slower
        return

    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        if type(transport) is not httpx.AsyncHTTPTransport:
            continue
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(pool, httpcore.AsyncConnectionPool) and isinstance(
            backend, httpcore.AsyncNetworkBackend
        ):
            pool._network_backend = Backend(backend)


class Transport:
    """Sends requests to one endpoint with retries, under the client's concurrency limit.

    One pooled ``httpx.AsyncClient`` per transport (so per client); constructing it makes no
    network call. ``limiter`` bounds the requests in flight (``max_concurrency``); it is held
    only while a request is on the wire, never while backing off, and callers must not hold
    it themselves around ``request``/``send`` (an ``anyio.CapacityLimiter`` is not
    re-entrant for one task).
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._config = config
        self._endpoint = config.endpoint
        self._credentials = _Credentials(config)
        t = config.timeouts
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
            limits=httpx.Limits(
                max_connections=config.max_concurrency * 2,
                max_keepalive_connections=config.max_concurrency,
            ),
            verify=config.verify_ssl,
            transport=http_transport,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        if http_transport is None:
            _speed_up_pools(self._http)
        if not config.verify_ssl:
            logger.warning(
                "TLS certificate verification is OFF for %s (verify_ssl=False); use this "
                "only against a server you trust.",
                self._endpoint,
            )
        self.limiter = anyio.CapacityLimiter(config.max_concurrency)
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"Transport(endpoint={self._endpoint!r})"

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def config(self) -> ClientConfig:
        return self._config

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def aclose(self) -> None:
        """Close the pooled connections. Idempotent; later requests raise ``NucleusError``."""
        await self._http.aclose()

    def url(self, route: str) -> str:
        """The service joins endpoint and route with one ``/`` and no normalisation.

        A path segment that is exactly ``.`` or ``..`` (a reference id such as ``".."``) is
        percent-encoded: httpx would otherwise remove it as a dot segment, and
        ``DELETE dataset/ds/refloc/..`` would become ``DELETE dataset/ds``.
        """
        path, mark, query = route.partition("?")
        if "." in path:
            path = "/".join(_DOT_SEGMENTS.get(segment, segment) for segment in path.split("/"))
        return f"{self._endpoint}/{path}{mark}{query}"

    async def request(
        self,
        method: str,
        route: str,
        payload: Any = None,
        *,
        multipart: MultipartFactory | None = None,
        content: bytes | None = None,
    ) -> Any:
        """Send and decode JSON; raise the mapped ``NucleusAPIError`` on a final non-2xx.

        A 2xx body that is not JSON is returned as text.
        """
        response = await self.send(method, route, payload, multipart=multipart, content=content)
        try:
            return response.json()
        except ValueError:
            return response.text

    async def send(
        self,
        method: str,
        route: str,
        payload: Any = None,
        *,
        multipart: MultipartFactory | None = None,
        content: bytes | None = None,
        raise_for_status: bool = True,
    ) -> Response:
        """Send one logical request, retrying per the policy; return the final response.

        JSON requests carry ``Content-Type: application/json`` (on every verb, as the official
        client does); a POST/PUT/PATCH without payload sends ``{}``. ``content`` is a JSON body
        already encoded (see :func:`dumps_batch`), sent as is instead of ``payload``. With
        ``multipart`` the factory is called for each attempt (inside the concurrency slot) and
        its parts are encoded as ``multipart/form-data``. Any non-2xx final status raises the
        ``NucleusAPIError`` subclass for it, unless ``raise_for_status`` is False.
        """
        method = method.upper()
        if content is not None:
            if payload is not None or multipart is not None:
                raise TypeError("content excludes payload and multipart")
            body: bytes | None = content
        else:
            if multipart is None and payload is None and method in _BODY_ON_NONE:
                payload = {}
            body = None if payload is None else dumps(payload)
        headers = {} if multipart is not None else {"Content-Type": "application/json"}
        return await self._send_with_retries(
            method,
            self.url(route),
            route,
            body=body,
            multipart=multipart,
            headers=headers,
            auth=self._credentials,
            raise_for_status=raise_for_status,
        )

    async def put_signed_url(self, url: str, content: bytes) -> None:
        """Upload a body to a presigned URL: no credentials, no content type (as S3 expects).

        Retried like any request; the URL (its query string is a credential) is never logged
        nor put in an error.
        """
        await self._send_with_retries(
            "PUT",
            url,
            SIGNED_URL_ROUTE,
            body=content,
            multipart=None,
            headers={},
            auth=None,
            raise_for_status=True,
        )

    async def _send_with_retries(
        self,
        method: str,
        url: str,
        route: str,
        *,
        body: bytes | None,
        multipart: MultipartFactory | None,
        headers: dict[str, str],
        auth: httpx.Auth | None,
        raise_for_status: bool,
    ) -> Response:
        if self._http.is_closed:
            raise NucleusError(f"Cannot send {method} {route}: the client is closed.")
        policy = self._config.retry
        for attempt in itertools.count(1):
            failure: NucleusConnectionError | None = None
            retry_after: str | None = None
            try:
                response = await self._attempt(method, url, route, body, multipart, headers, auth)
            except httpx.TimeoutException as exc:
                failure = self._connection_error(NucleusTimeoutError, exc, attempt, method, route)
                retryable = policy.retry_timeouts
                reason = type(exc).__name__
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                # RemoteProtocolError is mostly a keep-alive connection the server dropped.
                failure = self._connection_error(
                    NucleusConnectionError, exc, attempt, method, route
                )
                retryable = policy.retry_connect_errors
                reason = type(exc).__name__
            except httpx.HTTPError as exc:
                # Proxy, protocol and decoding errors: retrying would fail the same way.
                failure = self._connection_error(
                    NucleusConnectionError, exc, attempt, method, route
                )
                retryable = False
                reason = type(exc).__name__
            except httpx.InvalidURL as exc:
                raise ValidationError(self._credentials.scrub(str(exc)), field="route") from None
            if failure is not None:
                # Raised here, outside the except clause, so the httpx exception (which holds
                # the request and its headers) is not attached as __context__.
                if not retryable or attempt >= policy.max_attempts:
                    raise failure
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return response
                if not policy.is_retryable_status(status) or attempt >= policy.max_attempts:
                    if not raise_for_status:
                        return response
                    raise self._api_error(response, method, route)
                retry_after = response.headers.get("retry-after")
                reason = str(status)
            delay = policy.delay(attempt, retry_after)
            logger.info(
                "retrying %s %s after %s (attempt %d of %d, waiting %.2f s)",
                method,
                route,
                reason,
                attempt,
                policy.max_attempts,
                delay,
            )
            # The sleep happens outside the limiter: a backing-off request holds no slot.
            await policy.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        method: str,
        url: str,
        route: str,
        body: bytes | None,
        multipart: MultipartFactory | None,
        headers: dict[str, str],
        auth: httpx.Auth | None,
    ) -> Response:
        async with self.limiter:
            # Files are read inside the slot so at most max_concurrency bodies are in memory.
            files = None if multipart is None else list(await multipart())
            request = self._http.build_request(
                method, url, content=body, files=files, headers=headers
            )
            self.requests_sent += 1
            started = time.perf_counter()
            # Not streamed: httpx reads the whole body and releases the connection, also
            # when reading fails or the task is cancelled.
            response = await self._http.send(request, auth=auth)
            # httpx's response and its bound stream refer to each other, and the response
            # holds the request and its body: left alone, every body (megabytes in a bulk
            # upload) would live until the next cyclic garbage collection. Breaking the cycle
            # frees them as soon as this attempt is over.
            response.stream = _SPENT_STREAM
        logger.debug(
            "%s %s -> %d in %.1f ms (%d bytes)",
            method,
            route,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            len(response.content),
        )
        return Response(response.status_code, response.headers, response.content)

    def _connection_error(
        self,
        kind: type[NucleusConnectionError],
        exc: httpx.HTTPError,
        attempt: int,
        method: str,
        route: str,
    ) -> NucleusConnectionError:
        detail = self._credentials.scrub(str(exc)) or "no detail"
        return kind(
            f"{type(exc).__name__} after {attempt} attempt(s): {detail}",
            method=method,
            route=route,
        )

    def _api_error(self, response: Response, method: str, route: str) -> NucleusAPIError:
        text = self._credentials.scrub(response.text)
        try:
            body: Any = json.loads(text) if text else None
        except ValueError:
            body = text
        request_id = next(
            (response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None
        )
        return api_error_for_status(
            response.status_code, method=method, route=route, body=body, request_id=request_id
        )
