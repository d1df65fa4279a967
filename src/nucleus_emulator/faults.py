"""Seeded fault injection: which API requests fail, how, and the counters of what was injected.

A `FaultInjector` decides for each API request (never for the `/_emulator/` control routes)
whether it meets a fault, from a seeded random stream, so a run at a given rate, kind mix and
seed injects the same number of each fault. Kinds:

* `429` (with `Retry-After`), `500`, `502`, `503`, `504`: answered at once, the handler never
  runs (nothing is committed).
* `drop_before`: the connection is cut before the handler runs (nothing committed).
* `drop_after`: the handler runs and commits, then the connection is cut before the answer:
  the client cannot know the batch landed, and a retry must not duplicate it.
* `slow`: the answer comes `slow_seconds` late (past a client's read timeout when that is
  shorter). Served, the handler then runs if the request body had arrived (a late commit
  nobody hears of, as on a real server); in-process the client's timeout cancels the app
  while it waits, as an in-process transport that applies its read timeout does.

`latency_jitter` adds a seeded random delay in `[0, latency_jitter]` to every API request.

How a connection is cut: served by uvicorn (`Emulator.serve()`, whose requests run inside
`served`), the app aborts the socket of the request (found by the peer address through
`ConnectionRegistry`), so the client sees the server disconnect; in-process (the app called
directly, e.g. by `nucleus_async.ASGITransport(emu.app)`), there is no socket: the app raises
`ConnectionResetError`, the builtin error of a connection reset, which an in-process
transport reports as the dropped connection a socket would give.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
import re
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from starlette.types import Receive, Scope, Send

__all__ = [
    "CONTROL_PREFIX",
    "DROP_KINDS",
    "FAULT_KINDS",
    "STATUS_KINDS",
    "ConnectionRegistry",
    "FaultInjector",
    "is_served",
    "parse_kinds",
    "served",
]

#: Paths under this prefix are the emulator's own control routes: never faulted.
CONTROL_PREFIX = "/_emulator/"

STATUS_KINDS: tuple[str, ...] = ("429", "500", "502", "503", "504")
DROP_KINDS: tuple[str, ...] = ("drop_before", "drop_after")
FAULT_KINDS: tuple[str, ...] = (*STATUS_KINDS, *DROP_KINDS, "slow")

#: True while the app answers a request that came over a socket (see `served`).
_serving: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "nucleus_emulator_serving", default=False
)

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def served(app: ASGIApp) -> ASGIApp:
    """`app` for a server: its requests know they came over a socket (`is_served()`)."""

    async def served_app(scope: Scope, receive: Receive, send: Send) -> None:
        token = _serving.set(True)
        try:
            await app(scope, receive, send)
        finally:
            _serving.reset(token)

    return served_app


def is_served() -> bool:
    """True in a request that came over a socket; False when the app is called in-process."""
    return _serving.get()


def parse_kinds(kinds: Iterable[str] | str | None) -> tuple[str, ...]:
    """Kinds from a list or a comma-separated string; `None`/empty means every kind."""
    if kinds is None:
        return FAULT_KINDS
    if isinstance(kinds, str):
        kinds = [k for k in (part.strip() for part in kinds.split(",")) if k]
    parsed = tuple(str(kind).strip() for kind in kinds)
    if not parsed:
        return FAULT_KINDS
    unknown = sorted(set(parsed) - set(FAULT_KINDS))
    if unknown:
        raise ValueError(f"Unknown fault kind(s) {unknown}; known: {', '.join(FAULT_KINDS)}")
    return parsed


class ConnectionRegistry:
    """Transports of the served emulator's open connections, by peer address."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._transports: dict[tuple[str, int], asyncio.BaseTransport] = {}

    def add(self, peer: Any, transport: asyncio.BaseTransport) -> None:
        if isinstance(peer, tuple) and len(peer) >= 2:
            with self._lock:
                self._transports[(str(peer[0]), int(peer[1]))] = transport

    def remove(self, peer: Any, transport: asyncio.BaseTransport) -> None:
        if isinstance(peer, tuple) and len(peer) >= 2:
            key = (str(peer[0]), int(peer[1]))
            with self._lock:
                if self._transports.get(key) is transport:
                    del self._transports[key]

    def abort(self, client: Any) -> bool:
        """Cut the connection of the ASGI `scope["client"]`; False if it is not served here."""
        if not isinstance(client, (tuple, list)) or len(client) < 2:
            return False
        with self._lock:
            transport = self._transports.get((str(client[0]), int(client[1])))
        if transport is None:
            return False
        abort = getattr(transport, "abort", None)
        if abort is not None:
            abort()  # RST: the client sees the connection reset, no answer
        else:
            transport.close()
        return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._transports)


