"""The fast path's HTTP/1.1 connections against a raw loopback server: framing and keep-alive.

Answers delimited every way HTTP/1.1 allows, interim answers, compressed and cookie-setting
answers, connections the server ends (between requests or mid-answer), timeouts, a large file
body, and cancellation. Real sockets, no mocks.
"""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import anyio
import pytest

from nucleus_async._config import ClientConfig, Timeouts
from nucleus_async._http import (
    ConnectionLost,
    FileBody,
    HTTPClient,
    Response,
    TimeoutFailure,
)
from nucleus_async._http._h1_sender import H1Sender
from support.proxies import no_proxy  # noqa: F401 -- autouse: applies to this module
from support.raw_http import RawRequest, RawServer, answer, raw_server

KEY = "test_key_0123456789"


def client_for(server: RawServer, **config: object) -> tuple[HTTPClient, str]:
    return client_for_port(server.port, **config)


def client_for_port(port: int, **config: object) -> tuple[HTTPClient, str]:
    endpoint = f"http://127.0.0.1:{port}/v1"
    client = HTTPClient(
        ClientConfig(endpoint=endpoint, api_key=KEY, **config),  # type: ignore[arg-type]
        user_agent="ua",
        auth_headers={},
    )
    assert isinstance(client._sender, H1Sender)
    return client, endpoint


async def get(client: HTTPClient, url: str, method: str = "GET") -> Response:
    return await client.send(client.build(method, url, headers={}))


def raw(head: str, body: bytes = b"") -> bytes:
    return head.replace("\n", "\r\n").encode("latin-1") + body


CHUNKED = raw(
    "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n",
    b'5;ext=1\r\n{"a":\r\nB\r\n "chunked"}\r\n0\r\nX-Trailer: t\r\n\r\n',
)


async def test_a_chunked_answer_is_read_whole_and_keeps_the_connection() -> None:
    async def chunked(request: RawRequest) -> bytes:
        return CHUNKED

    async with raw_server(chunked) as server:
        client, endpoint = client_for(server)
        for _ in range(3):
            assert (await get(client, f"{endpoint}/x")).json() == {"a": "chunked"}
        await client.aclose()
    assert server.accepted == 1


async def test_a_gzip_chunked_answer_is_decoded() -> None:
    body = b'{"items": ["' + b"x" * 5000 + b'"]}'
    packed = gzip.compress(body)

    async def compressed(request: RawRequest) -> bytes:
        chunks = b"".join(
            b"%x\r\n%s\r\n" % (len(packed[i : i + 1000]), packed[i : i + 1000])
            for i in range(0, len(packed), 1000)
        )
        head = "HTTP/1.1 200 OK\nContent-Encoding: gzip\nTransfer-Encoding: chunked\n\n"
        return raw(head, chunks + b"0\r\n\r\n")

    async with raw_server(compressed) as server:
        client, endpoint = client_for(server)
        assert (await get(client, f"{endpoint}/x")).content == body
        await client.aclose()


async def test_an_answer_without_length_is_read_until_the_server_closes() -> None:
    async def until_close(request: RawRequest) -> bytes:
        return raw("HTTP/1.1 200 OK\nContent-Type: application/json\n\n", b'{"until": "close"}')

    async with raw_server(until_close, close_after_answer=True) as server:
        client, endpoint = client_for(server)
        for _ in range(2):
            assert (await get(client, f"{endpoint}/x")).json() == {"until": "close"}
        await client.aclose()
    assert server.accepted == 2  # read until close: never reused


async def test_connection_close_sends_the_next_request_on_a_new_connection() -> None:
    async def closing(request: RawRequest) -> bytes:
        return answer(headers={"Connection": "close"})

    async with raw_server(closing) as server:  # the server itself would keep it open
        client, endpoint = client_for(server)
        for _ in range(3):
            assert (await get(client, f"{endpoint}/x")).status_code == 200
        await server.wait_for(lambda: server.closed == 3)
        await client.aclose()
    assert server.accepted == 3


async def test_an_http_1_0_answer_keeps_the_connection_only_when_it_says_keep_alive() -> None:
    async def old(request: RawRequest) -> bytes:
        keep = request.target.endswith("/keep")
        extra = "Connection: keep-alive\n" if keep else ""
        return raw(f"HTTP/1.0 200 OK\nContent-Length: 2\n{extra}\n", b"{}")

    async with raw_server(old) as server:
        client, endpoint = client_for(server)
        for target in ("keep", "keep", "close", "keep"):
            assert (await get(client, f"{endpoint}/{target}")).status_code == 200
        await client.aclose()
    assert server.accepted == 2


