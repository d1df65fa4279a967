"""The exception tree: every error this SDK raises on purpose.

No exception here ever carries an API key: messages are built from the method, the route
(relative to the endpoint) and the server's answer, never from request headers.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DuplicateIDError",
    "JobError",
    "JobTimeoutError",
    "LocalFileNotFoundError",
    "ModelCreationError",
    "NoAPIKey",
    "NotFoundError",
    "NucleusAPIError",
    "NucleusConnectionError",
    "NucleusError",
    "NucleusTimeoutError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "UnprocessableEntityError",
    "UploadError",
    "ValidationError",
]


class NucleusError(Exception):
    """Base class of every error raised by this SDK."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Most subclasses take keyword-only arguments, which the default exception pickling
        # (``cls(*self.args)``) cannot replay; rebuild from args and attributes instead, so
        # errors survive pickling (multiprocessing, pytest-xdist) and ``copy``.
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


def _restore_error(
    cls: type[NucleusError], args: tuple[Any, ...], state: dict[str, Any]
) -> NucleusError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class NoAPIKey(NucleusError, ValueError):
    """No API key was given and ``NUCLEUS_API_KEY`` is not set."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "You need to pass an API key to the NucleusClient or set the environment "
            "variable NUCLEUS_API_KEY (or pass limited_access_key=...)."
        )


class ValidationError(NucleusError, ValueError):
    """Input rejected on the client before any request was sent.

    ``field`` names the offending field and ``obj`` (when known) the offending object's
    reference id, so one bad item in a batch of thousands is easy to find.
    """

    def __init__(self, message: str, *, field: str | None = None, obj: str | None = None) -> None:
        parts: list[str] = []
        if obj is not None:
            parts.append(f"[{obj}]")
        if field is not None:
            parts.append(f"{field}:")
        parts.append(message)
        super().__init__(" ".join(parts))
        self.field = field
        self.obj = obj


class DuplicateIDError(ValidationError):
    """Two units of one upload share an identity (reference id, annotation id)."""


class LocalFileNotFoundError(ValidationError, FileNotFoundError):
    """A local file named by an item or annotation does not exist; no request was sent.

    ``filename`` is the path, ``field`` the field that names it (``image_location``,
    ``mask_url``) and ``obj`` the reference id of the item or annotation; ``more`` counts the
    other missing files found in the same check. Being a ``FileNotFoundError``, it is caught
    by ``except OSError`` like any missing file.
    """

    def __init__(self, path: str, field: str, obj: str | None = None, more: int = 0) -> None:
        also = f" (and {more} more missing local file(s))" if more else ""
        super().__init__(f"local file {path!r} does not exist{also}", field=field, obj=obj)
        self.more = more
        self.errno = errno.ENOENT
        self.strerror = os.strerror(errno.ENOENT)
        self.filename = path

    def __str__(self) -> str:
        # OSError's text would be "[Errno 2] No such file or directory: 'path'": keep the
        # item's reference id and field in it.
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        # ``filename`` lives in OSError's slot, not in ``__dict__``: rebuild through __init__.
        args = (self.filename, self.field, self.obj, self.more)
        return (type(self), args, dict(self.__dict__))


class NucleusConnectionError(NucleusError, ConnectionError):
    """The server could not be reached (after the configured retries).

    ``host`` is the ``host:port`` the request went to (no credentials, no path), when known.
    """

    def __init__(self, message: str, *, method: str, route: str, host: str | None = None) -> None:
        super().__init__(f"{message} ({method.upper()} {route})")
        self.method = method.upper()
        self.route = route
        self.host = host


class NucleusTimeoutError(NucleusConnectionError, TimeoutError):
    """The server did not answer within the configured timeout (after retries)."""


class NucleusAPIError(NucleusError):
    """The server answered with a non-2xx status (after the configured retries).

    Attributes: ``status_code``, ``method``, ``route`` (relative to the endpoint),
    ``server_message`` (the ``error``/``message`` field of the body, when present),
    ``body`` (parsed JSON, or the raw text), ``request_id`` (when the server sent one).
    """

    def __init__(
        self,
        *,
        status_code: int,
        method: str,
        route: str,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.method = method.upper()
        self.route = route
        self.body = body
        self.request_id = request_id
        self.server_message = _server_message(body)
        detail = f": {self.server_message}" if self.server_message else ""
        rid = f" (request id {request_id})" if request_id else ""
        text = f"{self.method} {route} failed with {status_code}{detail}{rid}"
        body_text = _detailed_body(body, self.server_message)
        if body_text:
            # As the official client does: the service's whole error body, when it says
            # more than the message above (validation details, offending ids, ...).
            text += f"\nThe detailed error is:\n{body_text}"
        super().__init__(text)

    @property
    def message(self) -> str:
        """The full error text (kept for compatibility with the official client)."""
        return str(self)


#: Longest error body quoted in a message (the body itself stays whole on ``.body``).
_MAX_BODY_TEXT = 2000


def _detailed_body(body: Any, server_message: str | None) -> str | None:
    """The body as text when it holds more than ``server_message``, else ``None``."""
    if isinstance(body, Mapping):
        if not body or (server_message is not None and len(body) == 1):
            return None
        text = json.dumps(body, default=str, ensure_ascii=False)
    elif isinstance(body, (list, int, float)) and not isinstance(body, bool):
        text = json.dumps(body, default=str, ensure_ascii=False)
    else:
        # Raw text is the server message already (truncated there when long).
        return None
    return text if len(text) <= _MAX_BODY_TEXT else text[:_MAX_BODY_TEXT] + "…"


def _server_message(body: Any) -> str | None:
    if isinstance(body, Mapping):
        for key in ("error", "message", "detail", "msg"):
            value = body.get(key)
            if value:
                return str(value)
        return None
    if isinstance(body, str) and body.strip():
        text = body.strip()
        return text if len(text) <= 500 else text[:500] + "…"
    return None


class BadRequestError(NucleusAPIError):
    """400: the server rejected the request."""


class AuthenticationError(NucleusAPIError):
    """401: the key was not accepted."""


class PermissionDeniedError(NucleusAPIError):
    """403: the key may not do this."""


class NotFoundError(NucleusAPIError):
    """404: no such resource (or it belongs to another key)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The official client also raises NotFoundError for local conditions (a missing
        # local file, an empty get_slices); allow a plain message for those.
        if args and not kwargs:
            NucleusError.__init__(self, *args)
            self.status_code = 404
            self.method = ""
            self.route = ""
            self.body = None
            self.request_id = None
            self.server_message = str(args[0])
            return
        super().__init__(**kwargs)


class ConflictError(NucleusAPIError):
    """409: the request conflicts with the resource's state."""


class UnprocessableEntityError(NucleusAPIError):
    """422: the body was well-formed but invalid."""


class RateLimitError(NucleusAPIError):
    """429: too many requests (after the configured retries)."""


class ServerError(NucleusAPIError):
    """5xx: the server failed (after the configured retries)."""


_STATUS_ERRORS: dict[int, type[NucleusAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def api_error_for_status(
    status_code: int,
    *,
    method: str,
    route: str,
    body: Any = None,
    request_id: str | None = None,
) -> NucleusAPIError:
    """The most specific ``NucleusAPIError`` subclass for a status code."""
    cls = _STATUS_ERRORS.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else NucleusAPIError
    return cls(
        status_code=status_code, method=method, route=route, body=body, request_id=request_id
    )


class UploadError(NucleusError):
    """Some batches of a bulk upload did not land after the configured retries.

    ``failed_batches`` lists, for each batch that did not land, the reference ids it held
    and the error that stopped it; ``partial`` holds the aggregated response of the batches
    that did land; ``unsent_reference_ids`` the items never sent because the upload stopped
    at the first failed batch (for a streamed input, only those already read from it), so
    nothing is lost silently.
    """

    def __init__(
        self,
        message: str,
        *,
        failed_batches: Sequence[tuple[Sequence[str], BaseException]],
        partial: Any = None,
        unsent_reference_ids: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.failed_batches = list(failed_batches)
        self.partial = partial
        self.unsent_reference_ids = list(unsent_reference_ids)


class JobError(NucleusError):
    """An asynchronous job ended in an error state."""

    def __init__(
        self, job_id: str, status: str, message: Any = None, errors: Sequence[str] = ()
    ) -> None:
        self.job_id = job_id
        self.status = status
        self.job_message = message
        self.errors = list(errors)
        text = f"Job {job_id} ended with status {status}"
        if message:
            text += f": {message}"
        if self.errors:
            text += f" ({len(self.errors)} error(s); first: {self.errors[0]})"
        super().__init__(text)


class JobTimeoutError(NucleusError, TimeoutError):
    """Waiting for a job exceeded the caller's timeout; the job may still finish."""

    def __init__(self, job_id: str, timeout: float, last_status: str | None) -> None:
        self.job_id = job_id
        self.timeout = timeout
        self.last_status = last_status
        super().__init__(
            f"Job {job_id} did not finish within {timeout:g} s (last status: {last_status})"
        )


class ModelCreationError(NucleusError):
    """The service answered ``models/add`` without a model id (or a Launch name clashed)."""


class OutcomeUnknownError(NucleusError):
    """A request that is unsafe to repeat lost its answer: it may have been processed.

    A create or a job start is not sent again after a dropped connection, a read timeout or a
    5xx other than 503 (a second send could create a second object). ``cause`` is the error of
    that attempt. ``settled`` is False when the service may still be working on the request
    (a timeout, a gateway error): what it created may appear later. ``candidates`` holds the
    ids of objects that may be the one this request created, when a lookup found some.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        route: str,
        cause: NucleusError,
        settled: bool,
        candidates: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.method = method.upper()
        self.route = route
        self.cause = cause
        self.settled = settled
        self.candidates = candidates
