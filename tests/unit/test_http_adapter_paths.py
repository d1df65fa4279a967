"""The HTTP adapter's two network paths put the same bytes on the wire and fail the same way.

Without a proxy, requests go through the adapter's own pool; with one configured in the
environment, through ``httpx.AsyncClient`` (here the proxy is bypassed for 127.0.0.1 with
``NO_PROXY``, so both paths reach the same loopback server). Real sockets, no mocks.
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from nucleus_async._config import ClientConfig, Timeouts
from nucleus_async._http import (
    ConnectFailure,
    ConnectionLost,
    FileBody,
    HTTPClient,
    InvalidURL,
    PreparedRequest,
    TimeoutFailure,
    TransportFailure,
)
from nucleus_async._http._h1_sender import H1Sender
from nucleus_async._http._httpx_sender import HttpxSender
from support.proxies import no_proxy  # noqa: F401 -- autouse: applies to this module
from support.raw_http import RawRequest, answer, raw_server

KEY = "test_key_0123456789"
AUTH = {"Authorization": "Basic dGVzdF9rZXk6"}
PATHS = [H1Sender, HttpxSender]


ClientFactory = Callable[..., HTTPClient]


@pytest.fixture
def make_client(monkeypatch: pytest.MonkeyPatch) -> Callable[[type[object]], ClientFactory]:
    """``make_client(path)(port, **config)``: a client on that path to a loopback port."""

    def for_path(path: type[object]) -> ClientFactory:
        def make(port: int, **config: object) -> HTTPClient:
            with monkeypatch.context() as env:
                if path is HttpxSender:
                    env.setenv("HTTP_PROXY", "http://127.0.0.1:9")
                    env.setenv("NO_PROXY", "127.0.0.1")
                client = HTTPClient(
                    ClientConfig(
                        endpoint=f"http://127.0.0.1:{port}/v1",
                        api_key=KEY,
                        **config,  # type: ignore[arg-type]
                    ),
                    user_agent="nucleus-sdk/test",
                    auth_headers=AUTH,
                )
            assert type(client._sender) is path
            return client

        return make

    return for_path


def test_a_proxy_in_the_environment_selects_the_httpx_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = ClientConfig(api_key=KEY)
    assert type(HTTPClient(config, user_agent="ua", auth_headers={})._sender) is H1Sender
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    assert type(HTTPClient(config, user_agent="ua", auth_headers={})._sender) is HttpxSender
    monkeypatch.setenv("NO_PROXY", "*")  # httpx ignores every proxy then
    assert type(HTTPClient(config, user_agent="ua", auth_headers={})._sender) is H1Sender


# -- the bytes on the wire ----------------------------------------------------------------------


async def remember_a_cookie(request: RawRequest) -> bytes:
    if request.target.endswith("/login"):
        return answer(headers={"Set-Cookie": "session=s1; Path=/"})
    return answer()


async def send_every_kind(client: HTTPClient, endpoint: str, upload: Path) -> None:
    # Each request is built after the previous answer (the cookie of the first applies).
    builds: list[Callable[[], PreparedRequest]] = [
        lambda: client.build("GET", f"{endpoint}/login", headers={}),
        lambda: client.build("GET", f"{endpoint}/dataset/ds_1?page=2&x=%20y", headers={}),
        lambda: client.build(
            "POST",
            f"{endpoint}/dataset/ds_1/append",
            headers={"Content-Type": "application/json"},
            body=b'{"items":[]}',
        ),
        lambda: client.build(
            "POST",
            f"{endpoint}/dataset/ds_1/append",
            headers={},
            parts=[
                ("items", (None, b'[{"reference_id":"a"}]', "application/json")),
                ("files", ("a.jpg", b"\xff\xd8jpeg", "image/jpeg")),
            ],
        ),
        lambda: client.build(
            "PUT",
            f"{endpoint}/signed/upload?X-Sig=abc",
            headers={},
            body=FileBody(upload, upload.stat().st_size),
            authenticated=False,
        ),
        lambda: client.build("DELETE", f"{endpoint}/dataset/ds_1", headers={}),
    ]
    for build in builds:
        assert (await client.send(build())).status_code == 200
    await client.aclose()


async def test_both_paths_send_the_same_bytes(
    make_client: Callable[[type[object]], ClientFactory], tmp_path: Path
) -> None:
    upload = tmp_path / "image.jpg"
    upload.write_bytes(b"\xff\xd8" + bytes(range(256)) * 1200)  # several file chunks
    sent: dict[type[object], list[bytes]] = {}
    async with raw_server(remember_a_cookie) as server:  # one server: the same Host header
        for path in PATHS:
            client = make_client(path)(server.port)
            already = len(server.requests)
            await send_every_kind(client, f"http://127.0.0.1:{server.port}/v1", upload)
            # Multipart boundaries are random: the same placeholder for both.
            sent[path] = [
                re.sub(rb"[0-9a-f]{32}", b"<boundary>", request.raw)
                for request in server.requests[already:]
            ]
    assert sent[H1Sender] == sent[HttpxSender]
    login, get, *_ = sent[H1Sender]
    assert login.startswith(b"GET /v1/login HTTP/1.1\r\nHost: 127.0.0.1:")
    for header in (b"Accept: */*", b"Accept-Encoding: gzip", b"Connection: keep-alive"):
        assert header in login
    assert b"User-Agent: nucleus-sdk/test\r\nAuthorization: Basic dGVzdF9rZXk6" in login
    assert b"Cookie: session=s1" in get  # kept from the login's answer


# -- failures: the same neutral failure, with the same reason, on both paths --------------------


@asynccontextmanager
async def listener_that_never_reads() -> AsyncIterator[int]:
    """Accepts connections and reads nothing, so a large body fills the socket buffers."""
    release = asyncio.Event()

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(stall, "127.0.0.1", 0)
    async with server:
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            release.set()


def a_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def hang_up(request: RawRequest) -> bytes | None:
    return None


async def half_an_answer(request: RawRequest) -> bytes | None:
    return b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"  # then the server hangs up


async def no_answer(request: RawRequest) -> bytes | None:
    await request.until_the_client_hangs_up()
    return None


def quick(read: float = 30.0, write: float = 30.0, pool: float = 30.0) -> Timeouts:
    return Timeouts(connect=30.0, read=read, write=write, pool=pool)


@pytest.mark.parametrize("path", PATHS)
async def test_a_refused_connection_is_a_connect_failure(
    path: type[object], make_client: Callable[[type[object]], ClientFactory]
) -> None:
    port = a_closed_port()
    client = make_client(path)(port)
    with pytest.raises(ConnectFailure) as caught:
        await client.send(client.build("GET", f"http://127.0.0.1:{port}/v1/x", headers={}))
    assert caught.value.reason == "ConnectError"
    assert client.busy_connections() == 0


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("handler", "reason"),
    [(hang_up, "RemoteProtocolError"), (half_an_answer, "RemoteProtocolError")],
)
async def test_a_connection_dropped_before_the_whole_answer_is_lost(
    path: type[object],
    make_client: Callable[[type[object]], ClientFactory],
    handler: Callable[[RawRequest], object],
    reason: str,
) -> None:
    async with raw_server(handler, close_after_answer=True) as server:  # type: ignore[arg-type]
        client = make_client(path)(server.port)
        with pytest.raises(ConnectionLost) as caught:
            await client.send(client.build("GET", f"http://127.0.0.1:{server.port}/x", headers={}))
        assert caught.value.reason == reason
        assert client.busy_connections() == 0
        await client.aclose()


@pytest.mark.parametrize("path", PATHS)
async def test_a_reset_connection_is_lost(
    path: type[object], make_client: Callable[[type[object]], ClientFactory]
) -> None:
    async def reset_after_reading(request: RawRequest) -> bytes | None:
        sock = request.socket
        # SO_LINGER 0: closing sends a reset instead of an orderly end.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return None

    async with raw_server(reset_after_reading) as server:
        client = make_client(path)(server.port)
        with pytest.raises(ConnectionLost) as caught:
            await client.send(client.build("GET", f"http://127.0.0.1:{server.port}/x", headers={}))
        assert caught.value.reason == "ReadError"
        await client.aclose()


@pytest.mark.parametrize("path", PATHS)
async def test_no_answer_within_the_read_timeout_is_a_timeout(
    path: type[object], make_client: Callable[[type[object]], ClientFactory]
) -> None:
    async with raw_server(no_answer) as server:
        client = make_client(path)(server.port, timeouts=quick(read=0.2))
        with pytest.raises(TimeoutFailure) as caught:
            await client.send(client.build("GET", f"http://127.0.0.1:{server.port}/x", headers={}))
        assert caught.value.reason == "ReadTimeout"
        assert client.busy_connections() == 0
        await client.aclose()


@pytest.mark.parametrize("path", PATHS)
async def test_a_body_the_server_does_not_read_is_a_write_timeout(
    path: type[object], make_client: Callable[[type[object]], ClientFactory]
) -> None:
    async with listener_that_never_reads() as port:
        client = make_client(path)(port, timeouts=quick(write=0.2))
        big = b"x" * (64 * 1024 * 1024)  # more than loopback socket buffers hold
        with pytest.raises(TimeoutFailure) as caught:
            await client.send(
                client.build("PUT", f"http://127.0.0.1:{port}/x", headers={}, body=big)
            )
        assert caught.value.reason == "WriteTimeout"
        await client.aclose()


@pytest.mark.parametrize("path", PATHS)
async def test_no_free_connection_within_the_pool_timeout_is_a_timeout(
    path: type[object], make_client: Callable[[type[object]], ClientFactory]
) -> None:
    async with raw_server(no_answer) as server:
        # max_concurrency=1: two connections at most, both held by unanswered requests.
        client = make_client(path)(server.port, max_concurrency=1, timeouts=quick(pool=0.2))
        url = f"http://127.0.0.1:{server.port}/x"
        async with anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(client.send, client.build("GET", url, headers={}))
            await server.wait_for(lambda: server.unanswered == 2)
            with pytest.raises(TimeoutFailure) as caught:
                await client.send(client.build("GET", url, headers={}))
            tg.cancel_scope.cancel()
        assert caught.value.reason == "PoolTimeout"
        await client.aclose()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/x", "UnsupportedProtocol"),
        ("/v1/x", "UnsupportedProtocol"),
    ],
)
async def test_an_url_no_request_can_be_sent_to_fails_without_retry(
    path: type[object],
    make_client: Callable[[type[object]], ClientFactory],
    url: str,
    reason: str,
) -> None:
    client = make_client(path)(a_closed_port())
    with pytest.raises(TransportFailure) as caught:
        await client.send(client.build("GET", url, headers={}))
    assert type(caught.value) is TransportFailure  # not retried
    assert caught.value.reason == reason


@pytest.mark.parametrize("path", PATHS)
async def test_a_header_no_request_can_carry_fails_without_retry(
    path: type[object], make_client: Callable[[type[object]], ClientFactory]
) -> None:
    async with raw_server(no_answer) as server:
        client = make_client(path)(server.port)
        request = client.build("GET", f"http://127.0.0.1:{server.port}/x", headers={"X": "a\nb"})
        with pytest.raises(TransportFailure) as caught:
            await client.send(request)
        assert type(caught.value) is TransportFailure
        assert caught.value.reason == "LocalProtocolError"
        assert client.busy_connections() == 0
        await client.aclose()


@pytest.mark.parametrize("path", PATHS)
def test_an_invalid_url_is_refused_when_built(
    path: type[object], make_client: Callable[[type[object]], ClientFactory]
) -> None:
    client = make_client(path)(a_closed_port())
    with pytest.raises(InvalidURL):
        client.build("GET", "http://[::1/x", headers={})