async def test_interim_answers_are_skipped() -> None:
    async def interim(request: RawRequest) -> bytes:
        return raw("HTTP/1.1 100 Continue\n\nHTTP/1.1 103 Early Hints\nLink: </a>\n\n") + answer(
            body=b'{"final": true}'
        )

    async with raw_server(interim) as server:
        client, endpoint = client_for(server)
        response = await get(client, f"{endpoint}/x")
        assert (response.status_code, response.json()) == (200, {"final": True})
        assert "link" not in response.headers
        assert (await get(client, f"{endpoint}/x")).status_code == 200
        await client.aclose()
    assert server.accepted == 1


async def test_head_204_and_304_answers_have_no_body() -> None:
    async def bodiless(request: RawRequest) -> bytes:
        status = {"/v1/none": 204, "/v1/same": 304}.get(request.target, 200)
        # A HEAD answer announces the length a GET would have, and sends no body.
        length = "Content-Length: 10\n" if status == 200 else ""
        return raw(f"HTTP/1.1 {status} X\n{length}\n")

    async with raw_server(bodiless) as server:
        client, endpoint = client_for(server)
        assert (await get(client, f"{endpoint}/x", "HEAD")).content == b""
        assert (await get(client, f"{endpoint}/none")).status_code == 204
        assert (await get(client, f"{endpoint}/same")).status_code == 304
        await client.aclose()
    assert server.accepted == 1


async def test_a_cookie_the_server_sets_is_sent_back() -> None:
    async def login(request: RawRequest) -> bytes:
        if request.target.endswith("/login"):
            return answer(headers={"Set-Cookie": "session=s1; Path=/"})
        return answer()

    async with raw_server(login) as server:
        client, endpoint = client_for(server)
        await get(client, f"{endpoint}/login")
        await get(client, f"{endpoint}/x")
        await client.aclose()
    assert b"Cookie:" not in server.requests[0].head
    assert b"\r\nCookie: session=s1\r\n" in server.requests[1].head


async def test_a_server_closing_an_idle_connection_costs_no_error() -> None:
    async def ok(request: RawRequest) -> bytes:
        return answer()

    async with raw_server(ok) as server:
        client, endpoint = client_for(server)
        assert (await get(client, f"{endpoint}/x")).status_code == 200
        await server.hang_up_all()  # the idle connection's server side goes away
        assert (await get(client, f"{endpoint}/x")).status_code == 200
        await client.aclose()
    assert server.accepted == 2


async def test_a_server_dropping_a_chunked_answer_midway_loses_the_connection() -> None:
    async def dropped(request: RawRequest) -> bytes:
        return CHUNKED[:-20]

    async with raw_server(dropped, close_after_answer=True) as server:
        client, endpoint = client_for(server)
        with pytest.raises(ConnectionLost) as caught:
            await get(client, f"{endpoint}/x")
        assert caught.value.reason == "RemoteProtocolError"
        assert client.busy_connections() == 0
        await client.aclose()


async def test_a_malformed_answer_loses_the_connection() -> None:
    async def garbage(request: RawRequest) -> bytes:
        return b"SMTP ready\r\n\r\n"

    async with raw_server(garbage) as server:
        client, endpoint = client_for(server)
        with pytest.raises(ConnectionLost) as caught:
            await get(client, f"{endpoint}/x")
        assert caught.value.reason == "RemoteProtocolError"
        await client.aclose()


async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    async def silent(request: RawRequest) -> None:
        await request.until_the_client_hangs_up()

    async with raw_server(silent) as server:
        timeouts = Timeouts(connect=30.0, read=0.05, write=30.0, pool=30.0)
        client, endpoint = client_for(server, timeouts=timeouts)
        with pytest.raises(TimeoutFailure) as caught:
            await get(client, f"{endpoint}/x")
        assert caught.value.reason == "ReadTimeout"
        await client.aclose()


async def test_a_file_body_of_several_megabytes_is_streamed_with_its_length(
    tmp_path: Path,
) -> None:
    data = bytes(range(256)) * (5 * 4096 + 3)  # ~5 MB, not a whole number of chunks
    upload = tmp_path / "big.bin"
    upload.write_bytes(data)

    async def ok(request: RawRequest) -> bytes:
        return answer()

    async with raw_server(ok) as server:
        client, endpoint = client_for(server)
        for _ in range(2):  # the file is reopened for each send
            request = client.build(
                "PUT", f"{endpoint}/up", headers={}, body=FileBody(upload, len(data))
            )
            assert (await client.send(request)).status_code == 200
        await client.aclose()
    for received in server.requests:
        assert f"Content-Length: {len(data)}\r\n".encode() in received.head
        assert received.body == data
    assert server.accepted == 1


