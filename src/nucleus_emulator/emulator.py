"""`Emulator`: one emulator instance (state, ASGI app, served mode)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from nucleus_emulator.app import API_PREFIX, EmulatorApp, EmulatorState, Stats, job_bodies
from nucleus_emulator.blobs import BlobStore
from nucleus_emulator.faults import ConnectionRegistry, FaultInjector, served
from nucleus_emulator.jobs import JobRunner
from nucleus_emulator.routes import ROUTE_GROUPS
from nucleus_emulator.store import Store

logger = logging.getLogger("nucleus_emulator")

#: Host name used for in-process requests (never resolved: the app is called directly).
IN_PROCESS_ORIGIN = "http://nucleus-emulator.local"
DATABASE_FILE = "nucleus.sqlite3"
BLOB_FOLDER = "blobs"


class Emulator:
    """A local Nucleus service: SQLite state, blobs on disk, background jobs.

    `data_dir=None` uses a temporary folder removed by `close()`. `latency` adds seconds to
    every request; `accepted_keys` restricts the API keys (any key is accepted by default).
    `fault_rate`, `fault_kinds` and `fault_seed` inject seeded faults into API requests (see
    `nucleus_emulator.faults`); `emu.faults` (settable) or `configure_faults()` change them
    later, as does `POST /_emulator/faults`.

    `emu.app` is the ASGI application: call it in-process (no port) with any ASGI transport,
    e.g. the SDK's, at `emu.endpoint`; `serve()` serves it over TCP. Example::

        with Emulator() as emu:
            client = nucleus_async.NucleusClient(
                "key", endpoint=emu.endpoint, http_transport=nucleus_async.ASGITransport(emu.app)
            )
            ...
            with emu.serve() as endpoint:  # http://127.0.0.1:PORT/v1/nucleus
                ...
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        latency: float = 0.0,
        accepted_keys: Iterable[str] | None = None,
        fault_rate: float = 0.0,
        fault_kinds: Iterable[str] | str | None = None,
        fault_seed: int = 0,
    ) -> None:
        if latency < 0:
            raise ValueError("latency must be >= 0")
        self._owns_dir = data_dir is None
        self.data_dir = Path(
            tempfile.mkdtemp(prefix="nucleus-emulator-") if data_dir is None else data_dir
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(self.data_dir / DATABASE_FILE)
        blobs = BlobStore(self.data_dir / BLOB_FOLDER)
        jobs = JobRunner(store, blobs, job_bodies(ROUTE_GROUPS))
        self.state = EmulatorState(
            store=store,
            blobs=blobs,
            jobs=jobs,
            latency=latency,
            accepted_keys=None if accepted_keys is None else frozenset(accepted_keys),
            faults=FaultInjector(fault_rate, fault_kinds, fault_seed),
        )
        self.app = EmulatorApp(self.state, ROUTE_GROUPS)
        self._closed = False
        jobs.resume_unfinished()

    @property
    def endpoint(self) -> str:
        """Endpoint URL for in-process use (an ASGI transport sends its requests to `app`)."""
        return IN_PROCESS_ORIGIN + API_PREFIX.rstrip("/")

    @property
    def stats(self) -> Stats:
        """Requests served and peak in-flight requests; `stats.reset()` zeroes them."""
        return self.app.stats

    @property
    def latency(self) -> float:
        return self.state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self.state.latency = seconds

    @property
    def faults(self) -> FaultInjector:
        """The fault injector (`emu.faults.snapshot()` has the counters); settable."""
        return self.state.faults

    @faults.setter
    def faults(self, injector: FaultInjector) -> None:
        if not isinstance(injector, FaultInjector):
            raise TypeError("faults must be a FaultInjector")
        self.state.faults = injector

    def configure_faults(
        self,
        rate: float | None = None,
        kinds: Iterable[str] | str | None = None,
        seed: int | None = None,
        **options: Any,
    ) -> FaultInjector:
        """Change the fault settings (see `FaultInjector.configure`); returns the injector."""
        self.state.faults.configure(rate=rate, kinds=kinds, seed=seed, **options)
        return self.state.faults

    @property
    def jobs(self) -> JobRunner:
        """The background job runner (`pause()`, `resume()`, `wait_idle()` for tests)."""
        return self.state.jobs

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve over TCP with uvicorn on a background thread; yields the endpoint URL."""
        import uvicorn

        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
        # without it every keep-alive answer waits ~40 ms for a delayed ACK (Nagle).
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound_port = sock.getsockname()[1]
        config = uvicorn.Config(
            served(self.app),
            http=_tracking_protocol(self.state.connections),
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="nucleus-emulator-http", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"The emulator failed to start on {host}:{bound_port}")
            time.sleep(0.005)
        url_host = f"[{host}]" if ":" in host else host
        endpoint = f"http://{url_host}:{bound_port}{API_PREFIX.rstrip('/')}"
        logger.info("Emulator serving at %s (data in %s)", endpoint, self.data_dir)
        try:
            yield endpoint
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()

    def close(self) -> None:
        """Stop the job worker, close the database, remove a temporary data folder."""
        if self._closed:
            return
        self._closed = True
        self.state.jobs.close()
        self.state.store.close()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Emulator(data_dir={str(self.data_dir)!r}, latency={self.state.latency})"


def _tracking_protocol(registry: ConnectionRegistry) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, registering each connection's transport by peer address."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    base: Any = AutoHTTPProtocol

    class TrackingProtocol(base):  # type: ignore[misc]
        _peer: Any = None
        _raw_transport: Any = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(_CoalescingTransport(transport))
            self._raw_transport = transport
            self._peer = transport.get_extra_info("peername")
            registry.add(self._peer, transport)

        def connection_lost(self, exc: Exception | None) -> None:
            registry.remove(self._peer, self._raw_transport)
            super().connection_lost(exc)

    protocol: type[asyncio.Protocol] = TrackingProtocol
    return protocol


#: Writes shorter than this are held until the next write or the end of the loop iteration.
_HOLD_BYTES = 16 * 1024


class _CoalescingTransport:
    """A transport whose short writes wait for the next write (or the end of this loop turn).

    uvicorn writes a response's status line and headers, then its body: two `send()` calls, and
    on loopback each one costs a wake-up of the peer. Joined, a small answer leaves in one.
    Everything else is the wrapped transport's.
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if len(data) <= 1024 * 1024:
                self._transport.write(held + bytes(data))
                return
            self._transport.write(held)
        elif len(data) < _HOLD_BYTES:
            self._held = bytes(data)
            asyncio.get_running_loop().call_soon(self._flush)
            return
        self._transport.write(data)

    def _flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def writelines(self, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
        self.write(b"".join(chunks))

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