class FaultInjector:
    """Decides which requests meet which fault; thread-safe; reconfigurable at runtime.

    `rate` is the probability (0..1) that an API request meets a fault; `kinds` the kinds drawn
    from (uniformly); `seed` seeds the stream (reset by every `configure` that passes a seed).
    `path_pattern` (a regex searched in the raw path) limits faults to some routes.
    """

    def __init__(
        self,
        rate: float = 0.0,
        kinds: Iterable[str] | str | None = None,
        seed: int = 0,
        *,
        retry_after: int = 1,
        slow_seconds: float = 2.0,
        latency_jitter: float = 0.0,
        path_pattern: str | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.rate = 0.0
        self.kinds: tuple[str, ...] = FAULT_KINDS
        self.seed = 0
        self.retry_after = 1
        self.slow_seconds = 2.0
        self.latency_jitter = 0.0
        self.path_pattern: str | None = None
        self._path_re: re.Pattern[str] | None = None
        self._rng = random.Random(0)
        self.requests_seen = 0
        self.injected: Counter[str] = Counter()
        self.configure(
            rate=rate,
            kinds=kinds,
            seed=seed,
            retry_after=retry_after,
            slow_seconds=slow_seconds,
            latency_jitter=latency_jitter,
            path_pattern=path_pattern,
        )

    def configure(
        self,
        *,
        rate: float | None = None,
        kinds: Iterable[str] | str | None = None,
        seed: int | None = None,
        retry_after: int | None = None,
        slow_seconds: float | None = None,
        latency_jitter: float | None = None,
        path_pattern: str | None = None,
        reset_counters: bool = False,
    ) -> None:
        """Change some settings (others keep their value); a `seed` restarts the stream."""
        if rate is not None and (
            isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1
        ):
            raise ValueError("fault rate must be a number between 0 and 1")
        for name, value in (("slow_seconds", slow_seconds), ("latency_jitter", latency_jitter)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
            ):
                raise ValueError(f"{name} must be a number >= 0")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
        ):
            raise ValueError("retry_after must be an integer >= 0")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("fault seed must be an integer")
        compiled = None
        if path_pattern is not None and path_pattern != "":
            try:
                compiled = re.compile(path_pattern)
            except re.error as exc:
                raise ValueError(f"path_pattern is not a valid regex: {exc}") from None
        parsed_kinds = parse_kinds(kinds) if kinds is not None else None
        with self._lock:
            if rate is not None:
                self.rate = float(rate)
            if parsed_kinds is not None:
                self.kinds = parsed_kinds
            if seed is not None:
                self.seed = seed
                self._rng = random.Random(seed)
            if retry_after is not None:
                self.retry_after = retry_after
            if slow_seconds is not None:
                self.slow_seconds = float(slow_seconds)
            if latency_jitter is not None:
                self.latency_jitter = float(latency_jitter)
            if path_pattern is not None:
                self.path_pattern = path_pattern or None
                self._path_re = compiled
            if reset_counters:
                self.requests_seen = 0
                self.injected = Counter()

    @property
    def active(self) -> bool:
        return self.rate > 0 or self.latency_jitter > 0

    def applies_to(self, raw_path: str) -> bool:
        """Faults never touch the control routes; `path_pattern` narrows them further."""
        if raw_path.startswith(CONTROL_PREFIX):
            return False
        pattern = self._path_re
        return pattern is None or pattern.search(raw_path) is not None

    def draw(self) -> tuple[str | None, float]:
        """The fault for the next request (or None) and its extra latency in seconds."""
        with self._lock:
            self.requests_seen += 1
            fault: str | None = None
            if self.rate > 0 and self._rng.random() < self.rate:
                fault = self.kinds[self._rng.randrange(len(self.kinds))]
                self.injected[fault] += 1
            delay = self._rng.uniform(0, self.latency_jitter) if self.latency_jitter > 0 else 0.0
            return fault, delay

    @property
    def total_injected(self) -> int:
        with self._lock:
            return sum(self.injected.values())

    def snapshot(self) -> dict[str, Any]:
        """Settings and counters as JSON (what the control route answers)."""
        with self._lock:
            return {
                "rate": self.rate,
                "kinds": list(self.kinds),
                "seed": self.seed,
                "retry_after": self.retry_after,
                "slow_seconds": self.slow_seconds,
                "latency_jitter": self.latency_jitter,
                "path_pattern": self.path_pattern,
                "requests_seen": self.requests_seen,
                "injected": dict(sorted(self.injected.items())),
                "injected_total": sum(self.injected.values()),
            }

    def configure_from_json(self, body: Mapping[str, Any]) -> None:
        """`configure` from a control-route body; unknown keys are a `ValueError`."""
        known = {
            "rate",
            "kinds",
            "seed",
            "retry_after",
            "slow_seconds",
            "latency_jitter",
            "path_pattern",
            "reset_counters",
        }
        unknown = sorted(set(body) - known)
        if unknown:
            raise ValueError(f"Unknown fault setting(s): {unknown}")
        kinds = body.get("kinds")
        if kinds is not None and not isinstance(kinds, (list, str)):
            raise ValueError("kinds must be a list of strings or a comma-separated string")
        if isinstance(kinds, list) and not all(isinstance(k, str) for k in kinds):
            raise ValueError("kinds must be a list of strings")
        path_pattern = body.get("path_pattern")
        if path_pattern is not None and not isinstance(path_pattern, str):
            raise ValueError("path_pattern must be a string")
        reset = body.get("reset_counters", False)
        if not isinstance(reset, bool):
            raise ValueError("reset_counters must be a boolean")
        self.configure(
            rate=body.get("rate"),
            kinds=kinds,
            seed=body.get("seed"),
            retry_after=body.get("retry_after"),
            slow_seconds=body.get("slow_seconds"),
            latency_jitter=body.get("latency_jitter"),
            path_pattern=path_pattern,
            reset_counters=reset,
        )

    def __repr__(self) -> str:
        return (
            f"FaultInjector(rate={self.rate}, kinds={list(self.kinds)}, seed={self.seed}, "
            f"injected={self.total_injected})"
        )
