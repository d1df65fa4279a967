"""The transport: the retry loop over the HTTP adapter, error mapping, auth and logging.

The HTTP library itself is behind :mod:`._http` (the only package that imports it), so
swapping it is a one-module change; this module sees neutral requests, responses and failures.

Secrets: the credentials live in one :class:`_Credentials` object whose repr is redacted; the
adapter adds them to each request, so they are in no local variable, log line or message of
this module. Transport failures are re-raised as SDK errors *without* chaining the adapter's
failure, and any text that comes back from the network (error bodies, failure messages) has
the key and its Basic-auth form scrubbed.

Repeats: a request the route table (:mod:`._request_classes`) calls ``UNSAFE`` (a create, a
job start) is retried only when it surely never reached the service (no connection, 408, 429,
503); when its answer is lost after it was sent, :class:`~._errors.OutcomeUnknownError` is
raised instead of sending it again (the pipeline module ``_creates`` looks such objects up).

Fork safety: a transport used in a child process after ``fork`` builds its own connection
pool and concurrency limiter there (see :meth:`Transport._pool`).
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import os
import platform
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import anyio

from ._config import ClientConfig
from ._errors import (
    NucleusAPIError,
    NucleusConnectionError,
    NucleusError,
    NucleusTimeoutError,
    OutcomeUnknownError,
    ValidationError,
    api_error_for_status,
)
from ._http import (
    ASGITransport,
    ConnectFailure,
    ConnectionLost,
    FileBody,
    FilePart,
    HTTPClient,
    InvalidURL,
    Response,
    TimeoutFailure,
    TransportFailure,
    library_version,
)
from ._json import dumps, dumps_batch
from ._request_classes import Repeat, classify
from ._retry import UNSENT_FAILURES
from ._version import __version__

__all__ = [
    "FileBody",
    "FilePart",
    "MultipartFactory",
    "Response",
    "Transport",
    "dumps",
    "dumps_batch",
    "host_of",
    "user_agent",
]

logger = logging.getLogger("nucleus_async")

#: Builds the multipart parts afresh for each attempt, so a retry re-reads the files.
MultipartFactory = Callable[[], Awaitable[Sequence[FilePart]]]

#: The label used for presigned URLs in errors and logs: their query string is a credential.
SIGNED_URL_ROUTE = "<signed url>"

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid")
_BODY_ON_NONE = frozenset({"POST", "PUT", "PATCH"})
_REDACTED = "<redacted>"
_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def user_agent() -> str:
    """The ``User-Agent`` of every request: SDK, Python and HTTP library versions."""
    return (
        f"nucleus-sdk/{__version__} (nucleus_async; python {platform.python_version()}; "
        f"{library_version()})"
    )


def host_of(url: str) -> str:
    """``host:port`` of a URL, for errors: no credentials, path or query (a signed URL's)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: the request failed before this could matter
        port = None
    if port is None:
        port = _DEFAULT_PORTS.get(parts.scheme)
    return host if port is None else f"{host}:{port}"


class _Credentials:
    """The client's credential headers; knows how to scrub the key from text."""

    def __init__(self, config: ClientConfig) -> None:
        if config.limited_access_key is not None:
            key = config.limited_access_key
            self.headers = {"x-limited-access-key": key}
        else:
            assert config.api_key is not None  # ClientConfig guarantees one of the two
            key = config.api_key
            token = base64.b64encode(f"{key}:".encode()).decode()
            self.headers = {"Authorization": f"Basic {token}"}
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

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _REDACTED)
        return text