async def test_a_file_shorter_than_its_declared_length_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "short.bin"
    upload.write_bytes(b"x" * 10)

    async def ok(request: RawRequest) -> bytes:
        return answer()

    async with raw_server(ok) as server:
        client, endpoint = client_for(server)
        request = client.build("PUT", f"{endpoint}/up", headers={}, body=FileBody(upload, 11))
        with pytest.raises(Exception, match="Too little data") as caught:
            await client.send(request)
        assert not isinstance(caught.value, ConnectionLost)  # not worth a retry
        assert client.busy_connections() == 0
        await client.aclose()


async def test_cancelled_requests_give_back_their_slots() -> None:
    async def hang_on_request(request: RawRequest) -> bytes | None:
        if request.target.endswith("/hang"):
            await request.until_the_client_hangs_up()
            return None
        return answer()

    async with raw_server(hang_on_request) as server:
        timeouts = Timeouts(connect=30.0, read=30.0, write=30.0, pool=0.01)
        # max_concurrency=1: two slots, both taken by requests then cancelled.
        client, endpoint = client_for(server, max_concurrency=1, timeouts=timeouts)
        async with anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(get, client, f"{endpoint}/hang")
            await server.wait_for(lambda: server.unanswered == 2)
            tg.cancel_scope.cancel()
        assert client.busy_connections() == 0
        # A pool timeout here would mean a slot leaked.
        for _ in range(3):
            assert (await get(client, f"{endpoint}/x")).status_code == 200
        await client.aclose()


async def test_an_answer_before_the_whole_body_is_the_outcome(tmp_path: Path) -> None:
    upload = tmp_path / "big.bin"
    upload.write_bytes(b"x" * (32 * 1024 * 1024))  # more than loopback socket buffers hold
    refused = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nConnection: close\r\n\r\nexpired"
    release = asyncio.Event()

    async def refuse_unread(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")  # the head only: the body is never taken
        writer.write(refused)
        await release.wait()
        writer.close()

    listener = await asyncio.start_server(refuse_unread, "127.0.0.1", 0)
    async with listener:
        port = listener.sockets[0].getsockname()[1]
        timeouts = Timeouts(connect=30.0, read=30.0, write=0.2, pool=30.0)
        client, endpoint = client_for_port(port, timeouts=timeouts)
        request = client.build(
            "PUT", f"{endpoint}/up", headers={}, body=FileBody(upload, upload.stat().st_size)
        )
        response = await client.send(request)
        release.set()
        assert (response.status_code, response.content) == (403, b"expired")
        assert client.busy_connections() == 0
        await client.aclose()


def test_the_connections_work_on_uvloop() -> None:
    # Ray's workers run event loops from uvloop, whose transports are not asyncio's classes.
    import uvloop

    async def ok(request: RawRequest) -> bytes:
        return answer()

    async def three_requests() -> int:
        async with raw_server(ok) as server:
            client, endpoint = client_for(server)
            for _ in range(3):
                assert (await get(client, f"{endpoint}/x")).status_code == 200
            await client.aclose()
        return server.accepted

    assert uvloop.run(three_requests()) == 1


async def test_a_lost_answer_chains_nothing_that_holds_the_request_head() -> None:
    # The connection's futures hold failures as results: a task woken by a future's exception
    # runs on inside asyncio's handler of it, and on Python 3.10 every exception raised in
    # that step took it as __context__, with the head (and its Authorization) in the locals
    # of the chained frames.
    import traceback

    from nucleus_async._errors import NucleusConnectionError
    from nucleus_async._retry import RetryPolicy
    from nucleus_async._transport import Transport

    async def hang_up(request: RawRequest) -> None:
        return None

    async with raw_server(hang_up) as server:
        config = ClientConfig(
            endpoint=f"http://127.0.0.1:{server.port}/v1",
            api_key=KEY,
            retry=RetryPolicy(max_attempts=1),
        )
        async with Transport(config) as transport:
            with pytest.raises(NucleusConnectionError) as caught:
                await transport.request("GET", "dataset/ds_1/info")
    error: BaseException | None = caught.value
    while error is not None:
        frames = traceback.extract_tb(error.__traceback__)
        assert not any(frame.filename.endswith("_http/_h1_connection.py") for frame in frames)
        error = error.__cause__ or error.__context__
    rendered = "".join(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
    )
    assert KEY not in rendered and "Authorization" not in rendered
