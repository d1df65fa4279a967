"""The key never shows: not in a repr, a message, a traceback, nor any log line at any level.

Every error path is provoked (4xx, 5xx after retries, connect error, timeout, a server that
echoes the credentials, bad configuration) with all loggers at DEBUG, then every text a user
could see is searched for the key, its Basic-auth token and its bare base64 form.
"""

from __future__ import annotations

import base64
import logging
import socket
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
import respx

from nucleus_async._config import ClientConfig, Timeouts
from nucleus_async._errors import (
    AuthenticationError,
    BadRequestError,
    NucleusConnectionError,
    NucleusError,
    NucleusTimeoutError,
    ServerError,
)
from nucleus_async._retry import RetryPolicy
from nucleus_async._transport import Transport
from support.mock_server import mock_transport

API_KEY = "live_3f9a1c0de5b7_SECRET"
LIMITED_KEY = "lak_77e2c4b9a0_SECRET"
ENDPOINT = "https://nucleus.test/v1/nucleus"


def secret_forms(key: str) -> list[str]:
    return [
        key,
        base64.b64encode(f"{key}:".encode()).decode(),
        base64.b64encode(key.encode()).decode().rstrip("="),
    ]


FORMS = secret_forms(API_KEY) + secret_forms(LIMITED_KEY)


async def no_wait(seconds: float) -> None:
    pass