class Transport:
    """Sends requests to one endpoint with retries, under the client's concurrency limit.

    One pooled :class:`~._http.HTTPClient` per transport (so per client); constructing it
    makes no network call. ``limiter`` bounds the requests in flight (``max_concurrency``); it
    is held only while a request is on the wire, never while backing off, and callers must not
    hold it themselves around ``request``/``send`` (an ``anyio.CapacityLimiter`` is not
    re-entrant for one task). ``http_transport`` sends to an in-process ASGI app instead.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        http_transport: ASGITransport | None = None,
    ) -> None:
        if http_transport is not None and not isinstance(http_transport, ASGITransport):
            raise TypeError(
                "http_transport must be a nucleus_async.ASGITransport, not "
                f"{type(http_transport).__name__}"
            )
        self._config = config
        self._endpoint = config.endpoint
        self._credentials = _Credentials(config)
        self._http_transport = http_transport
        self._open_pool()
        if not config.verify_ssl:
            logger.warning(
                "TLS certificate verification is OFF for %s (verify_ssl=False); use this "
                "only against a server you trust.",
                self._endpoint,
            )
        self.requests_sent = 0

    def _open_pool(self) -> None:
        self._pid = os.getpid()
        self._http_client = HTTPClient(
            self._config,
            user_agent=user_agent(),
            auth_headers=self._credentials.headers,
            transport=self._http_transport,
        )
        self._limiter = anyio.CapacityLimiter(self._config.max_concurrency)

    def _pool(self) -> HTTPClient:
        """This process's HTTP client: after ``fork``, the child builds its own on first use.

        The parent's connections (inherited sockets) and limiter (tokens held by tasks that do
        not exist in the child) are left alone, never used nor closed: a graceful close would
        write on sockets the parent still reads. Dropping them only closes the child's copies
        of the file descriptors. A pool closed before the fork stays closed.
        """
        if self._pid != os.getpid() and not self._http_client.is_closed:
            self._open_pool()
        return self._http_client

    @property
    def _http(self) -> HTTPClient:
        return self._pool()

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """The concurrency limiter of this process (see :meth:`_pool`)."""
        self._pool()
        return self._limiter

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
        return self._http_client.is_closed

    async def aclose(self) -> None:
        """Close the pooled connections. Idempotent; later requests raise ``NucleusError``."""
        await self._pool().aclose()

    def url(self, route: str) -> str:
        """The service joins endpoint and route with one ``/`` and no normalisation.

        A path segment that is exactly ``.`` or ``..`` (a reference id such as ``".."``) is
        percent-encoded: the HTTP library would otherwise remove it as a dot segment, and
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
            authenticated=True,
            raise_for_status=raise_for_status,
        )

    async def put_signed_url(self, url: str, content: bytes | FileBody) -> None:
        """Upload a body to a presigned URL: no credentials, no content type (as S3 expects).

        ``content`` is the body's bytes, or a :class:`~._http.FileBody` streamed from a file
        with a known length (re-read from the start on each attempt). Retried like any
        request; the URL (its query string is a credential) is never logged nor put in an error.
        """
        await self._send_with_retries(
            "PUT",
            url,
            SIGNED_URL_ROUTE,
            body=content,
            multipart=None,
            headers={},
            authenticated=False,
            raise_for_status=True,
        )

    async def _send_with_retries(
        self,
        method: str,
        url: str,
        route: str,
        *,
        body: bytes | FileBody | None,
        multipart: MultipartFactory | None,
        headers: dict[str, str],
        authenticated: bool,
        raise_for_status: bool,
    ) -> Response:
        http = self._pool()
        if http.is_closed:
            raise NucleusError(f"Cannot send {method} {route}: the client is closed.")
        policy = self._config.retry
        repeatable = classify(method, route) is Repeat.SAFE
        for attempt in itertools.count(1):
            failure: NucleusConnectionError | None = None
            retry_after: str | None = None
            try:
                response = await self._attempt(
                    http, method, url, route, body, multipart, headers, authenticated
                )
            except TimeoutFailure as exc:
                failure = self._connection_error(NucleusTimeoutError, exc, attempt, method, route)
                retryable = policy.retry_timeouts
                reason = exc.reason
            except (ConnectFailure, ConnectionLost) as exc:
                failure = self._connection_error(
                    NucleusConnectionError, exc, attempt, method, route
                )
                retryable = policy.retry_connect_errors
                reason = exc.reason
            except TransportFailure as exc:
                # Proxy, protocol and decoding errors: retrying would fail the same way.
                failure = self._connection_error(
                    NucleusConnectionError, exc, attempt, method, route
                )
                retryable = False
                reason = exc.reason
            except InvalidURL as exc:
                raise ValidationError(self._credentials.scrub(str(exc)), field="route") from None
            if failure is not None:
                if retryable and not repeatable and reason not in UNSENT_FAILURES:
                    # Sent, answer lost: a ConnectionLost means the server is done with it
                    # (it closed the connection), a timeout that it may still be working.
                    raise self._outcome_unknown(
                        failure, method, route, settled=not isinstance(failure, TimeoutError)
                    )
                # Raised here, outside the except clause, so the adapter's failure is not
                # attached as __context__.
                if not retryable or attempt >= policy.max_attempts:
                    raise failure
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return response
                retryable = policy.is_retryable_status(status)
                if retryable and not repeatable and not policy.is_unsent_status(status):
                    if not raise_for_status:
                        return response
                    # A 500 is the service's own answer (done); a gateway's 502/504/52x is not.
                    raise self._outcome_unknown(
                        self._api_error(response, method, route),
                        method,
                        route,
                        settled=status == 500,
                    )
                if not retryable or attempt >= policy.max_attempts:
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
        http: HTTPClient,
        method: str,
        url: str,
        route: str,
        body: bytes | FileBody | None,
        multipart: MultipartFactory | None,
        headers: dict[str, str],
        authenticated: bool,
    ) -> Response:
        async with self._limiter:
            # Files are read inside the slot so at most max_concurrency bodies are in memory.
            parts = None if multipart is None else list(await multipart())
            request = http.build(
                method, url, headers=headers, body=body, parts=parts, authenticated=authenticated
            )
            self.requests_sent += 1
            started = time.perf_counter()
            # The adapter reads the whole body and releases the connection, also when
            # reading fails or the task is cancelled.
            response = await http.send(request)
        logger.debug(
            "%s %s -> %d in %.1f ms (%d bytes)",
            method,
            route,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            len(response.content),
        )
        return response

    def _connection_error(
        self,
        kind: type[NucleusConnectionError],
        failure: TransportFailure,
        attempt: int,
        method: str,
        route: str,
    ) -> NucleusConnectionError:
        detail = self._credentials.scrub(str(failure)) or "no detail"
        # A signed URL's host is a storage service's, not the endpoint's (and its URL a secret).
        host = None if route == SIGNED_URL_ROUTE else host_of(self._endpoint)
        where = host or "the storage host of a signed URL"
        lead = "Timed out reaching" if issubclass(kind, NucleusTimeoutError) else "Could not reach"
        return kind(
            f"{lead} {where}: {failure.reason} after {attempt} attempt(s): {detail}",
            method=method,
            route=route,
            host=host,
        )

    @staticmethod
    def _outcome_unknown(
        cause: NucleusError, method: str, route: str, *, settled: bool
    ) -> OutcomeUnknownError:
        later = "" if settled else "; the service may still be processing it"
        error = OutcomeUnknownError(
            f"{method} {route} may have been processed: its answer was lost ({cause}){later}. "
            "It was not sent again, because a second send could create a second object "
            "or start a second job.",
            method=method,
            route=route,
            cause=cause,
            settled=settled,
        )
        error.__cause__ = cause
        return error

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
