"""The ASGI application: raw-path routing, auth, latency, counters and JSON replies."""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeAlias
from urllib.parse import parse_qs, quote, unquote

import anyio
import anyio.lowlevel
import anyio.to_thread
from starlette.datastructures import FormData, Headers
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope, Send

from nucleus_emulator.blobs import BlobStore
from nucleus_emulator.faults import (
    STATUS_KINDS,
    ConnectionRegistry,
    FaultInjector,
    is_served,
)
from nucleus_emulator.jobs import JobBody, JobRunner
from nucleus_emulator.store import Store
from nucleus_emulator.store.datasets import DatasetRow

logger = logging.getLogger("nucleus_emulator")

API_PREFIX = "/v1/nucleus/"
#: Upper bound of a multipart JSON part (the `items` array of a batch).
MAX_FORM_PART_BYTES = 256 * 1024 * 1024

Json: TypeAlias = Any

#: A synchronous handler runs inline on the event loop while its recent runs (with a body of at
#: most `INLINE_MAX_BODY` bytes, not multipart) took under `INLINE_MAX_SECONDS`: a worker-thread
#: hop costs more than a small append. Slower routes and bigger bodies go to a worker thread so
#: the loop keeps reading other requests meanwhile (SQLite releases the GIL while it works).
INLINE_MAX_SECONDS = 0.005
INLINE_MAX_BODY = 64 * 1024
#: Worker threads for those (per app and event loop). Every handler of an app shares one SQLite
#: connection behind a lock, so more threads would only fight over it and over the GIL.
HANDLER_THREADS = 2


class ApiError(Exception):
    """An error answered as `{"error": message}` with `status` (raised by handlers)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Reply:
    """A JSON reply with a status other than 200 (handlers may also return plain JSON)."""

    body: Json
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class Stats:
    """Counters of requests served and peak in-flight requests (thread-safe, resettable)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        self.peak_concurrency = 0
        self.by_route: dict[str, int] = {}

    def enter(self) -> None:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self.in_flight)

    def count_route(self, route: str) -> None:
        """Count a request under its route pattern (e.g. `GET dataset/{ds}/info`)."""
        with self._lock:
            self.by_route[route] = self.by_route.get(route, 0) + 1

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def reset(self) -> None:
        """Zero the counters (requests in flight stay counted as in flight)."""
        with self._lock:
            self.requests = 0
            self.peak_concurrency = self.in_flight
            self.by_route = {}

    def __repr__(self) -> str:
        return (
            f"Stats(requests={self.requests}, peak_concurrency={self.peak_concurrency}, "
            f"in_flight={self.in_flight})"
        )


@dataclass
class EmulatorState:
    """Everything a handler may touch: storage, jobs and configuration."""

    store: Store
    blobs: BlobStore
    jobs: JobRunner
    latency: float = 0.0
    accepted_keys: frozenset[str] | None = None
    faults: FaultInjector = field(default_factory=FaultInjector)
    #: Open connections of the served emulator (so a fault can cut one); see faults.py.
    connections: ConnectionRegistry = field(default_factory=ConnectionRegistry)
    #: Requests served by this emulator's app (`GET /_emulator/stats` reads them here).
    stats: Stats = field(default_factory=Stats)