def exception_texts(error: BaseException) -> list[str]:
    """Everything an exception can show: str, repr, args, attributes, tracebacks, chain."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        texts.append("".join(traceback.format_exception(current)))
        texts.append(logging.Formatter().formatException((type(current), current, None)))
        current = current.__cause__ or current.__context__
    return texts


def log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) + repr(record.args) for record in caplog.records]


def assert_no_secret(texts: list[str]) -> None:
    for text in texts:
        for form in FORMS:
            assert form not in text, f"secret leaked in: {text[:300]!r}"


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.delenv("NUCLEUS_API_KEY", raising=False)


@contextmanager
def closed_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield port  # nothing listens here any more: connections are refused


@contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections (the kernel does) but never answers: a read timeout."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


KEYS = [
    pytest.param({"api_key": API_KEY}, id="api_key"),
    pytest.param({"limited_access_key": LIMITED_KEY}, id="limited_access_key"),
]


def mocked(keys: dict[str, str], router: respx.MockRouter, **config: object) -> Transport:
    retry = RetryPolicy(max_attempts=3, sleep=no_wait)
    return Transport(
        ClientConfig(endpoint=ENDPOINT, retry=retry, **keys, **config),  # type: ignore[arg-type]
        http_transport=mock_transport(router.async_handler),
    )


async def provoke(
    transport: Transport, call: Callable[[Transport], Awaitable[object]]
) -> NucleusError:
    async with transport:
        with pytest.raises(NucleusError) as caught:
            await call(transport)
    return caught.value


def test_the_checker_finds_a_planted_secret() -> None:
    with pytest.raises(AssertionError):
        assert_no_secret([f"Authorization: Basic {secret_forms(API_KEY)[1]}"])


@pytest.mark.parametrize("keys", KEYS)
async def test_a_4xx_does_not_leak(keys: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    router = respx.MockRouter(base_url=ENDPOINT)
    router.get("/dataset/ds_1").respond(401, json={"error": "Invalid key"})
    transport = mocked(keys, router)
    error = await provoke(transport, lambda t: t.request("GET", "dataset/ds_1"))
    assert isinstance(error, AuthenticationError)
    assert_no_secret(exception_texts(error) + log_texts(caplog) + [repr(transport)])


@pytest.mark.parametrize("keys", KEYS)
async def test_a_5xx_after_retries_does_not_leak(
    keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    router = respx.MockRouter(base_url=ENDPOINT)
    route = router.post("/dataset/ds_1/append").respond(503, headers={"Retry-After": "1"})
    error = await provoke(
        mocked(keys, router), lambda t: t.request("POST", "dataset/ds_1/append", {"items": []})
    )
    assert isinstance(error, ServerError)
    assert route.call_count == 3
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert_no_secret(exception_texts(error) + log_texts(caplog))


@pytest.mark.parametrize("keys", KEYS)
async def test_a_server_echoing_the_credentials_is_scrubbed(
    keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": f"bad request headers: {dict(request.headers)}"})

    router = respx.MockRouter(base_url=ENDPOINT)
    router.get("/x").mock(side_effect=echo)
    error = await provoke(mocked(keys, router), lambda t: t.request("GET", "x"))
    assert isinstance(error, BadRequestError)
    assert "<redacted>" in str(error)
    assert_no_secret(exception_texts(error) + log_texts(caplog))


@pytest.mark.parametrize("keys", KEYS)
async def test_a_transport_error_mentioning_the_key_is_scrubbed(
    keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    router = respx.MockRouter(base_url=ENDPOINT)
    own_forms = secret_forms(next(iter(keys.values())))
    router.get("/x").mock(side_effect=httpx.ConnectError(f"proxy refused {own_forms}"))
    error = await provoke(mocked(keys, router), lambda t: t.request("GET", "x"))
    assert isinstance(error, NucleusConnectionError)
    assert_no_secret(exception_texts(error) + log_texts(caplog))


@pytest.mark.parametrize("keys", KEYS)
async def test_a_real_connect_error_does_not_leak(
    keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with closed_port() as port:
        config = ClientConfig(
            endpoint=f"http://127.0.0.1:{port}/v1",
            retry=RetryPolicy(max_attempts=2, sleep=no_wait),
            **keys,  # type: ignore[arg-type]
        )
        error = await provoke(Transport(config), lambda t: t.request("POST", "x", {"a": 1}))
    assert type(error) is NucleusConnectionError
    assert_no_secret(exception_texts(error) + log_texts(caplog))


@pytest.mark.parametrize("keys", KEYS)
async def test_a_real_timeout_does_not_leak(
    keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with silent_server() as port:
        config = ClientConfig(
            endpoint=f"http://127.0.0.1:{port}/v1",
            retry=RetryPolicy(max_attempts=2, sleep=no_wait),
            timeouts=Timeouts(connect=2.0, read=0.2, write=2.0, pool=2.0),
            **keys,  # type: ignore[arg-type]
        )
        error = await provoke(Transport(config), lambda t: t.request("GET", "x"))
    assert isinstance(error, NucleusTimeoutError)
    # A real socket timed out (an in-process app's timeout is named TimeoutError).
    assert "ReadTimeout after 2 attempt(s)" in str(error)
    assert_no_secret(exception_texts(error) + log_texts(caplog))


@pytest.mark.parametrize("keys", KEYS)
async def test_a_failed_signed_url_upload_does_not_leak(
    keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    router = respx.MockRouter()
    router.put("https://bucket.test/u").respond(403, text="SignatureDoesNotMatch")
    error = await provoke(
        mocked(keys, router), lambda t: t.put_signed_url("https://bucket.test/u", b"{}\n")
    )
    assert_no_secret(exception_texts(error) + log_texts(caplog))


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda: ClientConfig.resolve(api_key=API_KEY, limited_access_key=LIMITED_KEY),
            id="both-keys",
        ),
        pytest.param(
            lambda: ClientConfig(api_key=API_KEY, limited_access_key=LIMITED_KEY),
            id="both-keys-direct",
        ),
        pytest.param(
            lambda: ClientConfig.resolve(api_key=API_KEY, endpoint="not a url"), id="bad-endpoint"
        ),
        pytest.param(
            lambda: ClientConfig.resolve(api_key=API_KEY, endpoint=API_KEY),
            id="key-passed-as-endpoint",
        ),
        pytest.param(
            lambda: ClientConfig.resolve(api_key=API_KEY, max_concurrency=0), id="bad-concurrency"
        ),
        pytest.param(lambda: ClientConfig.resolve(api_key=API_KEY, timeout=-1), id="bad-timeout"),
        pytest.param(
            lambda: ClientConfig.resolve(api_key=API_KEY, unknown_option=1), id="unknown-option"
        ),
        pytest.param(lambda: ClientConfig(api_key=API_KEY.encode()), id="bytes-key"),  # type: ignore[arg-type]
        pytest.param(lambda: ClientConfig(limited_access_key=[LIMITED_KEY]), id="list-key"),  # type: ignore[arg-type]
    ],
)
def test_bad_configuration_does_not_leak(
    make: Callable[[], ClientConfig], caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises((ValueError, TypeError)) as caught:
        make()
    assert_no_secret(exception_texts(caught.value) + log_texts(caplog))


def test_the_limited_key_with_the_env_key_does_not_leak(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NUCLEUS_API_KEY", API_KEY)
    with pytest.raises(ValueError) as caught:
        ClientConfig.resolve(limited_access_key=LIMITED_KEY)
    assert_no_secret(exception_texts(caught.value) + log_texts(caplog))


@pytest.mark.parametrize("keys", KEYS)
def test_reprs_do_not_leak(keys: dict[str, str]) -> None:
    config = ClientConfig(**keys)  # type: ignore[arg-type]
    transport = Transport(config, http_transport=mock_transport(lambda r: httpx.Response(200)))
    assert_no_secret(
        [
            repr(config),
            str(config),
            repr(transport),
            repr(transport._credentials),
            repr(vars(transport)),
        ]
    )
