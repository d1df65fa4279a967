"""The HTTP adapter's own connection pool, against real loopback servers (no mocks).

Network sends without a proxy go through it: connections are reused, never past the server
closing them, never more than ``2 * max_concurrency`` at once, and closed when a request is
cancelled mid-answer; TLS verifies as configured; compressed answers are decoded.
"""

from __future__ import annotations

import gzip
import ssl
import zlib
from pathlib import Path

import anyio
import pytest
import trustme

from nucleus_async._config import ClientConfig
from nucleus_async._http import (
    ConnectFailure,
    ConnectionLost,
    HTTPClient,
    Response,
    TransportFailure,
)
from nucleus_async._http._h1_sender import H1Sender
from support.proxies import no_proxy  # noqa: F401 -- autouse: applies to this module
from support.raw_http import RawRequest, RawServer, answer, raw_server

KEY = "test_key_0123456789"


def client_for(
    server: RawServer, *, max_concurrency: int = 4, https: bool = False, verify_ssl: bool = True
) -> tuple[HTTPClient, str]:
    scheme = "https" if https else "http"
    endpoint = f"{scheme}://127.0.0.1:{server.port}/v1"
    config = ClientConfig(
        endpoint=endpoint, api_key=KEY, max_concurrency=max_concurrency, verify_ssl=verify_ssl
    )
    client = HTTPClient(config, user_agent="ua", auth_headers={})
    assert isinstance(client._sender, H1Sender)
    return client, endpoint


async def get(client: HTTPClient, url: str) -> Response:
    return await client.send(client.build("GET", url, headers={}))


async def ok(request: RawRequest) -> bytes:
    return answer()


async def test_one_keep_alive_connection_serves_request_after_request() -> None:
    async with raw_server(ok) as server:
        client, endpoint = client_for(server)
        for _ in range(5):
            assert (await get(client, f"{endpoint}/x")).status_code == 200
        await client.aclose()
    assert server.accepted == 1


async def test_a_connection_the_server_closed_is_never_reused() -> None:
    async with raw_server(ok, close_after_answer=True) as server:
        client, endpoint = client_for(server)
        for sent in (1, 2, 3):
            # No retry here: sending on the closed connection would fail this request.
            assert (await get(client, f"{endpoint}/x")).status_code == 200
            await server.wait_for(lambda sent=sent: server.closed == sent)  # type: ignore[misc]
        await client.aclose()
    assert server.accepted == 3


async def test_concurrent_requests_never_open_more_than_max_connections() -> None:
    async def held(request: RawRequest) -> bytes:
        await server.release.wait()
        return answer()

    statuses: list[int] = []

    async def one() -> None:
        statuses.append((await get(client, f"{endpoint}/x")).status_code)

    async with raw_server(held) as server:
        client, endpoint = client_for(server, max_concurrency=2)  # 4 connections at most
        async with anyio.create_task_group() as tg:
            for _ in range(12):
                tg.start_soon(one)
            await server.wait_for(lambda: server.unanswered == 4)
            assert client.busy_connections() == 4
            server.release.set()
        assert statuses == [200] * 12
        assert server.peak_open == 4
        assert client.busy_connections() == 0
        await server.wait_for(lambda: server.open == 2)  # max_concurrency kept idle
        await client.aclose()
        await server.wait_for(lambda: server.open == 0)


async def test_a_full_pool_closes_an_idle_connection_to_open_one_to_another_host() -> None:
    async def held(request: RawRequest) -> bytes:
        await other.release.wait()
        return answer()

    async with raw_server(ok) as first, raw_server(held) as other:
        client, endpoint = client_for(first, max_concurrency=2)  # 4 open at most, 2 idle
        async with anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(get, client, f"{endpoint}/x")
        assert first.open == 2  # both kept idle
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(get, client, f"http://127.0.0.1:{other.port}/v1/x")
            await other.wait_for(lambda: other.unanswered == 3)
            await first.wait_for(lambda: first.open == 1)  # one idle evicted for the third
            other.release.set()
        assert first.accepted + other.accepted == 5
        await client.aclose()