@dataclass
class ApiRequest:
    """One decoded request as handlers see it."""

    state: EmulatorState
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: Headers
    body: bytes
    key: str
    base_url: str
    form: FormData | None = None

    @property
    def store(self) -> Store:
        return self.state.store

    def json(self) -> Json:
        """The JSON body (`{}` when empty); malformed JSON is a 400."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"Malformed JSON body: {exc}") from None

    def json_object(self) -> dict[str, Json]:
        """The JSON body, which must be an object."""
        payload = self.json()
        if not isinstance(payload, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return payload

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def query_flag(self, name: str) -> bool:
        """True for `?name=1` / `true`; `0`, `false` or absence are False."""
        value = self.query_value(name)
        return value is not None and value.strip().lower() in {"1", "true", "yes"}

    def owned_dataset(self, dataset_id: str | None = None) -> DatasetRow:
        """The dataset named by `{ds}` (or `dataset_id`) if this key owns it, else 404."""
        ds = dataset_id if dataset_id is not None else self.params["ds"]
        row = self.store.datasets.get(ds)
        if row is None or row.owner != self.key:
            raise ApiError(404, f"Dataset {ds} not found")
        return row


Handler: TypeAlias = Callable[[ApiRequest], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    segments: tuple[str, ...]
    handler: Handler
    auth: bool

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for want, got in zip(self.segments, segments, strict=True):
            if want.startswith("{") and want.endswith("}"):
                if not got:
                    return None
                params[want[1:-1]] = unquote(got)
            elif want != got:
                return None
        return params

    @property
    def specificity(self) -> tuple[int, ...]:
        # Literal segments beat parameters, so `dataset/details` wins over `dataset/{ds}`.
        return tuple(1 if s.startswith("{") else 0 for s in self.segments)


class RouteGroup:
    """Routes and job bodies of one family.

    A pattern without a leading `/` is relative to `/v1/nucleus/`; `@routes.job(job_type)`
    names the body that runs jobs of that type (see `JobRunner`).
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.job_bodies: dict[str, JobBody] = {}

    def job(self, job_type: str) -> Callable[[JobBody], JobBody]:
        """Register the body that runs jobs of `job_type` (e.g. `uploadDatasetItems`)."""

        def register(body: JobBody) -> JobBody:
            self.job_bodies[job_type] = body
            return body

        return register

    def add(self, method: str, pattern: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        full = pattern if pattern.startswith("/") else API_PREFIX + pattern
        segments = tuple(full.split("/")[1:])

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method.upper(), pattern, segments, handler, auth))
            return handler

        return register

    def get(self, pattern: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.add("GET", pattern, auth=auth)

    def post(self, pattern: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.add("POST", pattern, auth=auth)

    def put(self, pattern: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.add("PUT", pattern, auth=auth)

    def delete(self, pattern: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        return self.add("DELETE", pattern, auth=auth)


def job_bodies(groups: Iterable[RouteGroup]) -> dict[str, JobBody]:
    """Every group's job bodies by job type (a type claimed twice is a mistake)."""
    bodies: dict[str, JobBody] = {}
    for group in groups:
        for job_type, body in group.job_bodies.items():
            if job_type in bodies:
                raise ValueError(f"Two route families run jobs of type {job_type}")
            bodies[job_type] = body
    return bodies


class Router:
    """Matches the raw (still percent-encoded) path, so `%2F` stays inside one segment."""

    def __init__(self, groups: Iterable[RouteGroup]) -> None:
        routes = [route for group in groups for route in group.routes]
        self.routes = sorted(routes, key=lambda r: r.specificity)
        # Only routes with as many segments, whose last segment is that literal or a parameter,
        # can match: candidates by (length, last literal) and (length, None), in `routes` order.
        keys: set[tuple[int, str | None]] = {(len(r.segments), None) for r in self.routes}
        keys |= {
            (len(r.segments), r.segments[-1]) for r in self.routes if not _is_param(r.segments[-1])
        }
        self._candidates: dict[tuple[int, str | None], list[tuple[Route, tuple[int, ...]]]] = {
            (n, last): [
                (r, r.specificity)
                for r in self.routes
                if len(r.segments) == n and (_is_param(r.segments[-1]) or r.segments[-1] == last)
            ]
            for n, last in keys
        }

    def resolve(self, method: str, raw_path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        """The route and decoded params; or None with the methods the path allows."""
        segments = raw_path.split("/")[1:]
        candidates = self._candidates.get((len(segments), segments[-1] if segments else None))
        if candidates is None:
            candidates = self._candidates.get((len(segments), None), [])
        allowed: list[str] = []
        best: tuple[int, ...] | None = None
        for route, specificity in candidates:
            if best is not None and specificity != best:
                break  # only the most specific matching pattern decides (so 405 Allow is exact)
            params = route.match(segments)
            if params is None:
                continue
            best = specificity
            if route.method == method:
                return route, params, []
            allowed.append(route.method)
        return None, {}, sorted(set(allowed))


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def json_bytes(body: Json) -> bytes:
    # Compact separators: the service's error bodies are `{"error":"…"}` with no spaces.
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _key_from_headers(headers: Headers) -> str | None:
    limited = headers.get("x-limited-access-key")
    if limited:
        return limited
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, _password = decoded.partition(":")
    return user or None


def _base_url(scope: Scope, headers: Headers) -> str:
    scheme = scope.get("scheme", "http")
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}"


class EmulatorApp:
    """The ASGI callable. Lifespan is optional: nothing depends on startup events."""

    def __init__(self, state: EmulatorState, groups: Iterable[RouteGroup]) -> None:
        self.state = state
        self.router = Router(groups)
        #: Recent run time (seconds, smoothed) of each synchronous handler on small requests.
        self._handler_cost: dict[Handler, float] = {}
        #: This app's worker-thread limiter, one per event loop that serves it.
        self._handler_limiter: anyio.lowlevel.RunVar[anyio.CapacityLimiter] = anyio.lowlevel.RunVar(
            "nucleus_emulator_handler_limiter"
        )

    @property
    def stats(self) -> Stats:
        return self.state.stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        raw = scope.get("raw_path")
        raw_path = raw.decode("latin-1") if raw else quote(scope["path"])
        raw_path = raw_path.split("?", 1)[0]
        method = scope["method"].upper()
        self.stats.enter()
        started = time.perf_counter()
        try:
            fault = await self._before_fault(raw_path)
            if fault in STATUS_KINDS:
                status, body, extra = _fault_reply(fault, self.state.faults.retry_after)
            else:
                if fault == "drop_before":
                    await self._drop_connection(scope)
                    return
                if fault == "slow":
                    await self._slow_answer()
                status, body, extra = await self._dispatch(scope, receive, method, raw_path)
                if fault == "drop_after":  # committed, but the client never hears of it
                    await self._drop_connection(scope)
                    return
        finally:
            self.stats.leave()
        payload = json_bytes(body)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ]
        headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        logger.debug(
            "%s %s -> %d (%.1f ms)",
            method,
            raw_path,
            status,
            1000 * (time.perf_counter() - started),
        )

    async def _before_fault(self, raw_path: str) -> str | None:
        """Draw this request's fault (None for control routes) and apply injected latency."""
        faults = self.state.faults
        if not faults.active or not faults.applies_to(raw_path):
            return None
        fault, delay = faults.draw()
        if delay > 0:
            await anyio.sleep(delay)
        if fault is not None:
            logger.debug("injecting fault %s into %s", fault, raw_path)
        return fault

    async def _slow_answer(self) -> None:
        # In-process, a client whose read timeout is shorter cancels this wait.
        await anyio.sleep(self.state.faults.slow_seconds)

    async def _drop_connection(self, scope: Scope) -> None:
        """Cut the request's connection without an answer (served: abort the socket)."""
        if not is_served():  # in-process: no socket, raise what a reset connection raises
            raise ConnectionResetError("connection dropped by an injected fault")
        if not self.state.connections.abort(scope.get("client")):
            return  # the client already went away (e.g. timed out): nothing left to cut
        # Let the server notice the lost connection, so it sends nothing on it.
        for _ in range(2):
            await anyio.lowlevel.checkpoint()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _dispatch(
        self, scope: Scope, receive: Receive, method: str, raw_path: str
    ) -> tuple[int, Json, dict[str, str]]:
        if self.state.latency > 0:
            await anyio.sleep(self.state.latency)
        route, params, allowed = self.router.resolve(method, raw_path)
        self.stats.count_route(f"{method} {route.pattern}" if route else "unmatched")
        if route is None:
            if allowed:
                return (
                    405,
                    {"error": f"Method {method} not allowed for {raw_path}"},
                    {"allow": ", ".join(allowed)},
                )
            return 404, {"error": f"Route not found: {method} {raw_path}"}, {}
        request = Request(scope, receive)
        headers = request.headers
        key = ""
        if route.auth:
            found = _key_from_headers(headers)
            if found is None:
                return 401, {"error": "Unauthorized: missing or malformed API key"}, {}
            accepted = self.state.accepted_keys
            if accepted is not None and found not in accepted:
                return 401, {"error": "Unauthorized: invalid API key"}, {}
            key = found
        form: FormData | None = None
        body = b""
        try:
            if method != "GET":
                content_type = headers.get("content-type", "")
                if content_type.lower().startswith("multipart/form-data"):
                    form = await self._read_form(request)
                else:
                    body = await request.body()
            api_request = ApiRequest(
                state=self.state,
                method=method,
                path=raw_path,
                params=params,
                query=parse_qs(scope.get("query_string", b"").decode("latin-1"), True),
                headers=headers,
                body=body,
                key=key,
                base_url=_base_url(scope, headers),
                form=form,
            )
            if method == "DELETE":
                api_request.json()  # DELETE bodies are JSON too: malformed is a 400
            result = await self._call(route.handler, api_request)
        except ApiError as exc:
            return exc.status, {"error": exc.message}, {}
        except ClientDisconnect:
            # The client gave up (e.g. timed out) before sending its whole body: nobody
            # reads this answer, and nothing was committed.
            logger.debug("client disconnected during %s %s", method, raw_path)
            return 499, {"error": "Client closed the request"}, {}
        except Exception:
            logger.exception("Unhandled error in %s %s", method, raw_path)
            return 500, {"error": "Internal emulator error"}, {}
        finally:
            if form is not None:
                await form.close()
        if isinstance(result, Reply):
            return result.status, result.body, result.headers
        return 200, result, {}

    @staticmethod
    async def _read_form(request: Request) -> FormData:
        try:
            return await request.form(
                max_files=100_000, max_fields=100_000, max_part_size=MAX_FORM_PART_BYTES
            )
        except Exception as exc:  # python-multipart raises several types for bad input
            raise ApiError(400, f"Malformed multipart body: {exc}") from None

    async def _call(self, handler: Handler, request: ApiRequest) -> Any:
        if inspect.iscoroutinefunction(handler):
            return await handler(request)
        if request.form is None and len(request.body) <= INLINE_MAX_BODY:
            if self._handler_cost.get(handler, 0.0) < INLINE_MAX_SECONDS:
                return self._timed(handler, request)
            return await anyio.to_thread.run_sync(
                self._timed, handler, request, limiter=self._limiter()
            )
        # Synchronous handlers (SQLite work) run on a worker thread so the loop keeps serving.
        return await anyio.to_thread.run_sync(handler, request, limiter=self._limiter())

    def _timed(self, handler: Handler, request: ApiRequest) -> Any:
        started = time.perf_counter()
        try:
            return handler(request)
        finally:
            elapsed = time.perf_counter() - started
            cost = self._handler_cost
            cost[handler] = (cost.get(handler, elapsed) + elapsed) / 2

    def _limiter(self) -> anyio.CapacityLimiter:
        try:
            return self._handler_limiter.get()
        except LookupError:
            limiter = anyio.CapacityLimiter(HANDLER_THREADS)
            self._handler_limiter.set(limiter)
            return limiter


def _fault_reply(kind: str, retry_after: int) -> tuple[int, Json, dict[str, str]]:
    status = int(kind)
    if status == 429:
        return (
            429,
            {"error": "Too many requests (injected fault)"},
            {"retry-after": str(retry_after)},
        )
    return status, {"error": f"Injected fault: HTTP {status}"}, {}
