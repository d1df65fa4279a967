"""One HTTP/1.1 client connection on asyncio: writes a request, parses its one answer.

An :class:`H1Connection` is the ``asyncio.Protocol`` of a socket (or TLS) transport. A request
is its head and body handed to the transport in one write (a file body follows in chunks, with
the transport's flow control), then a wait on a future that :meth:`H1Connection.data_received`
resolves once the whole answer is parsed: no task, cancel scope or stream object per read.
Failures are raised as httpcore's exceptions, which the adapter's client maps (``ReadError``,
``WriteError``, ``RemoteProtocolError``, ``ReadTimeout``, ``WriteTimeout``, ...): they never
quote a header. Between requests the connection is idle; the server closing it then, or
sending anything, makes it unusable (:attr:`H1Connection.reusable`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections.abc import AsyncGenerator
from typing import Any, cast

import anyio
import httpcore

from . import _socket_check

__all__ = ["H1Answer", "H1Connection", "open_connection"]

#: An answer's head may not be longer than this (h11's limit, which httpcore used).
MAX_HEAD = 16 * 1024
_HEAD_END = re.compile(rb"\n\r?\n")
_STATUS_LINE = re.compile(rb"HTTP/(?P<version>[0-9]\.[0-9]) (?P<status>[0-9]{3})(?: .*)?")
_HEADER_LINE = re.compile(rb"(?P<name>[-!#$%&'*+.^_`|~0-9a-zA-Z]+):[ \t]*(?P<value>.*?)[ \t]*")
_CHUNK_SIZE = re.compile(rb"([0-9a-fA-F]{1,20})[ \t]*(?:;.*)?")

# What ends an answer's body (RFC 9112 section 6.3).
_NO_BODY, _LENGTH, _CHUNKED, _UNTIL_CLOSE = range(4)
# Where a chunked body's parser is.
_CHUNK_HEAD, _CHUNK_DATA, _CHUNK_END, _TRAILERS = range(4)


class H1Answer:
    """A whole answer: status, raw headers, body (still content-encoded), keep-alive."""

    __slots__ = ("content", "headers", "keep_alive", "status")

    def __init__(
        self, status: int, headers: list[tuple[bytes, bytes]], content: bytes, keep_alive: bool
    ) -> None:
        self.status = status
        self.headers = headers
        self.content = content
        self.keep_alive = keep_alive


async def open_connection(
    host: str, port: int, *, tls: ssl.SSLContext | None, timeout: float | None
) -> H1Connection:
    """A connected :class:`H1Connection`; raises ``httpcore.ConnectError``/``ConnectTimeout``.

    A TLS handshake is part of connecting (a certificate refused names it in the message).
    """
    loop = asyncio.get_running_loop()
    message: str
    try:
        with anyio.fail_after(timeout):
            _, connection = await loop.create_connection(
                lambda: H1Connection(loop),
                host,
                port,
                ssl=tls,
                server_hostname=host if tls is not None else None,
            )
        return connection
    except TimeoutError:
        message = f"no connection within the connect timeout ({timeout} s)"
        timed_out = True
    except (OSError, ssl.SSLError) as exc:  # refused, unreachable, unknown host, TLS refused
        message = str(exc) or type(exc).__name__
        timed_out = False
    # Raised outside the except clauses: the socket's exception is not chained.
    raise httpcore.ConnectTimeout(message) if timed_out else httpcore.ConnectError(message)


class H1Connection(asyncio.Protocol):
    """A keep-alive HTTP/1.1 connection serving one request at a time.

    :meth:`exchange` sends a request and returns its :class:`H1Answer`; afterwards
    :attr:`reusable` says whether it can serve another. :meth:`close` aborts it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._socket: Any = None  # asyncio's TransportSocket
        self._closed = False
        # The failure of a lost connection, raised by whoever waits on it.
        self._lost: BaseException | None = None
        self._paused = False
        # The futures hold a failure as their result, never as their exception: a task woken by
        # a future's exception runs on inside asyncio's handler of it, and on Python 3.10 every
        # exception raised in that step took it as __context__, with this module's frames and
        # their locals (the head, with its Authorization) in the chain.
        self._writable: asyncio.Future[BaseException | None] | None = None
        # While a request waits for its answer: the future, and the parser's state.
        self._answer: asyncio.Future[H1Answer | BaseException] | None = None
        self._written = False
        self._expect_body = True
        self._buffer = bytearray()
        self._received = False
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._keep_alive = True
        self._framing = _NO_BODY
        self._remaining = 0
        self._chunk_state = _CHUNK_HEAD
        self._body = bytearray()
        self._read_timeout: float | None = None
        self._last_read = 0.0
        self._read_timer: asyncio.TimerHandle | None = None
        #: When this idle connection stops being worth reusing (the pool sets it).
        self.expires_at = 0.0

    def __repr__(self) -> str:
        state = "closed" if self._closed else "busy" if self._answer is not None else "idle"
        return f"<H1Connection {state}>"

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports have asyncio.Transport's methods without deriving from it.
        self._transport = cast(asyncio.Transport, transport)
        self._socket = transport.get_extra_info("socket")

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._answer.done():
            # Bytes nobody asked for: the server is out of step, or closing. Never reuse.
            self._fail(httpcore.RemoteProtocolError("unexpected data from the server"))
            self.close()
            return
        self._received = True
        self._last_read = self._loop.time()
        self._buffer += data
        try:
            self._parse()
        except httpcore.RemoteProtocolError as exc:
            self._fail(exc)
            self.close()

    def eof_received(self) -> bool | None:
        self._end_of_answer(None)
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_of_answer(exc)
        self._closed = True
        self._transport = None

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    # -- the client's side -----------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        """True when idle, open, and the server has neither closed it nor sent anything."""
        if self._closed or self._answer is not None or self._lost is not None:
            return False
        # The event loop sees a close only at its next poll; a FIN may already be waiting.
        return self._socket is None or not _socket_check.socket_is_readable(self._socket)

    def close(self) -> None:
        """Abort the connection now (a request in flight fails as lost)."""
        if self._transport is not None and not self._closed:
            self._closed = True
            self._fail(httpcore.ReadError("the connection was closed by the client"))
            self._transport.abort()

    async def exchange(
        self,
        head: bytes,
        body: bytes,
        file_chunks: AsyncGenerator[bytes, None] | None,
        file_length: int,
        *,
        expect_body: bool,
        write_timeout: float | None,
        read_timeout: float | None,
    ) -> H1Answer:
        """Send a request (``head``, then ``body`` or ``file_chunks`` of ``file_length``).

        ``expect_body`` is False for ``HEAD``. On any failure or cancellation the connection
        is closed by the caller (it is then not :attr:`reusable`).
        """
        transport = self._transport
        if transport is None or self._closed or self._lost is not None:
            raise self._lost or httpcore.RemoteProtocolError(
                "Server disconnected without sending a response."
            )
        loop = self._loop
        answer: asyncio.Future[H1Answer | BaseException] = loop.create_future()
        self._answer = answer
        self._begin(expect_body, read_timeout)
        try:
            try:
                # One write of head and body. Not ``writelines``: on Python 3.12+ it sends
                # without joining but never pauses the protocol, so a server that stops reading
                # would never be seen (the write timeout could not fire).
                transport.write(head + body if body else head)
                del head  # not a local of this frame in any traceback
                if self._paused:
                    await self._until_writable(write_timeout)
                if file_chunks is not None:
                    await self._write_file(file_chunks, file_length, write_timeout)
            except (httpcore.NetworkError, httpcore.RemoteProtocolError, httpcore.WriteTimeout):
                # A server may answer before taking the whole body (an expired signed URL's
                # 403), then close: its answer is the outcome, as httpcore has it.
                if answer.done() and not answer.cancelled():
                    early = answer.result()
                    if isinstance(early, H1Answer):
                        self._lost = self._lost or httpcore.WriteError("the body was cut short")
                        return early
                raise
            self._written = True
            if not answer.done() and read_timeout is not None:
                self._last_read = loop.time()
                self._read_timer = loop.call_later(read_timeout, self._check_read_timeout)
            outcome = await answer
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        finally:
            if self._read_timer is not None:
                self._read_timer.cancel()
                self._read_timer = None
            self._answer = None
            if not answer.done():
                answer.cancel()

    def _begin(self, expect_body: bool, read_timeout: float | None) -> None:
        self._written = False
        self._expect_body = expect_body
        self._received = False
        self._status = 0
        self._headers = []
        self._framing = _NO_BODY
        self._read_timeout = read_timeout

    async def _write_file(
        self, chunks: AsyncGenerator[bytes, None], length: int, timeout: float | None
    ) -> None:
        sent = 0
        async with contextlib.aclosing(chunks):  # the file is closed also on failure
            async for chunk in chunks:
                sent += len(chunk)
                if sent > length:
                    raise httpcore.LocalProtocolError("Too much data for declared Content-Length")
                if self._lost is not None:
                    raise self._lost
                assert self._transport is not None
                self._transport.write(chunk)
                if self._paused:
                    await self._until_writable(timeout)
        if sent < length:
            raise httpcore.LocalProtocolError("Too little data for declared Content-Length")

    async def _until_writable(self, timeout: float | None) -> None:
        """Wait until the transport's buffer drains; raises ``WriteTimeout``."""
        if self._lost is not None:
            raise self._lost
        writable = self._writable = self._loop.create_future()
        timer = None
        if timeout is not None:
            timer = self._loop.call_later(timeout, self._write_timed_out, writable, timeout)
        try:
            failure = await writable
            if failure is not None:
                raise failure
        finally:
            if timer is not None:
                timer.cancel()
            self._writable = None

    @staticmethod
    def _write_timed_out(writable: asyncio.Future[BaseException | None], timeout: float) -> None:
        if not writable.done():
            message = f"the server took no more bytes within the write timeout ({timeout} s)"
            writable.set_result(httpcore.WriteTimeout(message))

    def _check_read_timeout(self) -> None:
        # Like httpcore's, the read timeout bounds each wait for answer bytes: the timer is
        # moved on instead of being re-armed at every read.
        assert self._read_timeout is not None
        idle = self._loop.time() - self._last_read
        if idle < self._read_timeout:
            self._read_timer = self._loop.call_later(
                self._read_timeout - idle, self._check_read_timeout
            )
            return
        self._read_timer = None
        message = f"no answer byte within the read timeout ({self._read_timeout} s)"
        self._fail(httpcore.ReadTimeout(message))

    def _fail(self, exc: BaseException) -> None:
        """End the request in flight (and any wait to write) with ``exc``; never reuse."""
        self._lost = self._lost or exc
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(exc)
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(exc)

    def _end_of_answer(self, exc: Exception | None) -> None:
        """The server closed the connection (``exc`` None) or it broke."""
        answer = self._answer
        if answer is None or answer.done():
            self._lost = self._lost or httpcore.RemoteProtocolError("the server closed it")
            return
        failure: httpcore.NetworkError | httpcore.RemoteProtocolError
        if exc is not None:
            message = str(exc) or type(exc).__name__
            failure = httpcore.ReadError(message) if self._written else httpcore.WriteError(message)
        elif self._framing == _UNTIL_CLOSE:
            self._finish(bytes(self._body), keep_alive=False)
            return
        elif not self._received:
            failure = httpcore.RemoteProtocolError(
                "Server disconnected without sending a response."
            )
        else:
            failure = httpcore.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            )
        self._fail(failure)

    # -- parsing one answer ----------------------------------------------------------------

    def _parse(self) -> None:
        answer = self._answer
        assert answer is not None
        buffer = self._buffer
        while not answer.done():
            if not self._status:
                end = _HEAD_END.search(buffer)
                if end is None:
                    if len(buffer) > MAX_HEAD:
                        raise httpcore.RemoteProtocolError("the answer's head is too long")
                    return
                head = bytes(buffer[: end.start()])
                del buffer[: end.end()]
                self._parse_head(head)
            elif self._framing == _LENGTH:
                if len(buffer) < self._remaining:
                    return
                with memoryview(buffer) as view:  # one copy of a large body, not two
                    content = bytes(view[: self._remaining])
                del buffer[: self._remaining]
                self._finish(content, keep_alive=self._keep_alive)
            elif self._framing == _CHUNKED:
                if not self._parse_chunks():
                    return
            else:  # until close: keep everything
                self._body += buffer
                buffer.clear()
                return

    def _parse_head(self, head: bytes) -> None:
        lines = head.split(b"\n")
        status_line = _STATUS_LINE.fullmatch(lines[0].rstrip(b"\r"))
        if status_line is None:
            raise httpcore.RemoteProtocolError("the answer's status line is malformed")
        status = int(status_line["status"])
        headers: list[tuple[bytes, bytes]] = []
        for raw in lines[1:]:
            line = raw.rstrip(b"\r")
            if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
                name, value = headers[-1]
                headers[-1] = (name, (value + b" " + line.strip(b" \t")).strip(b" \t"))
                continue
            field = _HEADER_LINE.fullmatch(line)
            if field is None:
                raise httpcore.RemoteProtocolError("the answer has a malformed header")
            headers.append((field["name"], field["value"]))
        if 100 <= status < 200 and status != 101:
            return  # an interim answer: the final one follows
        self._status = status
        self._headers = headers
        self._keep_alive = _keeps_alive(status_line["version"], headers)
        self._framing, self._remaining = _framing(status, headers, self._expect_body)
        if self._framing == _NO_BODY:
            self._finish(b"", keep_alive=self._keep_alive and status != 101)
        elif self._framing == _CHUNKED:
            self._chunk_state = _CHUNK_HEAD
            self._body = bytearray()
        elif self._framing == _UNTIL_CLOSE:
            self._body = bytearray()

    def _parse_chunks(self) -> bool:
        """Consume chunked body bytes; True once the whole body is read."""
        buffer = self._buffer
        while True:
            if self._chunk_state == _CHUNK_DATA:
                if not buffer:
                    return False
                take = buffer[: self._remaining]
                self._body += take
                del buffer[: len(take)]
                self._remaining -= len(take)
                if self._remaining:
                    return False
                self._chunk_state = _CHUNK_END
                continue
            end = buffer.find(b"\n")
            if end < 0:
                if len(buffer) > MAX_HEAD:
                    raise httpcore.RemoteProtocolError("a chunk's header is too long")
                return False
            line = bytes(buffer[:end]).rstrip(b"\r")
            del buffer[: end + 1]
            if self._chunk_state == _CHUNK_END:
                if line:
                    raise httpcore.RemoteProtocolError("a chunk does not end where it should")
                self._chunk_state = _CHUNK_HEAD
            elif self._chunk_state == _CHUNK_HEAD:
                size = _CHUNK_SIZE.fullmatch(line)
                if size is None:
                    raise httpcore.RemoteProtocolError("a chunk's size is malformed")
                self._remaining = int(size[1], 16)
                self._chunk_state = _CHUNK_DATA if self._remaining else _TRAILERS
            elif not line:  # the blank line after the trailers
                self._finish(bytes(self._body), keep_alive=self._keep_alive)
                return True

    def _finish(self, content: bytes, *, keep_alive: bool) -> None:
        answer = self._answer
        assert answer is not None
        if self._buffer:  # bytes beyond the answer: the connection is out of step
            keep_alive = False
            self._buffer.clear()
        self._body = bytearray()
        if not keep_alive:
            self._lost = httpcore.RemoteProtocolError("the server ended the connection")
        answer.set_result(H1Answer(self._status, self._headers, content, keep_alive))


