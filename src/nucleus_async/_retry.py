"""The retry policy, as data: what is retried, and how long to wait before the next try."""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timezone

import anyio
import attrs

__all__ = [
    "RETRYABLE_STATUSES",
    "UNSENT_FAILURES",
    "UNSENT_STATUSES",
    "RetryPolicy",
    "parse_retry_after",
]

#: Statuses worth another try: the request may succeed unchanged.
RETRYABLE_STATUSES: frozenset[int] = frozenset(
    {408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}
)

#: Statuses that say the request was not processed: the service refused it before doing
#: anything (timed out waiting for it, rate-limited, or overloaded), so even a request that is
#: unsafe to repeat (see ``_request_classes``) is retried on them.
UNSENT_STATUSES: frozenset[int] = frozenset({408, 429, 503})

#: Transport failures (by the HTTP library's name) that happen before a byte of the request
#: reaches the service: no connection could be made, or none was free in the pool.
UNSENT_FAILURES: frozenset[str] = frozenset({"ConnectError", "ConnectTimeout", "PoolTimeout"})

# Beyond this many doublings every sane ``max_delay`` is reached; the cap keeps
# ``2.0 ** n`` from overflowing when ``max_attempts`` is huge.
_MAX_DOUBLINGS = 64

_DELTA_SECONDS = re.compile(r"\d+")


async def _anyio_sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


_non_negative = attrs.validators.ge(0.0)


def _to_statuses(statuses: Iterable[int]) -> frozenset[int]:
    return frozenset(statuses)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to retry.

    ``max_attempts`` counts the first try (``1`` disables retries). Delays grow as
    ``initial_delay * 2**n`` capped at ``max_delay``, with jitter (``jitter=1`` is "full
    jitter": uniform in ``[0, delay]``; ``0`` is none). A server's ``Retry-After`` (seconds or
    HTTP date) wins, capped at ``max_retry_after``. ``sleep`` is injectable so tests run
    instantly; the transport calls it outside the concurrency limiter, so a request that
    backs off never holds a slot.
    """

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    jitter: float = attrs.field(
        default=1.0, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)]
    )
    retry_statuses: frozenset[int] = attrs.field(default=RETRYABLE_STATUSES, converter=_to_statuses)
    retry_connect_errors: bool = True
    retry_timeouts: bool = True
    sleep: Callable[[float], Awaitable[None]] = attrs.field(default=_anyio_sleep, eq=False)
    rng: random.Random = attrs.field(factory=random.Random, eq=False, repr=False)

    def is_retryable_status(self, status: int) -> bool:
        return status in self.retry_statuses

    def is_unsent_status(self, status: int) -> bool:
        """A retryable status after which the request surely was not processed."""
        return status in self.retry_statuses and status in UNSENT_STATUSES

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        parsed = parse_retry_after(retry_after)
        if parsed is not None:
            return min(parsed, self.max_retry_after)
        doublings = min(max(attempt - 1, 0), _MAX_DOUBLINGS)
        base = min(self.max_delay, self.initial_delay * 2.0**doublings)
        # Jitter spreads a burst of clients over the window instead of retrying in lockstep.
        low = base * (1.0 - self.jitter)
        return low + (base - low) * self.rng.random()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), or None.

    Anything else (negative numbers, fractions, garbage) is ignored, as RFC 9110 allows.
    A date in the past means "now".
    """
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    # Imported here: email.utils (with socket and calendar) is a sixth of the package's
    # import time, and only a rate-limited answer with an HTTP date needs it.
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
