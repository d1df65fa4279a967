"""Which sender a network client gets: the fast path, unless a test double replaced httpx's.

respx (``respx.mock``) replaces how httpcore or httpx send; a client built meanwhile sends
through ``httpx.AsyncClient`` so that the double sees its requests, as before the fast path.
"""

from __future__ import annotations

import httpx
import pytest
import respx

from nucleus_async._config import ClientConfig
from nucleus_async._http import HTTPClient
from nucleus_async._http._h1_sender import H1Sender
from nucleus_async._http._httpx_sender import HttpxSender
from support.proxies import no_proxy  # noqa: F401 -- autouse: applies to this module

ENDPOINT = "https://nucleus.test/v1"


def client() -> HTTPClient:
    config = ClientConfig(endpoint=ENDPOINT, api_key="test_key_0123456789")
    return HTTPClient(config, user_agent="ua", auth_headers={})


def test_a_network_client_takes_the_fast_path() -> None:
    assert type(client()._sender) is H1Sender


@pytest.mark.parametrize("using", ["httpcore", "httpx"])
async def test_a_client_built_under_respx_is_answered_by_it(using: str) -> None:
    with respx.mock(using=using) as router:
        router.get(f"{ENDPOINT}/x").mock(return_value=httpx.Response(200, json={"ok": 1}))
        mocked = client()
        assert type(mocked._sender) is HttpxSender
        response = await mocked.send(mocked.build("GET", f"{ENDPOINT}/x", headers={}))
        await mocked.aclose()
    assert response.json() == {"ok": 1}
    assert type(client()._sender) is H1Sender  # respx stopped: the fast path again


@pytest.mark.parametrize("using", ["httpcore", "httpx"])
async def test_a_client_built_before_respx_started_is_answered_by_it(using: str) -> None:
    """A user's fixture builds the client, the test starts ``respx.mock``: respx answers."""
    built_before = client()
    assert type(built_before._sender) is H1Sender
    with respx.mock(using=using) as router:
        route = router.get(f"{ENDPOINT}/x").mock(return_value=httpx.Response(200, json={"ok": 2}))
        response = await built_before.send(built_before.build("GET", f"{ENDPOINT}/x", headers={}))
        assert route.call_count == 1
        assert built_before.busy_connections() == 0
    assert response.json() == {"ok": 2}
    # respx stopped: requests built now take the direct path again.
    request = built_before.build("GET", f"{ENDPOINT}/x", headers={})
    assert type(request._sender) is H1Sender
    await built_before.aclose()
    assert built_before.is_closed
