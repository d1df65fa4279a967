"""Session: what a client shares with every resource it creates.

A resource (``Dataset``, ``Slice``, ``Model``, ``AsyncJob``) holds a :class:`Session`, never the
client: it needs the connection pool and the settings, not the client's factories, so the
resources sit below the client and never import it. Constructors that the official client
types as taking ``client`` accept any :class:`SessionSource`: a ``NucleusClient``, or a
``Session`` itself (which is its own source).
"""

from __future__ import annotations

from typing import Protocol

from ._config import ClientConfig
from ._transport import Transport

__all__ = ["Session", "SessionSource"]


class Session:
    """The transport and configuration one client shares with the resources it creates.

    Obtained from ``client.session``. It owns nothing: the client opens and closes the
    transport, so a session is usable exactly as long as its client is.
    """

    __slots__ = ("_config", "_transport")

    def __init__(self, transport: Transport, config: ClientConfig) -> None:
        self._transport = transport
        self._config = config

    def __repr__(self) -> str:
        return f"Session(endpoint={self._config.endpoint!r})"

    @property
    def session(self) -> Session:
        """This session: a session is a :class:`SessionSource` of itself."""
        return self

    @property
    def transport(self) -> Transport:
        """The pooled HTTP transport (retries, errors, concurrency limit) requests go through."""
        return self._transport

    @property
    def config(self) -> ClientConfig:
        """The client's resolved configuration (keys hidden from its repr)."""
        return self._config

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at once for the client (bulk uploads fan out up to this)."""
        return self._config.max_concurrency

    def progress(self, override: bool | None = None) -> bool | None:
        """Whether to show progress: a per-call ``override``, else the client's setting.

        ``None`` means "decide from the terminal" (see ``_progress.progress_for``).
        """
        return self._config.progress if override is None else override


class SessionSource(Protocol):
    """Anything a resource can be built from: a ``NucleusClient`` or a :class:`Session`."""

    @property
    def session(self) -> Session:
        """The session resources built from this source share."""
        ...
