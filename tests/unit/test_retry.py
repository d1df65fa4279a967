"""The retry policy as data: delays, jitter, caps, and Retry-After parsing."""

from __future__ import annotations

import email.utils
import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nucleus_async._retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after


def test_defaults_retry_five_times_with_full_jitter() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts == 5
    assert policy.jitter == 1.0
    assert policy.retry_connect_errors and policy.retry_timeouts


@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUSES))
def test_retryable_statuses_are_retryable(status: int) -> None:
    assert RetryPolicy().is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 409, 422, 501, 505, 525])
def test_other_statuses_are_not_retryable(status: int) -> None:
    assert not RetryPolicy().is_retryable_status(status)


def test_retry_statuses_can_be_replaced_with_any_iterable() -> None:
    policy = RetryPolicy(retry_statuses=[503])
    assert policy.retry_statuses == frozenset({503})
    assert not policy.is_retryable_status(429)


def test_without_jitter_delays_double_from_the_initial_delay_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=5.0, jitter=0.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


@given(attempt=st.integers(min_value=1, max_value=10_000), seed=st.integers())
def test_jittered_delays_stay_within_zero_and_the_cap(attempt: int, seed: int) -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0, rng=random.Random(seed))
    base = min(8.0, 0.5 * 2.0 ** min(attempt - 1, 64))
    assert 0.0 <= policy.delay(attempt) <= base


def test_half_jitter_keeps_at_least_half_the_delay() -> None:
    policy = RetryPolicy(initial_delay=4.0, max_delay=4.0, jitter=0.5, rng=random.Random(1))
    assert all(2.0 <= policy.delay(1) <= 4.0 for _ in range(200))


def test_a_huge_attempt_number_does_not_overflow() -> None:
    assert RetryPolicy(jitter=0.0).delay(100_000) == 8.0


def test_retry_after_wins_over_backoff_and_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=30.0)
    assert policy.delay(1, "3") == 3.0
    assert policy.delay(4, "0") == 0.0
    assert policy.delay(1, "3600") == 30.0


def test_an_unparsable_retry_after_falls_back_to_backoff() -> None:
    policy = RetryPolicy(initial_delay=2.0, jitter=0.0)
    assert policy.delay(1, "soon") == 2.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("0", 0.0), ("5", 5.0), (" 12 ", 12.0), ("120", 120.0)],
)
def test_retry_after_delta_seconds(header: str, seconds: float) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize("header", [None, "", "-1", "1.5", "nan", "inf", "1e3", "soon"])
def test_retry_after_that_is_not_a_delay_is_ignored(header: str | None) -> None:
    assert parse_retry_after(header) is None


def test_retry_after_http_date_in_the_future() -> None:
    header = email.utils.formatdate(time.time() + 45, usegmt=True)
    seconds = parse_retry_after(header)
    assert seconds is not None and 43.0 <= seconds <= 45.0


def test_retry_after_http_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize(
    "bad",
    [
        {"max_attempts": 0},
        {"initial_delay": -1.0},
        {"max_delay": -1.0},
        {"max_retry_after": -1.0},
        {"jitter": 1.5},
        {"jitter": -0.1},
    ],
)
def test_invalid_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**bad)  # type: ignore[arg-type]


async def test_the_default_sleep_really_sleeps_briefly() -> None:
    started = time.perf_counter()
    await RetryPolicy().sleep(0.01)
    assert time.perf_counter() - started >= 0.005
