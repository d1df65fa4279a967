"""The adapter's connection pool: keep-alive HTTP/1.1 connections, taken and given back in O(1).

httpcore's own pool re-examines every connection each time a request starts or ends (its
``_assign_requests_to_connections``), which made it a third of a bulk upload's client CPU.
Here each origin has a stack of idle connections: a request takes the most recently used one
(the others are the first to expire), and gives it back when its answer was read whole. Only
public httpcore API is used: :class:`httpcore.AsyncHTTPConnection` and its ``is_available``,
``has_expired``, ``is_idle`` and ``aclose``.
"""

from __future__ import annotations

import collections
import ssl
from collections.abc import Callable

import anyio
import anyio.to_thread
import httpcore

__all__ = ["ConnectionPool"]

_OriginKey = tuple[bytes, bytes, int]


class ConnectionPool:
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
        network_backend: httpcore.AsyncNetworkBackend,
        tls_context: Callable[[], ssl.SSLContext],
    ) -> None:
        self._max_connections = max_connections
        self._max_idle = max_idle
        self._keepalive_expiry = keepalive_expiry
        self._network_backend = network_backend
        self._tls_context_factory = tls_context
        self._tls_context: ssl.SSLContext | None = None
        self._tls_lock: anyio.Lock | None = None
        self._slots: anyio.Semaphore | None = None
        # Every open connection (in use or idle), so that aclose reaches them all.
        self._open: set[httpcore.AsyncHTTPConnection] = set()
        # Idle stacks by origin (scheme, host, port): httpcore's Origin is not hashable.
        self._idle: dict[_OriginKey, collections.deque[httpcore.AsyncHTTPConnection]] = {}
        self._idle_count = 0

    def __repr__(self) -> str:
        return f"<ConnectionPool {self.busy_connections()} busy, {self._idle_count} idle>"

    def busy_connections(self) -> int:
        """Connections serving a request now (connecting, sending or reading)."""
        return len(self._open) - self._idle_count

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

    async def connection(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        """An idle connection to ``origin`` still alive, else a new one (not connected yet).

        Call it holding a slot. The connection is the caller's until :meth:`give_back` or
        :meth:`discard`.
        """
        key = (origin.scheme, origin.host, origin.port)
        stack = self._idle.get(key)
        while stack:
            connection = stack.pop()
            self._idle_count -= 1
            # has_expired also sees a connection the server closed (one poll of its socket).
            if connection.is_available() and not connection.has_expired():
                return connection
            await self.discard(connection)
        if stack is not None and not stack and self._idle.get(key) is stack:
            del self._idle[key]  # signed URLs may name many hosts: keep no empty stacks
        while len(self._open) >= self._max_connections and self._idle_count:
            await self.discard(self._pop_oldest_idle())
        connection = httpcore.AsyncHTTPConnection(
            origin,
            ssl_context=await self._tls() if origin.scheme == b"https" else None,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=self._network_backend,
        )
        self._open.add(connection)
        return connection

    async def give_back(
        self, connection: httpcore.AsyncHTTPConnection, origin: httpcore.Origin
    ) -> None:
        """Keep a connection whose answer was read whole and closed, if it can serve again."""
        if not connection.is_idle() or self._idle_count >= self._max_idle:
            await self.discard(connection)
            return
        key = (origin.scheme, origin.host, origin.port)
        stack = self._idle.setdefault(key, collections.deque())
        # The bottom of the stack is the longest idle: close it once expired, one per answer,
        # so idle sockets the server dropped do not linger until the stack runs that deep.
        if stack and stack[0].has_expired():
            self._idle_count -= 1
            await self.discard(stack.popleft())
        stack.append(connection)
        self._idle_count += 1

    async def discard(self, connection: httpcore.AsyncHTTPConnection) -> None:
        """Close a connection (also when the caller is being cancelled) and forget it."""
        self._open.discard(connection)
        with anyio.CancelScope(shield=True):
            await connection.aclose()

    async def aclose(self) -> None:
        """Close every connection, idle or in use."""
        self._idle.clear()
        self._idle_count = 0
        connections, self._open = self._open, set()
        with anyio.CancelScope(shield=True):
            for connection in connections:
                await connection.aclose()

    def _pop_oldest_idle(self) -> httpcore.AsyncHTTPConnection:
        for key, stack in self._idle.items():
            if stack:
                self._idle_count -= 1
                connection = stack.popleft()
                if not stack:
                    del self._idle[key]
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
