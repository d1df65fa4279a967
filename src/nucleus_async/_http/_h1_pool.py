"""The fast path's connection pool: per-origin stacks of idle HTTP/1.1 connections, in O(1).

Each origin has a stack of idle :class:`~._h1_connection.H1Connection`: a request takes the
most recently used one (the others are the first to expire) and gives it back when its answer
was read whole and kept the connection alive. A connection the server closed, or that sent
anything while idle, is never handed out.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import Callable

import anyio
import anyio.to_thread
import httpcore

from ._h1_connection import H1Connection, open_connection

__all__ = ["H1Pool", "Origin"]

#: (scheme, host, port) of a server, e.g. ``("https", "api.scale.com", 443)``.
Origin = tuple[str, str, int]


class H1Pool:
    """At most ``max_connections`` open connections, of which at most ``max_idle`` idle.

    A request holds a slot (:meth:`acquire_slot` … :meth:`release_slot`) while it uses a
    connection; there are ``max_connections`` slots, so the connections in use never exceed
    it, and a new connection evicts the oldest idle one when the open ones would. Idle
    connections expire ``keepalive_expiry`` seconds after their last answer. ``tls_context``
    builds the TLS context of ``https`` origins: it is called once, in a worker thread, when
    the first one is needed (loading the certificate store takes tens of milliseconds).
    """

    def __init__(
        self,
        *,
        max_connections: int,
        max_idle: int,
        keepalive_expiry: float,
        connect_timeout: float | None,
        tls_context: Callable[[], ssl.SSLContext],
    ) -> None:
        self._max_connections = max_connections
        self._max_idle = max_idle
        self._keepalive_expiry = keepalive_expiry
        self._connect_timeout = connect_timeout
        self._tls_context_factory = tls_context
        self._tls_context: ssl.SSLContext | None = None
        self._tls_lock: anyio.Lock | None = None
        self._slots: anyio.Semaphore | None = None
        # Every open connection (in use or idle), so that aclose reaches them all.
        self._open: set[H1Connection] = set()
        self._idle: dict[Origin, collections.deque[H1Connection]] = {}
        self._idle_count = 0
        self._connecting = 0

    def __repr__(self) -> str:
        return f"<H1Pool {self.busy_connections()} busy, {self._idle_count} idle>"

    def busy_connections(self) -> int:
        """Connections serving a request now (connecting, sending or reading)."""
        return len(self._open) - self._idle_count + self._connecting

    async def acquire_slot(self, timeout: float | None) -> None:
        """Wait for one of the ``max_connections`` slots; raises ``httpcore.PoolTimeout``."""
        if self._slots is None:  # created in the event loop, where anyio can see its backend
            self._slots = anyio.Semaphore(self._max_connections)
        try:
            self._slots.acquire_nowait()
            return
        except anyio.WouldBlock:
            pass
        with anyio.move_on_after(timeout):
            await self._slots.acquire()
            return
        raise httpcore.PoolTimeout(f"no connection became free within {timeout} s")

    def release_slot(self) -> None:
        assert self._slots is not None
        self._slots.release()

    async def connection(self, origin: Origin) -> H1Connection:
        """An idle connection to ``origin`` still alive, else a new one.

        Call it holding a slot. The connection is the caller's until :meth:`give_back` or
        :meth:`discard`. Raises ``httpcore.ConnectError``/``ConnectTimeout``.
        """
        stack = self._idle.get(origin)
        if stack:
            now = asyncio.get_running_loop().time()
            while stack:
                connection = stack.pop()
                self._idle_count -= 1
                if now < connection.expires_at and connection.reusable:
                    return connection
                self.discard(connection)
            if self._idle.get(origin) is stack:
                del self._idle[origin]  # signed URLs may name many hosts: keep no empty stacks
        while len(self._open) + self._connecting >= self._max_connections and self._idle_count:
            self.discard(self._pop_oldest_idle())
        scheme, host, port = origin
        self._connecting += 1
        try:
            tls = await self._tls() if scheme == "https" else None
            connection = await open_connection(host, port, tls=tls, timeout=self._connect_timeout)
        finally:
            self._connecting -= 1
        self._open.add(connection)
        return connection

    def give_back(self, connection: H1Connection, origin: Origin) -> None:
        """Keep a connection whose answer was read whole, if it can serve again."""
        if not connection.reusable or self._idle_count >= self._max_idle:
            self.discard(connection)
            return
        now = asyncio.get_running_loop().time()
        connection.expires_at = now + self._keepalive_expiry
        stack = self._idle.setdefault(origin, collections.deque())
        # The bottom of the stack is the longest idle: close it once expired, one per answer,
        # so idle sockets the server dropped do not linger until the stack runs that deep.
        if stack and stack[0].expires_at <= now:
            self._idle_count -= 1
            self.discard(stack.popleft())
        stack.append(connection)
        self._idle_count += 1

    def discard(self, connection: H1Connection) -> None:
        """Close a connection and forget it."""
        self._open.discard(connection)
        connection.close()

    def close(self) -> None:
        """Close every connection, idle or in use."""
        self._idle.clear()
        self._idle_count = 0
        connections, self._open = self._open, set()
        for connection in connections:
            connection.close()

    def _pop_oldest_idle(self) -> H1Connection:
        for origin, stack in self._idle.items():
            if stack:
                self._idle_count -= 1
                connection = stack.popleft()
                if not stack:
                    del self._idle[origin]
                return connection
        raise AssertionError("no idle connection to evict")  # pragma: no cover

    async def _tls(self) -> ssl.SSLContext:
        if self._tls_context is None:
            if self._tls_lock is None:
                self._tls_lock = anyio.Lock()
            async with self._tls_lock:
                if self._tls_context is None:
                    self._tls_context = await anyio.to_thread.run_sync(self._tls_context_factory)
        return self._tls_context
