"""Data belongs to the key that created it: another key can neither read, change, delete nor
list it, on EVERY authenticated route the emulator mounts (walked from its router, so a new
route family is covered the day it is mounted).

Also: with accepted keys the emulator answers 401 to any other key, and served it binds to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from typing import Any

import httpx
import pytest
from reliability_helpers import API_KEY, LIMITED_KEY, OTHER_KEY, make_client, remote_items

import nucleus_async
from nucleus_async import BoxAnnotation, BoxPrediction
from nucleus_emulator import Emulator
from nucleus_emulator.routes import ROUTE_GROUPS

#: A body that gets past the body checks of most routes, so a handler that forgot the owner
#: check would act on it.
PROBE_BODY = {
    "items": [{"reference_id": "intruder", "image_url": "s3://x/i.jpg"}],
    "annotations": [],
    "reference_ids": ["a"],
    "referenceIds": ["a"],
    "name": "intruder",
    "metadata": [],
    "update": True,
    "dataset_id": None,
}


def _fingerprint(emu: Emulator) -> str:
    """A hash of every row of every table: any change anywhere shows."""
    digest = hashlib.sha256()
    with emu.state.store.connection.read() as conn:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        for table in tables:
            digest.update(table.encode())
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _first_id(emu: Emulator, table: str, column: str = "id") -> str | None:
    with emu.state.store.connection.read() as conn:
        row = conn.execute(f"SELECT {column} FROM {table} LIMIT 1").fetchone()
    return None if row is None else str(row[0])


async def _owner_world(emu: Emulator) -> dict[str, str]:
    """Objects of every family, owned by API_KEY; returns route parameter values."""
    params: dict[str, str] = {}
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset = await client.create_dataset("owned", is_scene=False)
        await dataset.append(remote_items(2, "own"))
        params["ds"] = dataset.id
        params["ref"] = "own-0"
        params["i"] = "0"
        item = (await dataset.refloc("own-0"))["item"]
        params["item_id"] = item.dataset_item_id or ""
        await dataset.annotate(
            [BoxAnnotation("car", 1, 2, 3, 4, reference_id="own-0", annotation_id="box-1")]
        )
        params["ann"] = "box-1"
        await dataset.add_taxonomy("colours", "category", ["red"])
        params["name"] = "colours"
        model = await client.create_model("owned-model", "owned-model-ref")
        params["model"] = params["id"] = model.id
        await dataset.upload_predictions(
            model, [BoxPrediction("car", 1, 2, 3, 4, reference_id="own-0", annotation_id="p-1")]
        )
        run = _first_id(emu, "model_runs")
        if run:
            params["run"] = run
        slc = await dataset.create_slice("owned-slice", ["own-0"])
        params["slc"] = slc.id
        emu.jobs.pause()
        job = await dataset.append(remote_items(1, "job"), asynchronous=True)
        params["job"] = job.job_id  # type: ignore[union-attr]
        request_id = _first_id(emu, "uploads", "request_id")
        if request_id:
            params["request_id"] = request_id
    return params


def _owned_routes() -> list[Any]:
    return [
        route
        for group in ROUTE_GROUPS
        for route in group.routes
        if route.auth and any(s.startswith("{") for s in route.segments)
    ]


def _path(route: Any, params: dict[str, str]) -> tuple[str, bool]:
    """The raw path with owner values; False if some parameter had no owner value."""
    full = True
    segments = []
    for segment in route.segments:
        if segment.startswith("{"):
            name = segment[1:-1]
            full = full and name in params
            segments.append(params.get(name, f"unknown-{name}"))
        else:
            segments.append(segment)
    return "/" + "/".join(segments), full


async def test_another_key_cannot_touch_owned_data_on_any_route(emu: Emulator) -> None:
    params = await _owner_world(emu)
    before = _fingerprint(emu)
    covered, partial, families = [], [], set()
    origin = emu.endpoint.split("/v1/")[0]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url=origin, auth=(OTHER_KEY, "")
    ) as other:
        for route in _owned_routes():
            path, full = _path(route, params)
            body = None if route.method == "GET" else PROBE_BODY
            response = await other.request(route.method, path, json=body)
            label = f"{route.method} {route.pattern}"
            assert response.status_code != 500, (label, response.text)
            if full:
                assert response.status_code in (400, 401, 403, 404, 405, 409, 422), (
                    label,
                    response.status_code,
                    response.text[:300],
                )
                covered.append(label)
                families.add(route.pattern.split("/")[0] if "/" in route.pattern else route.pattern)
            else:
                partial.append(label)
            # Whatever it answered, it leaked none of the owner's ids.
            for key in ("ds", "model", "slc", "job", "item_id"):
                if response.is_success:
                    assert params[key] not in response.text, (label, key)
    assert _fingerprint(emu) == before, "another key's requests changed stored state"
    print(f"\nownership: {len(covered)} routes fully covered, {len(partial)} partly: {partial}")
    assert len(covered) >= 60
    emu.jobs.resume()


async def test_another_key_lists_nothing_of_the_owner(emu: Emulator) -> None:
    params = await _owner_world(emu)
    emu.jobs.resume()
    origin = emu.endpoint.split("/v1/")[0]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url=origin, auth=(OTHER_KEY, "")
    ) as other:
        for route in (
            route
            for group in ROUTE_GROUPS
            for route in group.routes
            if route.auth and not any(s.startswith("{") for s in route.segments)
        ):
            if route.method != "GET" and route.pattern not in ("jobs/",):
                continue  # creations are allowed; listings must be empty of the owner's
            response = await other.request(
                route.method,
                "/v1/nucleus/" + route.pattern,
                json={} if route.method != "GET" else None,
            )
            assert response.status_code != 500, (route.pattern, response.text)
            for key in ("ds", "model", "slc", "job"):
                assert params[key] not in response.text, (route.pattern, key)


async def test_limited_access_key_is_its_own_identity(emu: Emulator) -> None:
    async with make_client(emu.endpoint, emulator=emu) as owner:
        dataset = await owner.create_dataset("mine", is_scene=False)
    async with nucleus_async.NucleusClient(
        endpoint=emu.endpoint,
        limited_access_key=LIMITED_KEY,
        http_transport=nucleus_async.ASGITransport(emu.app),
        progress=False,
    ) as limited:
        with pytest.raises(nucleus_async.NotFoundError):
            await (await limited.get_dataset(dataset.id)).info()
        assert dataset.id not in await limited.list_datasets()


async def test_accepted_keys_answer_401_to_others() -> None:
    with Emulator(accepted_keys=[API_KEY]) as emu:
        async with make_client(emu.endpoint, emulator=emu, key=OTHER_KEY) as stranger:
            with pytest.raises(nucleus_async.AuthenticationError):
                await stranger.create_dataset("nope", is_scene=False)
        async with make_client(emu.endpoint, emulator=emu) as member:
            await member.create_dataset("yes", is_scene=False)
        origin = emu.endpoint.split("/v1/")[0]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=emu.app), base_url=origin
        ) as anon:
            for route in _owned_routes()[:20]:
                path, _ = _path(route, {})
                response = await anon.request(route.method, path)
                assert response.status_code == 401, route.pattern


def test_served_emulator_binds_loopback_by_default() -> None:
    with Emulator() as emu, emu.serve() as endpoint:
        assert endpoint.startswith("http://127.0.0.1:")
        port = int(endpoint.split(":")[2].split("/")[0])
        assert _listening_address(port) == "127.0.0.1"


def test_cli_binds_loopback_by_default() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "nucleus_emulator", "serve", "--port", "0", "--fault-rate", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        endpoint = ""
        for _ in range(5):
            line = process.stdout.readline().strip()
            if line.startswith("http"):
                endpoint = line
                break
        assert endpoint.startswith("http://127.0.0.1:"), endpoint
        port = int(re.search(r":(\d+)/", endpoint).group(1))  # type: ignore[union-attr]
        assert _listening_address(port) == "127.0.0.1"
        answer = httpx.get(endpoint.split("/v1/")[0] + "/_emulator/faults").json()
        assert answer["rate"] == 0
    finally:
        process.terminate()
        process.wait(10)


def _listening_address(port: int) -> str | None:
    """The local address of the LISTEN socket on ``port`` (from /proc/net/tcp)."""
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if int(port_hex, 16) == port and fields[3] == "0A":
                octets = bytes.fromhex(address)[::-1]
                return ".".join(str(b) for b in octets)
    return None
