"""The lookup after a create's lost answer: lenient about shapes, never blind.

When a create's answer is lost, :func:`create_once` lists what exists before it decides to send
again. The listing parses in every shape the service uses (bare list, or under a key) and skips
rows that are not objects; a listing it cannot read, or a lookup that fails, ends in an
``OutcomeUnknownError`` that says so, and the create is not sent again.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
import respx

from nucleus_async._config import ClientConfig
from nucleus_async._creates import create_once, dataset_ids_named, model_ids_named
from nucleus_async._errors import OutcomeUnknownError
from nucleus_async._retry import RetryPolicy
from nucleus_async._transport import Transport
from support.mock_server import mock_transport

ENDPOINT = "https://nucleus.test/v1/nucleus"


async def _create_cars(transport: Transport) -> Any:
    """Create the dataset "cars", looking it up by name if the answer is lost."""
    return await create_once(
        transport,
        "dataset/create",
        {"name": "cars"},
        what="dataset 'cars'",
        find=lambda: dataset_ids_named(transport, "cars"),
    )


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await anyio.lowlevel.checkpoint()


def _transport(router: respx.MockRouter) -> Transport:
    policy = RetryPolicy(max_attempts=3, sleep=Sleeps())
    config = ClientConfig(endpoint=ENDPOINT, api_key="k", retry=policy)
    return Transport(config, http_transport=mock_transport(router.async_handler))


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(base_url=ENDPOINT, assert_all_called=False)


@pytest.mark.parametrize(
    "listing",
    [
        [{"id": "ds_1", "name": "cars"}, {"id": "ds_2", "name": "bikes"}],
        {"datasets": [{"id": "ds_1", "name": "cars"}]},
        [{"id": "ds_1", "name": "cars"}, "junk", None, {"name": "cars"}],
    ],
)
async def test_dataset_listings_parse_in_every_shape(
    router: respx.MockRouter, listing: Any
) -> None:
    router.get("/dataset/details").mock(return_value=httpx.Response(200, json=listing))
    async with _transport(router) as transport:
        assert await dataset_ids_named(transport, "cars") == ["ds_1"]


async def test_model_listing_under_its_key_or_bare(router: respx.MockRouter) -> None:
    row = {"id": "prj_1", "name": "resnet", "ref_id": "r1"}
    router.get("/models/").mock(
        side_effect=[httpx.Response(200, json={"models": [row]}), httpx.Response(200, json=[row])]
    )
    async with _transport(router) as transport:
        assert await model_ids_named(transport, "resnet", "r1") == ["prj_1"]
        assert await model_ids_named(transport, "resnet", "r1") == ["prj_1"]


@pytest.mark.parametrize("listing", [{"dataset_id": "ds_1", "name": "cars"}, "cars", 3])
async def test_an_unreadable_listing_never_sends_the_create_again(
    router: respx.MockRouter, listing: Any
) -> None:
    create = router.post("/dataset/create").mock(
        side_effect=[httpx.Response(500), httpx.Response(200, json={"dataset_id": "ds_9"})]
    )
    router.get("/dataset/details").mock(return_value=httpx.Response(200, json=listing))
    async with _transport(router) as transport:
        with pytest.raises(OutcomeUnknownError) as caught:
            await _create_cars(transport)
    assert create.call_count == 1
    message = str(caught.value)
    assert "looking for it failed too" in message and "dataset/details" in message
    assert caught.value.candidates == ()


async def test_a_failed_lookup_never_sends_the_create_again(router: respx.MockRouter) -> None:
    create = router.post("/dataset/create").mock(return_value=httpx.Response(500))
    lookup = router.get("/dataset/details").mock(return_value=httpx.Response(403))
    async with _transport(router) as transport:
        with pytest.raises(OutcomeUnknownError) as caught:
            await _create_cars(transport)
    assert create.call_count == 1 and lookup.call_count == 1
    assert "looking for it failed too" in str(caught.value)


async def test_an_empty_readable_listing_lets_a_settled_create_go_again(
    router: respx.MockRouter,
) -> None:
    create = router.post("/dataset/create").mock(
        side_effect=[httpx.Response(500), httpx.Response(200, json={"dataset_id": "ds_9"})]
    )
    router.get("/dataset/details").mock(return_value=httpx.Response(200, json={"datasets": None}))
    async with _transport(router) as transport:
        answer = await _create_cars(transport)
    assert answer == {"dataset_id": "ds_9"} and create.call_count == 2
