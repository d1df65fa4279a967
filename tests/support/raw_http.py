"""A raw HTTP/1.1 server on 127.0.0.1 for the HTTP adapter's tests: bytes in, bytes out.

It records each request's exact bytes and counts connections (accepted, closed, open at most
at once), so tests can see what the client put on the wire and how it pooled connections.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio

#: What the server does with one request: answer bytes, or None to hang up without answering.
Handler = Callable[["RawRequest"], Awaitable[bytes | None]]


def answer(
    status: int = 200,
    body: bytes = b"{}",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A complete HTTP/1.1 answer with a ``Content-Length``."""
    lines = [f"HTTP/1.1 {status} OK", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RawRequest:
    """One request as received: its head (request line and headers) and its body."""

    def __init__(self, head: bytes, body: bytes, reader: asyncio.StreamReader, sock: Any) -> None:
        self.head = head
        self.body = body
        self.socket = sock  # the server's end, for socket options
        self._reader = reader

    async def until_the_client_hangs_up(self) -> None:
        """Answer nothing; return once the client closed the connection."""
        while await self._reader.read(65536):
            pass

    @property
    def target(self) -> str:
        return self.head.split(b" ", 2)[1].decode("latin-1")

    @property
    def raw(self) -> bytes:
        return self.head + self.body


class RawServer:
    """Serves each connection's requests in turn with ``handler``.

    ``close_after_answer`` hangs up after every answer (no keep-alive). ``unanswered`` counts
    requests the handler is still working on (for example waiting on ``release``, or forever:
    connections are cancelled when the server stops).
    """

    def __init__(self, handler: Handler, *, close_after_answer: bool) -> None:
        self.handler = handler
        self.close_after_answer = close_after_answer
        self.requests: list[RawRequest] = []
        self.accepted = 0
        self.closed = 0
        self.peak_open = 0
        self.unanswered = 0
        self.release = asyncio.Event()
        self.port = 0
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def open(self) -> int:
        return self.accepted - self.closed

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.peak_open = max(self.peak_open, self.open)
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                body = await reader.readexactly(_content_length(head))
                request = RawRequest(head, body, reader, writer.get_extra_info("socket"))
                self.requests.append(request)
                self.unanswered += 1
                try:
                    reply = await self.handler(request)
                finally:
                    self.unanswered -= 1
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            pass  # the server stopped: asyncio would log a cancelled connection as an error
        finally:
            self.closed += 1
            self._connections.discard(task)
            writer.close()

    async def hang_up_all(self) -> None:
        """End every connection (Python 3.12+ waits for them when the listener closes)."""
        connections = list(self._connections)
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Until ``condition()`` holds (a hang guard, loose for a loaded machine)."""
        with anyio.fail_after(30):
            while not condition():
                await asyncio.sleep(0.005)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


@asynccontextmanager
async def raw_server(
    handler: Handler,
    *,
    close_after_answer: bool = False,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[RawServer]:
    server = RawServer(handler, close_after_answer=close_after_answer)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=tls)
    server.port = listener.sockets[0].getsockname()[1]
    async with listener:
        try:
            yield server
        finally:
            await server.hang_up_all()
