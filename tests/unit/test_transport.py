"""The transport: auth, headers, retries, Retry-After, give-up, limiter slots, leaks."""

from __future__ import annotations

import base64
import email.utils
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import httpx
import pytest
import respx

from nucleus_async._config import ClientConfig, Timeouts
from nucleus_async._errors import (
    NucleusAPIError,
    NucleusConnectionError,
    NucleusError,
    NucleusTimeoutError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from nucleus_async._http import ASGITransport, FileBody
from nucleus_async._retry import RETRYABLE_STATUSES, RetryPolicy
from nucleus_async._transport import Transport
from nucleus_async._transport import user_agent as expected_user_agent
from nucleus_async._version import __version__
from support.mock_server import mock_transport

ENDPOINT = "https://nucleus.test/v1/nucleus"
KEY = "test_key_0123456789"


class SleepRecorder:
    """An injected sleep: records the delays and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await anyio.lowlevel.checkpoint()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(base_url=ENDPOINT, assert_all_called=False)


def make_transport(
    router: respx.MockRouter | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    http_transport: ASGITransport | None = None,
    max_attempts: int = 5,
    jitter: float = 1.0,
    **config: Any,
) -> Transport:
    config.setdefault("api_key", KEY)
    policy = RetryPolicy(max_attempts=max_attempts, jitter=jitter, sleep=sleep or SleepRecorder())
    if http_transport is None and router is not None:
        http_transport = mock_transport(router.async_handler)
    return Transport(
        ClientConfig(endpoint=ENDPOINT, retry=policy, **config), http_transport=http_transport
    )


# -- auth, headers, encoding ----------------------------------------------------------------


async def test_api_key_is_sent_as_basic_auth_user_with_empty_password(
    router: respx.MockRouter,
) -> None:
    route = router.get("/dataset/ds_1/info").respond(json={})
    async with make_transport(router) as transport:
        await transport.request("GET", "dataset/ds_1/info")
    expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert route.calls.last.request.headers["authorization"] == expected
    assert "x-limited-access-key" not in route.calls.last.request.headers


async def test_limited_access_key_is_a_header_and_no_authorization_is_sent(
    router: respx.MockRouter,
) -> None:
    route = router.get("/dataset/ds_1/info").respond(json={})
    async with make_transport(router, api_key=None, limited_access_key="lak_1") as transport:
        await transport.request("GET", "dataset/ds_1/info")
    headers = route.calls.last.request.headers
    assert headers["x-limited-access-key"] == "lak_1"
    assert "authorization" not in headers


async def test_user_agent_names_the_sdk_and_its_version(router: respx.MockRouter) -> None:
    route = router.get("/x").respond(json={})
    async with make_transport(router) as transport:
        await transport.request("GET", "x")
    user_agent = route.calls.last.request.headers["user-agent"]
    assert user_agent == expected_user_agent()
    assert user_agent.startswith(f"nucleus-sdk/{__version__} ")
    assert "nucleus_async" in user_agent


async def test_json_request_sends_content_type_and_compact_body(router: respx.MockRouter) -> None:
    route = router.post("/dataset/ds_1/append").respond(json={"ok": True})
    async with make_transport(router) as transport:
        answer = await transport.request("post", "dataset/ds_1/append", {"a": [1, 2], "b": "é"})
    request = route.calls.last.request
    assert answer == {"ok": True}
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.content == '{"a":[1,2],"b":"é"}'.encode()


async def test_post_without_payload_sends_an_empty_object(router: respx.MockRouter) -> None:
    route = router.post("/jobs/").respond(json=[])
    async with make_transport(router) as transport:
        await transport.request("POST", "jobs/")
    assert route.calls.last.request.content == b"{}"


async def test_get_without_payload_has_no_body_but_a_json_content_type(
    router: respx.MockRouter,
) -> None:
    route = router.get("/dataset/ds_1").respond(json={})
    async with make_transport(router) as transport:
        await transport.request("GET", "dataset/ds_1")
    request = route.calls.last.request
    assert request.content == b""
    assert request.headers["content-type"] == "application/json"


async def test_non_json_success_body_is_returned_as_text(router: respx.MockRouter) -> None:
    router.get("/x").respond(200, text="plain words")
    async with make_transport(router) as transport:
        assert await transport.request("GET", "x") == "plain words"


async def test_nan_payload_is_refused_before_any_request(router: respx.MockRouter) -> None:
    route = router.post("/x").respond(json={})
    async with make_transport(router) as transport:
        with pytest.raises(ValueError, match="NaN"):
            await transport.request("POST", "x", {"v": float("nan")})
    assert route.call_count == 0


async def test_a_route_that_cannot_be_a_url_is_a_validation_error(
    router: respx.MockRouter,
) -> None:
    async with make_transport(router) as transport:
        with pytest.raises(ValidationError, match="route: Invalid non-printable"):
            await transport.request("GET", "x\nHost: evil")
    assert transport.requests_sent == 0


def test_url_joins_endpoint_and_route_with_one_slash() -> None:
    transport = make_transport()
    assert transport.url("dataset/ds_1/info") == f"{ENDPOINT}/dataset/ds_1/info"
    assert transport.url("models/") == f"{ENDPOINT}/models/"


async def test_multipart_factory_is_called_for_each_attempt(router: respx.MockRouter) -> None:
    route = router.post("/dataset/ds_1/append").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"ok": 1})]
    )
    calls = 0

    async def parts() -> list[tuple[str, tuple[str | None, bytes, str]]]:
        nonlocal calls
        calls += 1
        return [
            ("items", (None, b'[{"reference_id":"a"}]', "application/json")),
            ("image", ("a.jpg", b"\xff\xd8jpeg", "image/jpg")),
        ]

    async with make_transport(router) as transport:
        await transport.request("POST", "dataset/ds_1/append", multipart=parts)
    assert calls == 2
    request = route.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="items"\r\nContent-Type: application/json' in request.content
    assert b'name="image"; filename="a.jpg"' in request.content


async def test_signed_url_put_sends_no_auth_and_no_content_type() -> None:
    router = respx.MockRouter(assert_all_called=False)
    route = router.put("https://bucket.s3.test/upload?X-Amz-Signature=abc").respond(200)
    async with make_transport(router) as transport:
        await transport.put_signed_url(
            "https://bucket.s3.test/upload?X-Amz-Signature=abc", b'{"a":1}\n'
        )
    headers = route.calls.last.request.headers
    assert "authorization" not in headers
    assert "x-limited-access-key" not in headers
    assert "content-type" not in headers
    assert headers["content-length"] == "8"
    assert route.calls.last.request.content == b'{"a":1}\n'


async def test_signed_url_put_retries_and_its_error_hides_the_url(
    sleeps: SleepRecorder,
) -> None:
    router = respx.MockRouter(assert_all_called=False)
    url = "https://bucket.s3.test/upload?X-Amz-Signature=topsecret"
    route = router.put(url).mock(side_effect=[httpx.Response(503), httpx.Response(403)])
    async with make_transport(router, sleep=sleeps) as transport:
        with pytest.raises(NucleusAPIError) as caught:
            await transport.put_signed_url(url, b"x\n")
    assert route.call_count == 2
    assert caught.value.status_code == 403
    assert "topsecret" not in str(caught.value)


def test_default_timeouts_are_connect_10_read_120() -> None:
    timeouts = make_transport()._http.timeouts
    assert (timeouts["connect"], timeouts["read"]) == (10.0, 120.0)


def test_timeouts_are_configurable() -> None:
    transport = make_transport(timeouts=Timeouts(connect=1.0, read=2.0, write=3.0, pool=4.0))
    assert transport._http.timeouts == {"connect": 1.0, "read": 2.0, "write": 3.0, "pool": 4.0}


def test_tls_verification_off_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    make_transport(verify_ssl=False)
    assert any(
        r.levelname == "WARNING" and "verification is OFF" in r.getMessage() for r in caplog.records
    )


async def test_construction_makes_no_network_call() -> None:
    async def fail(request: httpx.Request) -> httpx.Response:
        raise AssertionError("network call during construction")

    transport = make_transport(http_transport=mock_transport(fail))
    await transport.aclose()
    assert transport.requests_sent == 0


async def test_one_pooled_client_serves_every_request(router: respx.MockRouter) -> None:
    router.get("/x").respond(json={})
    async with make_transport(router) as transport:
        pool = transport._http
        for _ in range(3):
            await transport.request("GET", "x")
        assert transport._http is pool
        assert transport.requests_sent == 3


async def test_a_closed_transport_refuses_to_send(router: respx.MockRouter) -> None:
    router.get("/x").respond(json={})
    transport = make_transport(router)
    await transport.aclose()
    await transport.aclose()  # idempotent
    assert transport.is_closed
    with pytest.raises(NucleusError, match="closed"):
        await transport.request("GET", "x")


# -- retries --------------------------------------------------------------------------------


async def test_retryable_statuses_are_retried_until_success(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = router.get("/x").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json=[1])]
    )
    async with make_transport(router, sleep=sleeps) as transport:
        assert await transport.request("GET", "x") == [1]
    assert route.call_count == 3
    assert len(sleeps.calls) == 2


@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUSES))
async def test_each_retryable_status_gets_another_try(
    router: respx.MockRouter, sleeps: SleepRecorder, status: int
) -> None:
    route = router.post("/x").mock(
        side_effect=[httpx.Response(status), httpx.Response(200, json={})]
    )
    async with make_transport(router, sleep=sleeps) as transport:
        await transport.request("POST", "x", {})
    assert route.call_count == 2


def test_the_retryable_statuses_are_exactly_those_of_the_issue() -> None:
    expected = {408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}
    assert expected == RETRYABLE_STATUSES


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501, 505])
async def test_other_error_statuses_are_not_retried(
    router: respx.MockRouter, sleeps: SleepRecorder, status: int
) -> None:
    route = router.get("/x").respond(status, json={"error": "no"})
    async with make_transport(router, sleep=sleeps) as transport:
        with pytest.raises(NucleusAPIError) as caught:
            await transport.request("GET", "x")
    assert caught.value.status_code == status
    assert route.call_count == 1
    assert sleeps.calls == []


async def test_gives_up_after_max_attempts_without_a_final_sleep(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = router.get("/x").respond(503, json={"error": "busy"})
    async with make_transport(router, sleep=sleeps, max_attempts=4) as transport:
        with pytest.raises(ServerError) as caught:
            await transport.request("GET", "x")
    assert route.call_count == 4
    assert len(sleeps.calls) == 3
    assert caught.value.status_code == 503
    assert caught.value.server_message == "busy"


async def test_rate_limit_after_retries_is_a_rate_limit_error(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    router.get("/x").respond(429, headers={"Retry-After": "1"})
    async with make_transport(router, sleep=sleeps, max_attempts=2) as transport:
        with pytest.raises(RateLimitError):
            await transport.request("GET", "x")
    assert sleeps.calls == [1.0]


async def test_max_attempts_one_disables_retries(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = router.get("/x").respond(503)
    async with make_transport(router, sleep=sleeps, max_attempts=1) as transport:
        with pytest.raises(ServerError):
            await transport.request("GET", "x")
    assert route.call_count == 1
    assert sleeps.calls == []


async def test_retry_after_in_seconds_sets_the_delay(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    router.get("/x").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json={}),
        ]
    )
    async with make_transport(router, sleep=sleeps) as transport:
        await transport.request("GET", "x")
    assert sleeps.calls == [7.0]


async def test_retry_after_as_http_date_sets_the_delay(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    router.get("/x").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": when}),
            httpx.Response(200, json={}),
        ]
    )
    async with make_transport(router, sleep=sleeps) as transport:
        await transport.request("GET", "x")
    assert len(sleeps.calls) == 1
    assert 28.0 <= sleeps.calls[0] <= 30.0


async def test_retry_after_is_capped_by_the_policy(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    router.get("/x").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "86400"}),
            httpx.Response(200, json={}),
        ]
    )
    async with make_transport(router, sleep=sleeps) as transport:
        await transport.request("GET", "x")
    assert sleeps.calls == [60.0]


async def test_without_retry_after_the_backoff_doubles_up_to_the_cap(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    router.get("/x").respond(500)
    async with make_transport(router, sleep=sleeps, max_attempts=7, jitter=0.0) as transport:
        with pytest.raises(ServerError):
            await transport.request("GET", "x")
    assert sleeps.calls == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


async def test_connect_errors_are_retried(router: respx.MockRouter, sleeps: SleepRecorder) -> None:
    route = router.get("/x").mock(side_effect=[httpx.ConnectError, httpx.Response(200, json={})])
    async with make_transport(router, sleep=sleeps) as transport:
        await transport.request("GET", "x")
    assert route.call_count == 2


async def test_connect_errors_give_up_as_a_connection_error_without_chaining(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = router.get("/x").mock(side_effect=httpx.ConnectError("refused"))
    async with make_transport(router, sleep=sleeps, max_attempts=3) as transport:
        with pytest.raises(NucleusConnectionError) as caught:
            await transport.request("GET", "x")
    assert route.call_count == 3
    assert not isinstance(caught.value, NucleusTimeoutError)
    assert "ConnectError after 3 attempt(s): refused" in str(caught.value)
    assert (caught.value.method, caught.value.route) == ("GET", "x")
    assert caught.value.__cause__ is None and caught.value.__context__ is None


@pytest.mark.parametrize("error", [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.PoolTimeout])
async def test_timeouts_are_retried_then_raised_as_timeout_errors(
    router: respx.MockRouter, sleeps: SleepRecorder, error: type[Exception]
) -> None:
    route = router.get("/x").mock(side_effect=error)
    async with make_transport(router, sleep=sleeps, max_attempts=2) as transport:
        with pytest.raises(NucleusTimeoutError) as caught:
            await transport.request("GET", "x")
    assert route.call_count == 2
    assert isinstance(caught.value, TimeoutError)


async def test_timeouts_are_not_retried_when_the_policy_says_so(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = router.get("/x").mock(side_effect=httpx.ReadTimeout)
    transport = Transport(
        ClientConfig(
            endpoint=ENDPOINT, api_key=KEY, retry=RetryPolicy(retry_timeouts=False, sleep=sleeps)
        ),
        http_transport=mock_transport(router.async_handler),
    )
    async with transport:
        with pytest.raises(NucleusTimeoutError):
            await transport.request("GET", "x")
    assert route.call_count == 1


async def test_non_network_transport_errors_are_not_retried(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = router.get("/x").mock(side_effect=httpx.ProxyError)
    async with make_transport(router, sleep=sleeps) as transport:
        with pytest.raises(NucleusConnectionError):
            await transport.request("GET", "x")
    assert route.call_count == 1


async def test_a_redirect_is_an_error_not_a_success(router: respx.MockRouter) -> None:
    router.post("/x").respond(302, headers={"Location": "https://elsewhere.test/"})
    async with make_transport(router) as transport:
        with pytest.raises(NucleusAPIError) as caught:
            await transport.request("POST", "x", {})
    assert caught.value.status_code == 302


async def test_send_without_raise_returns_the_final_error_response(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    router.get("/x").respond(404, json={"error": "gone"})
    async with make_transport(router, sleep=sleeps) as transport:
        response = await transport.send("GET", "x", raise_for_status=False)
    assert response.status_code == 404
    assert response.json() == {"error": "gone"}


async def test_retries_are_logged_at_info_with_route_and_reason(
    router: respx.MockRouter, sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="nucleus_async")
    router.get("/x").mock(side_effect=[httpx.Response(503), httpx.Response(200, json={})])
    async with make_transport(router, sleep=sleeps) as transport:
        await transport.request("GET", "x")
    messages = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert any(m.startswith("retrying GET x after 503 (attempt 1 of 5") for m in messages)


# -- the concurrency limiter ------------------------------------------------------------------


async def test_a_request_backing_off_lets_another_request_through(
    router: respx.MockRouter,
) -> None:
    other_done = anyio.Event()

    async def wait_for_other(seconds: float) -> None:
        # If the backing-off request still held the only slot, the other could never finish.
        with anyio.fail_after(5):
            await other_done.wait()

    router.get("/slow").mock(side_effect=[httpx.Response(503), httpx.Response(200, json="slow")])
    router.get("/fast").respond(json="fast")
    results: list[str] = []
    async with make_transport(router, sleep=wait_for_other, max_concurrency=1) as transport:

        async def slow() -> None:
            results.append(await transport.request("GET", "slow"))

        async def fast() -> None:
            await anyio.wait_all_tasks_blocked()  # let "slow" fail once and start sleeping
            results.append(await transport.request("GET", "fast"))
            other_done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow)
            tg.start_soon(fast)
    assert results == ["fast", "slow"]


async def test_a_cancelled_request_releases_its_slot(router: respx.MockRouter) -> None:
    started = anyio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    router.get("/hang").mock(side_effect=hang)
    router.get("/ok").respond(json="ok")
    async with make_transport(router, max_concurrency=1) as transport:
        async with anyio.create_task_group() as tg:
            tg.start_soon(transport.request, "GET", "hang")
            await started.wait()
            assert transport.limiter.borrowed_tokens == 1
            tg.cancel_scope.cancel()
        assert transport.limiter.borrowed_tokens == 0
        with anyio.fail_after(5):
            assert await transport.request("GET", "ok") == "ok"


async def test_in_flight_requests_never_exceed_max_concurrency(router: respx.MockRouter) -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json={})

    router.get("/x").mock(side_effect=handler)
    async with (
        make_transport(router, max_concurrency=3) as transport,
        anyio.create_task_group() as tg,
    ):
        for _ in range(12):
            tg.start_soon(transport.request, "GET", "x")
    assert peak == 3


# -- no leaked connections --------------------------------------------------------------------


# A tiny real HTTP/1.1 server, to check the pool against real sockets.


#: ``respond`` answers this to send half a body, then hang up.
BROKEN = (200, b"")


class TinyServer:
    """Answers each request with ``respond(path)`` (None = never answer); counts open sockets."""

    def __init__(self, respond: Callable[[str], tuple[int, bytes] | None]) -> None:
        self.respond = respond
        self.open_connections = 0
        self.accepted = 0
        self.unanswered = 0
        self.port = 0

    async def handle(self, stream: anyio.abc.SocketStream) -> None:
        self.open_connections += 1
        self.accepted += 1
        buffer = b""
        try:
            async with stream:
                while True:
                    while b"\r\n\r\n" not in buffer:
                        buffer += await stream.receive()
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    lines = head.decode().split("\r\n")
                    length = next(
                        (
                            int(line.split(":")[1])
                            for line in lines
                            if line.lower().startswith("content-length:")
                        ),
                        0,
                    )
                    while len(buffer) < length:
                        buffer += await stream.receive()
                    buffer = buffer[length:]
                    answer = self.respond(lines[0].split(" ")[1])
                    if answer is None:
                        self.unanswered += 1
                        while True:  # never answer; notice when the client hangs up
                            await stream.receive()
                    if answer is BROKEN:
                        await stream.send(b"HTTP/1.1 200 X\r\nContent-Length: 100\r\n\r\n{")
                        return
                    status, body = answer
                    await stream.send(
                        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
            pass
        finally:
            self.open_connections -= 1


@asynccontextmanager
async def tiny_server(
    respond: Callable[[str], tuple[int, bytes] | None],
) -> AsyncIterator[TinyServer]:
    server = TinyServer(respond)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    server.port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server.handle)
        try:
            yield server
        finally:
            tg.cancel_scope.cancel()


def _respond(path: str) -> tuple[int, bytes] | None:
    if path.endswith("/hang"):
        return None
    if path.endswith("/fail"):
        return 500, b'{"error":"boom"}'
    if path.endswith("/bad"):
        return 400, b'{"error":"bad"}'
    if path.endswith("/broken"):
        return BROKEN
    return 200, b'{"ok":true}'


def _tiny_config(server: TinyServer, sleeps: SleepRecorder) -> ClientConfig:
    return ClientConfig(
        endpoint=f"http://127.0.0.1:{server.port}/v1",
        api_key=KEY,
        retry=RetryPolicy(max_attempts=2, sleep=sleeps),
        timeouts=Timeouts(connect=2.0, read=0.5, write=2.0, pool=2.0),
    )


async def test_no_connection_is_left_busy_after_successes_errors_and_cancellation(
    sleeps: SleepRecorder,
) -> None:
    async with tiny_server(_respond) as server:
        transport = Transport(_tiny_config(server, sleeps))
        assert transport._http.socket_check_installed  # so busy_connections sees the pool
        assert await transport.request("GET", "ok") == {"ok": True}
        for route, error in [
            ("fail", ServerError),
            ("bad", NucleusAPIError),
            ("broken", NucleusConnectionError),
        ]:
            with pytest.raises(error):
                await transport.request("GET", route)
        async with anyio.create_task_group() as tg:
            tg.start_soon(transport.request, "GET", "hang")
            with anyio.fail_after(5):
                while not server.unanswered:
                    await anyio.sleep(0.01)
            assert transport._http.busy_connections() == 1
            tg.cancel_scope.cancel()  # cancelled while waiting for the answer
        assert transport._http.busy_connections() == 0
        assert transport.limiter.borrowed_tokens == 0
        await transport.aclose()


async def test_real_sockets_are_all_closed_after_errors_cancellation_and_aclose(
    sleeps: SleepRecorder,
) -> None:
    async with tiny_server(_respond) as server:
        transport = Transport(_tiny_config(server, sleeps))
        assert await transport.request("GET", "ok") == {"ok": True}
        with pytest.raises(ServerError):
            await transport.request("GET", "fail")
        async with anyio.create_task_group() as tg:
            tg.start_soon(transport.request, "GET", "ok")
            tg.start_soon(transport.request, "GET", "ok")
        with anyio.move_on_after(0.1):
            await transport.request("GET", "hang")
        assert transport.limiter.borrowed_tokens == 0
        with pytest.raises(NucleusTimeoutError):
            await transport.request("GET", "hang")
        assert server.accepted >= 2
        assert server.open_connections >= 1  # keep-alive: the pool holds them until aclose
        await transport.aclose()
        with anyio.fail_after(5):
            while server.open_connections:
                await anyio.sleep(0.01)
        assert server.open_connections == 0


async def test_the_json_body_is_what_the_server_receives() -> None:
    received: list[bytes] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        received.append(request.content)
        return httpx.Response(200, json=json.loads(request.content))

    async with make_transport(http_transport=mock_transport(handler)) as transport:
        assert await transport.request("PUT", "x", {"k": [True, None]}) == {"k": [True, None]}
    assert received == [b'{"k":[true,null]}']


# -- in-process apps and request bodies -------------------------------------------------------


def test_http_transport_must_be_an_asgi_transport() -> None:
    with pytest.raises(TypeError, match=r"nucleus_async\.ASGITransport, not MockTransport"):
        make_transport(http_transport=httpx.MockTransport(lambda r: httpx.Response(200)))  # type: ignore[arg-type]


async def test_an_in_process_dropped_connection_is_retried_as_a_connection_error(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = router.get("/x").mock(side_effect=ConnectionResetError("dropped"))
    async with make_transport(router, sleep=sleeps, max_attempts=3) as transport:
        with pytest.raises(NucleusConnectionError) as caught:
            await transport.request("GET", "x")
    assert route.call_count == 3
    assert not isinstance(caught.value, NucleusTimeoutError)
    assert "ConnectionResetError after 3 attempt(s): dropped" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


async def test_an_in_process_timeout_error_is_retried_as_a_timeout(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = router.get("/x").mock(side_effect=[TimeoutError(), httpx.Response(200, json={})])
    async with make_transport(router, sleep=sleeps) as transport:
        assert await transport.request("GET", "x") == {}
    assert route.call_count == 2


async def test_an_in_process_answer_slower_than_the_read_timeout_times_out(
    router: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    calls = 0

    async def never(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    router.get("/x").mock(side_effect=never)
    timeouts = Timeouts(connect=1.0, read=0.05, write=1.0, pool=1.0)
    async with make_transport(router, sleep=sleeps, max_attempts=2, timeouts=timeouts) as t:
        with pytest.raises(NucleusTimeoutError, match="after 2 attempt"):
            await t.request("GET", "x")
    assert calls == 2


async def test_other_exceptions_of_an_in_process_app_propagate(router: respx.MockRouter) -> None:
    router.get("/x").mock(side_effect=KeyError("a bug in the app"))
    async with make_transport(router) as transport:
        with pytest.raises(KeyError, match="a bug in the app"):
            await transport.request("GET", "x")


async def test_a_signed_url_put_streams_a_file_body_on_each_attempt(
    sleeps: SleepRecorder, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB: several chunks
    path = tmp_path / "upload.ndjson"
    path.write_bytes(data)
    received: list[tuple[bytes, httpx.Headers]] = []

    def put(request: httpx.Request) -> httpx.Response:
        received.append((request.content, request.headers))
        return httpx.Response(503 if len(received) == 1 else 200)

    router = respx.MockRouter(assert_all_called=False)
    router.put("https://bucket.s3.test/upload").mock(side_effect=put)
    async with make_transport(router, sleep=sleeps) as transport:
        await transport.put_signed_url("https://bucket.s3.test/upload", FileBody(path, len(data)))
    assert [content for content, _ in received] == [data, data]
    headers = received[-1][1]
    assert headers["content-length"] == str(len(data))
    assert "transfer-encoding" not in headers
    assert "authorization" not in headers
