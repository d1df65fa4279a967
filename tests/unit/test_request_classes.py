"""Every route the SDK sends has a repeat class, and unsafe requests are never sent twice blind.

The routes come from three places: the emulator's route table (every route the scope uses),
the exact requests pinned by ``test_wire_scope_requests.py``, and the table itself (no entry
shadows another). The transport tests drive a mock service: a create that loses its answer is
not retried; one that surely never arrived is.
"""

from __future__ import annotations

import re

import anyio
import httpx
import pytest
import respx
from test_wire_scope_requests import ONE_REQUEST

from nucleus_async._config import ClientConfig
from nucleus_async._errors import NucleusTimeoutError, OutcomeUnknownError, ServerError
from nucleus_async._request_classes import ROUTE_CLASSES, Repeat, classify, template_of
from nucleus_async._retry import RetryPolicy
from nucleus_async._transport import SIGNED_URL_ROUTE, Transport
from nucleus_emulator.routes import ROUTE_GROUPS
from support.mock_server import mock_transport

ENDPOINT = "https://nucleus.test/v1/nucleus"


def _emulator_routes() -> list[tuple[str, str]]:
    """The emulator's API routes (its own control and blob routes are not the SDK's)."""
    return [
        (route.method, route.pattern)
        for group in ROUTE_GROUPS
        for route in group.routes
        if not route.pattern.startswith("/")
    ]


@pytest.mark.parametrize(("method", "pattern"), _emulator_routes())
def test_every_emulator_route_has_a_class(method: str, pattern: str) -> None:
    concrete = re.sub(r"\{[^}]+\}", "x_1", pattern)
    assert template_of(method, concrete) is not None, f"{method} {pattern} has no repeat class"


# make_request's cases send a route of the caller's: classed by their verb, not by a table.
_SDK_REQUESTS = [case for case in ONE_REQUEST if not case[0].startswith("make_request")]


@pytest.mark.parametrize(
    ("verb", "route"),
    [(case[2], case[3]) for case in _SDK_REQUESTS],
    ids=[case[0] for case in _SDK_REQUESTS],
)
def test_every_pinned_request_of_the_sdk_has_a_class(verb: str, route: str) -> None:
    assert template_of(verb, route) is not None, f"{verb} {route} has no repeat class"


def test_every_template_is_reachable() -> None:
    """No template is shadowed by another: each concrete form resolves to itself."""
    for verb, template in ROUTE_CLASSES:
        concrete = re.sub(r"\{[^}]+\}", "x_1", template)
        assert template_of(verb, concrete) == template


@pytest.mark.parametrize(
    ("method", "route", "expected"),
    [
        ("POST", "dataset/create", Repeat.UNSAFE),
        ("POST", "models/add", Repeat.UNSAFE),
        ("POST", "dataset/ds_1/create_slice", Repeat.UNSAFE),
        ("POST", "dataset/ds_1/build_slice", Repeat.UNSAFE),
        ("POST", "dataset/ds_1/append?async=1", Repeat.UNSAFE),
        ("POST", "dataset/ds_1/append", Repeat.SAFE),
        ("POST", "dataset/ds_1/annotate", Repeat.SAFE),
        ("POST", "dataset/ds_1/annotate?async=1", Repeat.UNSAFE),
        ("POST", "indexing/ds_1", Repeat.UNSAFE),
        ("POST", "autotag/tag_1", Repeat.UNSAFE),
        ("GET", "dataset/details", Repeat.SAFE),
        ("GET", "dataset/ds_1/signedUrl/abc?s3Endpoint=x", Repeat.SAFE),
        ("DELETE", "dataset/ds_1", Repeat.SAFE),
        ("PUT", SIGNED_URL_ROUTE, Repeat.SAFE),
        # Routes of no table (make_request): by the verb's HTTP semantics.
        ("GET", "any/route", Repeat.SAFE),
        ("POST", "any/route", Repeat.UNSAFE),
    ],
)
def test_creates_and_job_starts_are_unsafe_reads_and_keyed_writes_safe(
    method: str, route: str, expected: Repeat
) -> None:
    assert classify(method, route) is expected


# -- the transport -----------------------------------------------------------------------------


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await anyio.lowlevel.checkpoint()


def _transport(router: respx.MockRouter, sleeps: Sleeps) -> Transport:
    policy = RetryPolicy(max_attempts=4, sleep=sleeps)
    config = ClientConfig(endpoint=ENDPOINT, api_key="k", retry=policy)
    return Transport(config, http_transport=mock_transport(router.async_handler))


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(base_url=ENDPOINT, assert_all_called=False)


@pytest.mark.parametrize("status", [408, 429, 503])
async def test_a_create_refused_before_processing_is_retried(
    router: respx.MockRouter, status: int
) -> None:
    route = router.post("/dataset/create").mock(
        side_effect=[httpx.Response(status), httpx.Response(200, json={"dataset_id": "ds_1"})]
    )
    async with _transport(router, Sleeps()) as transport:
        assert await transport.request("POST", "dataset/create", {}) == {"dataset_id": "ds_1"}
    assert route.call_count == 2


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_a_create_that_never_left_is_retried(
    router: respx.MockRouter, error: type[Exception]
) -> None:
    route = router.post("/dataset/create").mock(
        side_effect=[error("no"), httpx.Response(200, json={"dataset_id": "ds_1"})]
    )
    async with _transport(router, Sleeps()) as transport:
        await transport.request("POST", "dataset/create", {})
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("answer", "cause", "settled"),
    [
        (httpx.Response(500), ServerError, True),
        (httpx.Response(502), ServerError, False),
        (httpx.Response(504), ServerError, False),
        (httpx.ReadTimeout("late"), NucleusTimeoutError, False),
        (httpx.RemoteProtocolError("dropped"), Exception, True),
    ],
)
async def test_a_create_whose_answer_was_lost_is_sent_once(
    router: respx.MockRouter, answer: object, cause: type[Exception], settled: bool
) -> None:
    route = router.post("/dataset/create").mock(side_effect=[answer])
    sleeps = Sleeps()
    async with _transport(router, sleeps) as transport:
        with pytest.raises(OutcomeUnknownError) as caught:
            await transport.request("POST", "dataset/create", {})
    assert route.call_count == 1 and sleeps.calls == []
    assert isinstance(caught.value.cause, cause)
    assert caught.value.settled is settled
    assert "may have been processed" in str(caught.value)
    assert caught.value.route == "dataset/create"


async def test_a_safe_request_is_still_retried_after_a_lost_answer(
    router: respx.MockRouter,
) -> None:
    route = router.post("/dataset/ds_1/append").mock(
        side_effect=[httpx.RemoteProtocolError("dropped"), httpx.Response(200, json={})]
    )
    async with _transport(router, Sleeps()) as transport:
        await transport.request("POST", "dataset/ds_1/append", {})
    assert route.call_count == 2