def _keeps_alive(version: bytes, headers: list[tuple[bytes, bytes]]) -> bool:
    tokens: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            tokens.update(token.strip().lower() for token in value.split(b","))
    if b"close" in tokens:
        return False
    return version >= b"1.1" or b"keep-alive" in tokens


def _framing(status: int, headers: list[tuple[bytes, bytes]], expect_body: bool) -> tuple[int, int]:
    """How the answer's body ends (RFC 9112 section 6.3), and its length if known."""
    if not expect_body or status in (204, 304) or status < 200:
        return _NO_BODY, 0
    lengths: set[bytes] = set()
    chunked = False
    for name, value in headers:
        lower = name.lower()
        if lower == b"transfer-encoding":
            if value.strip().lower() != b"chunked":
                raise httpcore.RemoteProtocolError("Only Transfer-Encoding: chunked is supported")
            chunked = True
        elif lower == b"content-length":
            lengths.update(length.strip() for length in value.split(b","))
    if chunked:
        return _CHUNKED, 0
    if lengths:
        if len(lengths) != 1:
            raise httpcore.RemoteProtocolError("conflicting Content-Length headers")
        length = lengths.pop()
        if not length.isdigit() or len(length) > 20:
            raise httpcore.RemoteProtocolError("bad Content-Length")
        return (_LENGTH, int(length)) if int(length) else (_NO_BODY, 0)
    return _UNTIL_CLOSE, 0
