"""The HTTP library adapter: the only package of the core that imports httpx or httpcore.

The rest of the core sees a small neutral interface: :class:`HTTPClient` (one pooled client,
opened from a :class:`~.._config.ClientConfig`) builds a request (:meth:`HTTPClient.build`:
method, URL, headers, a body of bytes, multipart parts or a :class:`FileBody`) and sends it
(:meth:`HTTPClient.send`), answering the project's own :class:`Response`; the library's
exceptions come out as the neutral :class:`TransportFailure` family and :class:`InvalidURL`.
:class:`ASGITransport` is the public way to send requests to an ASGI app in-process. Moving to
another HTTP library is a rewrite of this package only.

Modules: :mod:`._interface` (the neutral types, no library import), :mod:`._client`
(:class:`HTTPClient`: builds, sends, maps failures), :mod:`._h1_sender` (network sends without
a proxy: the adapter speaks HTTP/1.1 itself on asyncio), with :mod:`._h1_request` (request
heads, byte for byte as httpx builds them), :mod:`._h1_connection` (the protocol of one
connection: one write per request, the answer parsed into a future) and :mod:`._h1_pool`
(per-origin stacks of idle connections); :mod:`._httpx_sender` (``httpx.AsyncClient``: sends
through a proxy, or in-process), :mod:`._file_chunks` (file bodies read in chunks),
:mod:`._socket_check` (the cheap idle-connection check), :mod:`._library` (importing httpx).

httpx and httpcore are imported when the first :class:`HTTPClient` is built (or
:func:`library_version` is called), not by ``import nucleus_async``: the senders' modules are
imported by :class:`HTTPClient` only. The fast path still uses httpx for what is rare or
subtle (URL parsing, multipart encoding, cookies, content decoding) and raises httpcore's
exceptions, so :meth:`HTTPClient.send` maps both paths' failures the same way.

Library privates this package relies on (1 to 4 on the library path only, 6 choosing it).
Each is guarded (when one is missing, the library's own slower behaviour is kept; nothing
fails) and pinned by ``tests/unit/test_http_adapter_privates.py`` (6 by
``tests/unit/test_http_h1_selection.py``), which fail loudly when a new httpx/httpcore
changes it:

1. ``httpx.AsyncClient._transport`` / ``._mounts`` and ``httpx.AsyncHTTPTransport._pool``:
   where the client keeps its default transports (direct and proxied) and their httpcore
   pools (:func:`._socket_check.install_socket_check`, on the proxy path).
2. ``httpcore.AsyncConnectionPool._network_backend``: the pool's network backend, replaced by
   :class:`._socket_check.SocketCheckBackend` (httpx offers no way to pass a backend).
3. httpcore decides whether an idle connection was closed by the server (its
   ``has_expired``) by asking its stream ``get_extra_info("is_readable")``
   (:class:`._socket_check.SocketCheckStream` answers it cheaply). The fast path asks
   :func:`._socket_check.socket_is_readable` itself before reusing a connection.
4. A response read by ``AsyncClient.send`` and its ``stream`` refer to each other, and the
   response holds the request and its body; setting ``response.stream`` to an empty stream
   breaks the cycle, so bodies are freed when an attempt ends, not at the next cyclic garbage
   collection (:meth:`._httpx_sender.HttpxSender.send`).
5. ``httpx/__init__`` imports ``httpx._main`` (its command-line tool) whenever click is
   installed, which pulls in click, rich and pygments: two thirds of httpx's import time, paid
   by the first client. A placeholder stands in for ``httpx._main`` during that import
   (:func:`._library.import_library`).
6. A test double such as respx replaces ``httpcore.AsyncConnectionPool.handle_async_request``,
   ``httpcore.AsyncHTTPConnection.handle_async_request`` or ``httpx.AsyncClient.
   _transport_for_url``; a client built meanwhile sends through httpx, where the double sees
   its requests (:func:`._client._sending_replaced`).

No longer relied on: ``httpcore._utils.is_socket_readable`` (:func:`._socket_check.
socket_is_readable` does the same with :mod:`select`).
"""

from __future__ import annotations

# Re-exported with redundant aliases rather than listed in ``__all__``: the sync facade's
# generator takes the ``__all__`` of every subpackage as public API, and these are internals.
from ._client import HTTPClient as HTTPClient
from ._client import PreparedRequest as PreparedRequest
from ._interface import ASGIApp as ASGIApp
from ._interface import ASGITransport as ASGITransport
from ._interface import ConnectFailure as ConnectFailure
from ._interface import ConnectionLost as ConnectionLost
from ._interface import FileBody as FileBody
from ._interface import FilePart as FilePart
from ._interface import InvalidURL as InvalidURL
from ._interface import Response as Response
from ._interface import TimeoutFailure as TimeoutFailure
from ._interface import TransportFailure as TransportFailure
from ._library import library_version as library_version
