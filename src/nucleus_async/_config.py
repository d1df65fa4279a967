"""Client configuration: credentials, endpoint, timeouts, limits, from arguments and env."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

import attrs

from ._errors import NoAPIKey
from ._retry import RetryPolicy

logger = logging.getLogger("nucleus_async")

__all__ = ["DEFAULT_ENDPOINT", "ClientConfig", "Timeouts", "env_flag"]

DEFAULT_ENDPOINT = "https://api.scale.com/v1/nucleus"
DEFAULT_MAX_CONCURRENCY = 16

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def env_flag(name: str) -> bool | None:
    """A boolean environment variable: True for 1/true/yes/on, False for 0/false/no/off/empty,
    None when unset or unrecognised (so the caller's default applies)."""
    value = os.environ.get(name)
    if value is None:
        return None
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


@attrs.frozen(kw_only=True)
class Timeouts:
    """Network timeouts in seconds (``None`` waits forever).

    ``connect`` bounds establishing a connection, ``read`` waiting for each chunk of the
    answer (the service can take a long time on big uploads), ``write`` sending each chunk,
    ``pool`` waiting for a free pooled connection.
    """

    connect: float | None = 10.0
    read: float | None = 120.0
    write: float | None = 120.0
    pool: float | None = 120.0


def _to_timeouts(value: Timeouts | float | None) -> Timeouts:
    """A ``Timeouts`` from a ``Timeouts``, or one number (or None) for every phase."""
    if isinstance(value, Timeouts):
        return value
    if value is not None and (isinstance(value, bool) or value <= 0):
        raise ValueError(f"timeout must be a positive number of seconds or None, not {value}")
    return Timeouts(connect=value, read=value, write=value, pool=value)


def _validate_key(instance: ClientConfig, attribute: attrs.Attribute[Any], value: Any) -> None:
    # Never echo the value: a wrong-typed key is still a key.
    if value is not None and (not isinstance(value, str) or not value):
        raise TypeError(f"{attribute.name} must be a non-empty string")


def _validate_endpoint(instance: ClientConfig, attribute: attrs.Attribute[Any], value: str) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is not None and "@" in parts.netloc:
        raise ValueError("endpoint must not carry credentials; pass api_key= instead")
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        # Echo only what looks like a URL: a key passed in the wrong place must not be shown.
        shown = f", got {value!r}" if isinstance(value, str) and "://" in value else ""
        raise ValueError(f"endpoint must be an http(s) URL such as {DEFAULT_ENDPOINT!r}{shown}")


def _normalise_endpoint(value: str) -> str:
    # The service joins endpoint and route with one "/"; a trailing "/" on the endpoint
    # (a common way to write NUCLEUS_ENDPOINT) would otherwise give "//route".
    return value.rstrip("/") if isinstance(value, str) else value


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Everything a client needs to talk to a server. Keys never appear in ``repr`` or errors.

    Exactly one of ``api_key`` (sent as HTTP Basic user name, empty password) and
    ``limited_access_key`` (sent as the ``x-limited-access-key`` header) is set.

    ``verify_ssl``: TLS certificates are verified unless this is explicitly ``False``. Unlike
    the official client, the environment cannot turn verification off: a stray
    ``NUCLEUS_SKIP_SSL_VERIFY`` in a deployment must not silently expose traffic, so it is
    ignored with a warning naming the argument to pass. The transport logs a warning whenever
    verification is off.
    """

    endpoint: str = attrs.field(
        default=DEFAULT_ENDPOINT, converter=_normalise_endpoint, validator=_validate_endpoint
    )
    api_key: str | None = attrs.field(default=None, repr=False, validator=_validate_key)
    limited_access_key: str | None = attrs.field(default=None, repr=False, validator=_validate_key)
    timeouts: Timeouts = attrs.field(factory=Timeouts, converter=_to_timeouts)
    retry: RetryPolicy = attrs.field(
        factory=RetryPolicy, validator=attrs.validators.instance_of(RetryPolicy)
    )
    max_concurrency: int = attrs.field(
        default=DEFAULT_MAX_CONCURRENCY,
        validator=[attrs.validators.instance_of(int), attrs.validators.ge(1)],
    )
    verify_ssl: bool = True
    progress: bool | None = None

    def __attrs_post_init__(self) -> None:
        if self.api_key is not None and self.limited_access_key is not None:
            raise ValueError(_BOTH_KEYS)
        if self.api_key is None and self.limited_access_key is None:
            raise NoAPIKey()

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None = None,
        endpoint: str | None = None,
        limited_access_key: str | None = None,
        **options: Any,
    ) -> ClientConfig:
        """Apply the service's precedence: argument, then environment, then default.

        The key comes from ``api_key`` or ``NUCLEUS_API_KEY``; ``limited_access_key`` only
        from its argument. Both at once (including ``limited_access_key`` while
        ``NUCLEUS_API_KEY`` is set) is a ``ValueError``; neither is ``NoAPIKey``. The endpoint
        comes from ``endpoint``, ``NUCLEUS_ENDPOINT``, or the default. ``timeout=`` (seconds
        for every phase, or a ``Timeouts``) is accepted as a short form of ``timeouts=``.
        Nothing here touches the network.
        """
        api_key = api_key or None
        limited_access_key = limited_access_key or None
        env_key = os.environ.get("NUCLEUS_API_KEY") or None
        if limited_access_key is not None:
            if api_key is not None:
                raise ValueError(_BOTH_KEYS)
            if env_key is not None:
                raise ValueError(
                    "limited_access_key was given while NUCLEUS_API_KEY is set in the "
                    "environment; unset one of them (a client uses exactly one kind of key)."
                )
        elif api_key is None:
            api_key = env_key
        if endpoint is None:
            endpoint = os.environ.get("NUCLEUS_ENDPOINT") or DEFAULT_ENDPOINT
        if "timeout" in options:
            if "timeouts" in options:
                raise TypeError("pass timeout= or timeouts=, not both")
            options["timeouts"] = options.pop("timeout")
        if options.get("verify_ssl") is None:
            # Turning verification off takes an explicit argument, never the environment.
            if env_flag("NUCLEUS_SKIP_SSL_VERIFY"):
                logger.warning(
                    "NUCLEUS_SKIP_SSL_VERIFY is ignored: TLS verification stays on; pass "
                    "verify_ssl=False to the client to turn it off."
                )
            options["verify_ssl"] = True
        return cls(
            endpoint=endpoint,
            api_key=api_key,
            limited_access_key=limited_access_key,
            **options,
        )


_BOTH_KEYS = (
    "Pass either an API key (api_key= or NUCLEUS_API_KEY) or a limited_access_key, not both."
)
