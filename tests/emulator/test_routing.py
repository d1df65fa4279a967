"""Routing, authentication, error bodies and test knobs of the emulator app."""

from __future__ import annotations

import asyncio
import time

import httpx
from emulator_helpers import KEY, append, create_dataset, item, make_client

from nucleus_emulator import Emulator


async def test_unknown_route_is_a_json_404(api: httpx.AsyncClient) -> None:
    response = await api.get("no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.text == '{"error":"Route not found: GET /v1/nucleus/no/such/route"}'


async def test_path_outside_the_prefix_is_a_404(emu: Emulator) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), auth=(KEY, "")
    ) as client:
        response = await client.get("http://nucleus-emulator.local/dataset/details")
    assert response.status_code == 404


async def test_wrong_method_is_a_json_405_with_allow(api: httpx.AsyncClient) -> None:
    response = await api.get("dataset/create")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"
    assert response.headers["allow"] == "POST"
    assert response.json() == {"error": "Method GET not allowed for /v1/nucleus/dataset/create"}


async def test_malformed_json_is_a_compact_400(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "dataset/create", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.text.startswith('{"error":"Malformed JSON body')


async def test_non_object_body_is_a_400(api: httpx.AsyncClient) -> None:
    response = await api.post("dataset/create", json=[1, 2])
    assert response.status_code == 400
    assert response.json() == {"error": "Request body must be a JSON object"}


async def test_get_bodies_are_ignored(api: httpx.AsyncClient, dataset: str) -> None:
    response = await api.request("GET", f"dataset/{dataset}/size", content=b"{garbage")
    assert response.status_code == 200
    assert response.json() == {"count": 0}


async def test_delete_bodies_are_read(api: httpx.AsyncClient, dataset: str) -> None:
    response = await api.request("DELETE", f"dataset/{dataset}", content=b"{garbage")
    assert response.status_code == 400
    ok = await api.request("DELETE", f"dataset/{dataset}", json={"unused": True})
    assert ok.json() == {"message": "Beginning dataset deletion..."}


async def test_missing_credentials_are_a_401(emu: Emulator) -> None:
    async with make_client(emu, key=None) as anonymous:
        response = await anonymous.get("dataset/details")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert "error" in response.json()


async def test_basic_auth_with_a_garbled_token_is_a_401(emu: Emulator) -> None:
    async with make_client(emu, key=None) as anonymous:
        garbled = await anonymous.get("dataset/details", headers={"authorization": "Basic !!!"})
        bearer = await anonymous.get("dataset/details", headers={"authorization": "Bearer k"})
    assert garbled.status_code == bearer.status_code == 401


async def test_limited_access_key_header_authenticates(emu: Emulator) -> None:
    async with make_client(emu, key=None) as client:
        headers = {"x-limited-access-key": "limited"}
        created = await client.post("dataset/create", json={"name": "l"}, headers=headers)
        assert created.status_code == 200
        listed = await client.get("dataset/details", headers=headers)
    assert [d["name"] for d in listed.json()] == ["l"]


async def test_accepted_keys_reject_other_keys() -> None:
    with Emulator(accepted_keys=["good"]) as emu:
        async with make_client(emu, "good") as good, make_client(emu, "bad") as bad:
            assert (await good.get("dataset/details")).status_code == 200
            assert (await bad.get("dataset/details")).status_code == 401


async def test_trailing_slash_routes_answer_without_redirect(api: httpx.AsyncClient) -> None:
    response = await api.get("dataset/")
    assert response.status_code == 200
    jobs = await api.post("jobs/", json={})
    assert jobs.status_code == 200
    assert jobs.json() == []


async def test_percent_encoded_slash_stays_inside_the_reference_id(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a/b c"), item("a")])
    response = await api.get(f"dataset/{dataset}/refloc/a%2Fb%20c")
    assert response.status_code == 200
    assert response.json()["item"]["reference_id"] == "a/b c"
    # An unencoded slash is a different (unknown) route, never the same item.
    assert (await api.get(f"dataset/{dataset}/refloc/a/b%20c")).status_code == 404


async def test_bad_inputs_never_answer_500(api: httpx.AsyncClient, dataset: str) -> None:
    probes = [
        ("POST", f"dataset/{dataset}/append", {"items": "nope"}),
        ("POST", f"dataset/{dataset}/append", {"items": [], "update": "yes"}),
        ("POST", f"dataset/{dataset}/itemsPage", {"pageSize": -1}),
        ("POST", f"dataset/{dataset}/itemsPage", {"pageToken": 5}),
        ("POST", f"dataset/{dataset}/metadata", {"metadata": [{"reference_id": 1}]}),
        ("POST", "jobs/", {"limit": "many"}),
        ("POST", "jobs/", {"from_date": "yesterday"}),
        ("POST", "dataset/create", {"name": None}),
        ("GET", f"dataset/{dataset}/iloc/first", None),
    ]
    for method, path, body in probes:
        response = await api.request(method, path, json=body)
        assert 400 <= response.status_code < 500, (path, body, response.text)
        assert "error" in response.json()


async def test_latency_is_added_to_every_request() -> None:
    with Emulator(latency=0.05) as emu:
        async with make_client(emu) as client:
            started = time.perf_counter()
            await client.get("dataset/details")
            assert time.perf_counter() - started >= 0.05


async def test_stats_count_requests_and_peak_concurrency() -> None:
    with Emulator(latency=0.05) as emu:
        async with make_client(emu) as client:
            await asyncio.gather(*(client.get("dataset/details") for _ in range(5)))
            assert emu.stats.requests == 5
            assert emu.stats.peak_concurrency == 5
            emu.stats.reset()
            assert (emu.stats.requests, emu.stats.peak_concurrency) == (0, 0)
            await client.get("dataset/details")
            assert (emu.stats.requests, emu.stats.peak_concurrency) == (1, 1)


async def test_ids_look_like_the_service(api: httpx.AsyncClient) -> None:
    dataset = await create_dataset(api)
    assert dataset.startswith("ds_")
    assert len(dataset) == 23
