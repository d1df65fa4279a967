"""A mock server for SDK clients: an httpx-style handler served as an in-process ASGI app.

``mock_transport(handler)`` gives the ``nucleus_async.ASGITransport`` a client takes as
``http_transport=``. ``handler`` (sync or async, a respx router's ``async_handler`` works)
receives the ``httpx.Request`` the client sent and returns an ``httpx.Response`` (streamed
bodies included), or raises: a ``ConnectionError`` or ``TimeoutError`` then reaches the client
as the failure a socket would give, and an ``httpx`` transport error as itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

import nucleus_async

Handler = Callable[[httpx.Request], "httpx.Response | Awaitable[httpx.Response]"]


def mock_transport(handler: Handler) -> nucleus_async.ASGITransport:
    return nucleus_async.ASGITransport(mock_app(handler))


def mock_app(handler: Handler) -> Callable[..., Awaitable[None]]:
    async def app(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        host = dict(headers).get("host", "testserver")
        query = scope["query_string"].decode("latin-1")
        url = f"{scope['scheme']}://{host}{scope['raw_path'].decode('latin-1')}"
        request = httpx.Request(
            scope["method"], url + (f"?{query}" if query else ""), headers=headers, content=body
        )
        answer = handler(request)
        response = await answer if inspect.isawaitable(answer) else answer
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": response.headers.raw,
            }
        )
        try:
            content = response.content  # a response built from bytes (or already read)
        except httpx.ResponseNotRead:
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            content = b""
        await send({"type": "http.response.body", "body": content})

    return app
