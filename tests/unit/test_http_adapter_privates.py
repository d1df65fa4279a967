"""The httpx/httpcore privates the HTTP adapter relies on (see ``nucleus_async._http``).

Each test pins one of them and fails when a new httpx or httpcore changes it, instead of the
adapter silently falling back to the library's slower behaviour. Real loopback servers, no
mocks: the point is what the installed library does.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest

from nucleus_async._config import ClientConfig
from nucleus_async._http import ASGITransport, HTTPClient, _socket_check
from nucleus_async._retry import RetryPolicy
from nucleus_async._transport import Transport

KEY = "test_key_0123456789"
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class LoopbackServer:
    """HTTP/1.1 on 127.0.0.1; keeps connections alive, or closes each after one answer."""

    def __init__(self, close_after_answer: bool) -> None:
        self.close_after_answer = close_after_answer
        self.accepted = 0
        self.closed = 0
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")  # requests here carry no body
                writer.write(ANSWER)
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            await writer.wait_closed()
            self.closed += 1


@asynccontextmanager
async def loopback_server(*, close_after_answer: bool) -> AsyncIterator[LoopbackServer]:
    server = LoopbackServer(close_after_answer)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield server


def transport_to(server: LoopbackServer) -> Transport:
    # One attempt: a reused dead connection would be an error, not a silent retry.
    config = ClientConfig(
        endpoint=f"http://127.0.0.1:{server.port}/v1",
        api_key=KEY,
        retry=RetryPolicy(max_attempts=1),
    )
    return Transport(config)


@pytest.fixture
def readable_checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every answer of the adapter's ``is_readable`` check, in order."""
    answers: list[bool] = []
    check = _socket_check.socket_is_readable

    def spy(sock: socket.socket) -> bool:
        answers.append(check(sock))
        return answers[-1]

    monkeypatch.setattr(_socket_check, "socket_is_readable", spy)
    return answers


# -- privates 1 and 2: where httpx keeps its pools and their network backend ------------------
# (only a client with a proxy sends through httpx.AsyncClient; without, the adapter's own pool)


def test_a_proxied_clients_pools_get_the_socket_check_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = HTTPClient(ClientConfig(api_key=KEY), user_agent="ua", auth_headers={})
    assert client.socket_check_installed
    pools = client._sender._pools
    assert len(pools) == 2  # direct, and the proxy mount httpx built from the env
    for pool in pools:
        assert isinstance(pool._network_backend, _socket_check.SocketCheckBackend)


def test_an_in_process_client_has_no_pool_to_change() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    config = ClientConfig(api_key=KEY)
    client = HTTPClient(config, user_agent="ua", auth_headers={}, transport=ASGITransport(app))
    assert not client.socket_check_installed


# -- private 3: httpcore asks an idle connection's stream whether it is readable --------------
# (the proxy path's pools; the fast path's own pool calls the same check itself)


async def test_httpcore_consults_the_socket_check_before_reusing_a_connection(
    readable_checks: list[bool],
) -> None:
    import httpcore

    async with loopback_server(close_after_answer=False) as server:
        backend = _socket_check.SocketCheckBackend(httpcore.AnyIOBackend())
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            for _ in range(3):
                answer = await pool.request("GET", f"http://127.0.0.1:{server.port}/x")
                assert answer.status == 200
    assert server.accepted == 1  # one keep-alive connection served all three
    assert readable_checks, "httpcore no longer asks get_extra_info('is_readable')"
    assert not any(readable_checks)


async def test_the_fast_path_checks_an_idle_connection_before_reusing_it(
    readable_checks: list[bool],
) -> None:
    async with (
        loopback_server(close_after_answer=False) as server,
        transport_to(server) as transport,
    ):
        for _ in range(3):
            assert await transport.request("GET", "x") == {}
    assert server.accepted == 1  # one keep-alive connection served all three
    assert readable_checks, "the fast path's pool no longer checks an idle connection"
    assert not any(readable_checks)


async def test_a_connection_the_server_closed_is_detected_and_never_reused(
    readable_checks: list[bool],
) -> None:
    async with (
        loopback_server(close_after_answer=True) as server,
        transport_to(server) as transport,
    ):
        for expected in (1, 2, 3):
            assert await transport.request("GET", "x") == {}
            with anyio.fail_after(30):  # a hang guard, loose for a loaded machine
                while server.closed < expected:  # the server hung up after answering
                    await asyncio.sleep(0)
        assert transport.requests_sent == 3  # none failed and was retried
    assert server.accepted == 3  # a new connection for each request
    assert True in readable_checks  # the check is what saw the closed connections


def test_the_socket_check_sees_data_and_a_closed_peer() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert not _socket_check.socket_is_readable(ours)
        theirs.sendall(b"x")
        assert _socket_check.socket_is_readable(ours)
        ours.recv(1)
        theirs.close()
        assert _socket_check.socket_is_readable(ours)


# -- private 4: the spent stream frees a response's request without the cyclic collector ------


async def test_a_sent_request_is_freed_without_garbage_collection() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    config = ClientConfig(api_key=KEY)
    client = HTTPClient(config, user_agent="ua", auth_headers={}, transport=ASGITransport(app))

    def live_requests() -> int:
        return sum(isinstance(o, httpx.Request) for o in gc.get_objects())

    gc.collect()
    gc.disable()
    try:
        before = live_requests()
        request = client.build("POST", "http://test/x", headers={}, body=b"x" * 100_000)
        response = await client.send(request)
        assert response.status_code == 200
        del request, response
        assert live_requests() == before, "httpx's response/stream cycle is back"
    finally:
        gc.enable()
    await client.aclose()


# -- private 5: httpx is imported without its command-line tool ---------------------------------


def test_building_a_client_imports_httpx_without_its_command_line_tool() -> None:
    # httpx imports its CLI (click, rich, pygments) only when click is installed, as here.
    assert importlib.util.find_spec("click") is not None
    code = (
        "import sys\n"
        "import nucleus_async\n"
        "assert not {'httpx', 'httpcore'} & set(sys.modules)\n"
        "nucleus_async.NucleusClient('key')\n"
        "assert 'httpx' in sys.modules\n"
        "heavy = [m for m in ('httpx._main', 'click', 'rich', 'pygments') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "import httpx._main\n"  # the real tool is still there for whoever wants it
        "assert httpx._main.__file__ and callable(httpx._main.main)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