async def test_a_request_cancelled_mid_answer_closes_its_connection() -> None:
    async def hang_on_request(request: RawRequest) -> bytes | None:
        if request.target.endswith("/hang"):
            await request.until_the_client_hangs_up()
            return None
        return answer()

    async with raw_server(hang_on_request) as server:
        client, endpoint = client_for(server)
        assert (await get(client, f"{endpoint}/x")).status_code == 200
        async with anyio.create_task_group() as tg:
            tg.start_soon(get, client, f"{endpoint}/hang")
            await server.wait_for(lambda: server.unanswered == 1)
            assert client.busy_connections() == 1
            tg.cancel_scope.cancel()
        assert client.busy_connections() == 0
        await server.wait_for(lambda: server.closed == 1)  # the client closed it
        assert (await get(client, f"{endpoint}/x")).status_code == 200
        assert server.accepted == 2  # on a new connection
        await client.aclose()


async def test_aclose_closes_idle_and_busy_connections() -> None:
    failures: list[TransportFailure] = []

    async def hang() -> None:
        try:
            await get(client, f"{endpoint}/hang")
        except TransportFailure as failure:
            failures.append(failure)

    async def hang_on_request(request: RawRequest) -> bytes | None:
        if request.target.endswith("/hang"):
            await request.until_the_client_hangs_up()
            return None
        return answer()

    async with raw_server(hang_on_request) as server:
        client, endpoint = client_for(server)
        async with anyio.create_task_group() as tg:
            tg.start_soon(get, client, f"{endpoint}/x")
            tg.start_soon(get, client, f"{endpoint}/x")
        assert server.accepted == 2
        async with anyio.create_task_group() as tg:
            tg.start_soon(hang)
            await server.wait_for(lambda: server.unanswered == 1)
            await client.aclose()
            assert client.is_closed
            await server.wait_for(lambda: server.open == 0)
        assert [type(failure) for failure in failures] == [ConnectionLost]


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
async def test_compressed_answers_are_decoded(encoding: str, compress: object) -> None:
    body = b'{"items": ["' + b"x" * 5000 + b'"]}'

    async def compressed(request: RawRequest) -> bytes:
        assert callable(compress)
        return answer(body=compress(body), headers={"Content-Encoding": encoding})

    async with raw_server(compressed) as server:
        client, endpoint = client_for(server)
        response = await get(client, f"{endpoint}/x")
        await client.aclose()
    assert response.content == body
    assert response.headers["content-encoding"] == encoding


# -- TLS: the pool's connections verify as ``verify_ssl`` says ---------------------------------


@pytest.fixture
def tls_server_context() -> tuple[trustme.CA, ssl.SSLContext]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return ca, context


async def test_https_verifies_the_server_against_the_trusted_authorities(
    tls_server_context: tuple[trustme.CA, ssl.SSLContext],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, context = tls_server_context
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # httpx's trust_env
    async with raw_server(ok, tls=context) as server:
        client, endpoint = client_for(server, https=True)
        for _ in range(3):
            assert (await get(client, f"{endpoint}/x")).status_code == 200
        await client.aclose()
    assert server.accepted == 1  # the TLS connection was kept alive


async def test_https_refuses_a_server_no_trusted_authority_signed(
    tls_server_context: tuple[trustme.CA, ssl.SSLContext],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    _, context = tls_server_context
    async with raw_server(ok, tls=context) as server:
        client, endpoint = client_for(server, https=True)
        with pytest.raises(ConnectFailure, match="CERTIFICATE_VERIFY_FAILED"):
            await get(client, f"{endpoint}/x")
        assert client.busy_connections() == 0
        await client.aclose()
    assert not server.requests


async def test_https_without_verification_accepts_any_server(
    tls_server_context: tuple[trustme.CA, ssl.SSLContext],
) -> None:
    _, context = tls_server_context
    async with raw_server(ok, tls=context) as server:
        client, endpoint = client_for(server, https=True, verify_ssl=False)
        assert (await get(client, f"{endpoint}/x")).status_code == 200
        await client.aclose()
