"""Connection errors name the host they could not reach: host and port, never the key or URL."""

from __future__ import annotations

import httpx
import pytest
import respx

from nucleus_async._config import ClientConfig
from nucleus_async._errors import NucleusConnectionError, NucleusTimeoutError
from nucleus_async._retry import RetryPolicy
from nucleus_async._transport import Transport, host_of
from support.mock_server import mock_transport

KEY = "test_key_0123456789"


async def no_wait(seconds: float) -> None:
    pass


def make_transport(router: respx.MockRouter, endpoint: str) -> Transport:
    config = ClientConfig(
        endpoint=endpoint, api_key=KEY, retry=RetryPolicy(max_attempts=2, sleep=no_wait)
    )
    return Transport(config, http_transport=mock_transport(router.async_handler))


async def test_a_connect_error_names_the_host_and_port_it_could_not_reach() -> None:
    router = respx.MockRouter(base_url="https://nucleus.test/v1/nucleus")
    router.get("/dataset").mock(side_effect=httpx.ConnectError("refused"))
    async with make_transport(router, "https://nucleus.test/v1/nucleus") as transport:
        with pytest.raises(NucleusConnectionError) as caught:
            await transport.request("GET", "dataset")
    assert str(caught.value) == (
        "Could not reach nucleus.test:443: ConnectError after 2 attempt(s): refused (GET dataset)"
    )
    assert caught.value.host == "nucleus.test:443"


async def test_a_timeout_names_the_host_it_was_waiting_for() -> None:
    router = respx.MockRouter(base_url="http://localhost:8123/v1/nucleus")
    router.get("/dataset").mock(side_effect=httpx.ReadTimeout("slow"))
    async with make_transport(router, "http://localhost:8123/v1/nucleus") as transport:
        with pytest.raises(NucleusTimeoutError) as caught:
            await transport.request("GET", "dataset")
    assert str(caught.value) == (
        "Timed out reaching localhost:8123: ReadTimeout after 2 attempt(s): slow (GET dataset)"
    )


async def test_a_signed_url_failure_names_neither_the_endpoint_nor_the_url() -> None:
    router = respx.MockRouter()
    url = "https://bucket.storage.test/upload?X-Amz-Signature=sig123"
    router.put(url).mock(side_effect=httpx.ConnectError("refused"))
    async with make_transport(router, "https://nucleus.test/v1/nucleus") as transport:
        with pytest.raises(NucleusConnectionError) as caught:
            await transport.put_signed_url(url, b"{}")
    assert str(caught.value).startswith("Could not reach the storage host of a signed URL:")
    assert "sig123" not in str(caught.value) and "nucleus.test" not in str(caught.value)
    assert caught.value.host is None


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://api.scale.com/v1/nucleus", "api.scale.com:443"),
        ("http://localhost/v1", "localhost:80"),
        ("http://127.0.0.1:8000/v1", "127.0.0.1:8000"),
        ("http://[::1]:8000/v1", "[::1]:8000"),
        ("https://key:secret@Example.COM:8443/x?token=t", "example.com:8443"),
    ],
)
def test_host_of_keeps_host_and_port_only(url: str, host: str) -> None:
    assert host_of(url) == host
