"""The fast path's request heads are byte for byte those httpx and h11 put on the wire.

The reference is what the library path does: the client's default headers updated with the
caller's, ``httpx.Request`` (cookies, ``Host``, ``Content-Length``), written by h11.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

import h11
import httpx
import pytest

from nucleus_async._config import ClientConfig
from nucleus_async._http import FileBody, FilePart
from nucleus_async._http._h1_request import H1Request
from nucleus_async._http._h1_sender import H1Sender

UA = "nucleus-sdk/test"
URL = "http://127.0.0.1:8123/v1/nucleus/dataset/ds_1/append?page=2&x=%20y"
AUTH = {"Authorization": "Basic dGVzdF9rZXk6"}
JSON = {"Content-Type": "application/json", **AUTH}


def sender() -> H1Sender:
    return H1Sender(ClientConfig(api_key="test_key_0123456789"), user_agent=UA)


async def _never() -> AsyncIterator[bytes]:
    yield b""  # a streamed body's stand-in: httpx only looks at its type


def httpx_bytes(
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    content: bytes | FileBody | None = None,
    files: Sequence[FilePart] | None = None,
    cookies: httpx.Cookies | None = None,
) -> tuple[bytes, bytes]:
    """Head and body as the library path sends them."""
    defaults = httpx.AsyncClient(
        headers={"User-Agent": UA}, transport=httpx.AsyncBaseTransport()
    ).headers
    merged = httpx.Headers(defaults)
    merged.update(headers)
    request = httpx.Request(
        method,
        url,
        content=_never() if isinstance(content, FileBody) else content,
        files=files,
        headers=merged,
        cookies=cookies or None,
    )
    body = b"" if isinstance(content, FileBody) else request.read()
    connection = h11.Connection(h11.CLIENT)
    head = connection.send(
        h11.Request(method=request.method, target=request.url.raw_path, headers=request.headers.raw)
    )
    assert head is not None
    return head, body


def ours(request: H1Request) -> tuple[bytes, bytes]:
    assert request.refusal is None
    return request.head, request.body


def test_a_json_post_has_httpx_head() -> None:
    body = b'{"items":[{"reference_id":"a"}]}'
    built = sender().build("POST", URL, content=body, files=None, headers=JSON)
    assert ours(built) == httpx_bytes("POST", URL, JSON, content=body)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "GET"])
@pytest.mark.parametrize("content", [b"", None])
def test_an_empty_body_has_httpx_head(method: str, content: bytes | None) -> None:
    built = sender().build(method, URL, content=content, files=None, headers=AUTH)
    assert ours(built) == httpx_bytes(method, URL, AUTH, content=content)


def test_a_get_with_a_json_content_type_has_httpx_head() -> None:
    built = sender().build("get", URL, content=None, files=None, headers=JSON)
    assert ours(built) == httpx_bytes("GET", URL, JSON)


def test_a_file_body_has_httpx_head(tmp_path: Path) -> None:
    file = FileBody(tmp_path / "x.jpg", 123_456)
    headers = {"Content-Length": "123456"}  # as HTTPClient.build adds it for a file body
    url = "https://bucket.storage.test/upload/x.jpg?X-Amz-Signature=abc%2Fdef"
    built = sender().build("PUT", url, content=file, files=None, headers=headers)
    assert built.head == httpx_bytes("PUT", url, headers, content=file)[0]
    assert built.file == file and built.body == b""
    assert built.origin == ("https", "bucket.storage.test", 443)


def test_a_callers_header_replaces_a_default_and_moves_after_the_defaults() -> None:
    headers = {"accept": "application/json", **AUTH}
    built = sender().build("GET", URL, content=None, files=None, headers=headers)
    assert ours(built) == httpx_bytes("GET", URL, headers)


def test_a_multipart_body_has_httpx_head_and_body() -> None:
    parts: list[FilePart] = [
        ("items", (None, b'[{"reference_id":"a"}]', "application/json")),
        ("files", ("a.jpg", b"\xff\xd8jpeg", "image/jpeg")),
    ]
    built = sender().build("POST", URL, content=None, files=parts, headers=AUTH)
    # Boundaries are random: the same placeholder for both.
    same = [re.sub(rb"[0-9a-f]{32}", b"<b>", raw) for raw in ours(built)]
    reference = [
        re.sub(rb"[0-9a-f]{32}", b"<b>", raw) for raw in httpx_bytes("POST", URL, AUTH, files=parts)
    ]
    assert same == reference


@pytest.mark.parametrize("body", [b"", b"{}"])
def test_cookies_are_sent_where_httpx_puts_them(body: bytes) -> None:
    client = sender()
    client._cookies.set("session", "s1", domain="127.0.0.1")
    client._cookies.set("elsewhere", "no", domain="other.test")
    built = client.build("POST", URL, content=body, files=None, headers=JSON)
    reference = httpx_bytes("POST", URL, JSON, content=body, cookies=client._cookies)
    assert ours(built) == reference
    assert b"Cookie: session=s1\r\n" in built.head


def test_the_host_of_a_default_port_and_an_ipv6_address_is_as_httpx_writes_it() -> None:
    for url in ("https://api.scale.test:443/v1/x", "http://[::1]:8080/v1/x"):
        built = sender().build("GET", url, content=None, files=None, headers=AUTH)
        assert ours(built) == httpx_bytes("GET", url, AUTH)


def test_a_header_value_h11_refuses_is_refused_without_quoting_it() -> None:
    built = sender().build("GET", URL, content=None, files=None, headers={"X-Key": "se\ncret"})
    assert isinstance(built.refusal, Exception)
    assert type(built.refusal).__name__ == "LocalProtocolError"
    assert "cret" not in str(built.refusal)


def test_a_non_ascii_header_is_refused_when_built_as_httpx_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        sender().build("GET", URL, content=None, files=None, headers={"X-Name": "é"})
