"""Hypothesis-built requests against every emulator route: never a 500, never corrupted state.

Paths come from the router's patterns with hostile parameter values (`..`, `%2F`, huge numbers,
unicode, empty) or are made up; bodies are random JSON (wrong types everywhere) or raw bytes;
methods are random. A protected dataset of the fuzzing key's own must be unchanged afterwards.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import API_KEY, OTHER_KEY

from nucleus_emulator import Emulator
from nucleus_emulator.routes import ROUTE_GROUPS

ROUTES = [route for group in ROUTE_GROUPS for route in group.routes]
HOSTILE = [
    "..", "%2E%2E", "..%2F..%2Fetc", "%2F", "%00", "a%2Fb", "9" * 40, "-1", "0", "1e309",
    "NaN", "null", "true", "[]", "{}", "%", "%zz", "é", "😀", " ", "ds_", "job_x", "*",
]  # fmt: skip

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=15,
)
KNOWN_KEYS = [
    "items", "annotations", "name", "reference_ids", "update", "metadata", "pageSize",
    "pageToken", "limit", "dataset_id", "job_types", "requestId", "is_scene", "level",
    "taxonomy_name", "type", "labels", "model_id", "predictions", "segmentations", "rate",
]  # fmt: skip
bodies = st.one_of(
    st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values, max_size=6),
    json_values,
)


@st.composite
def requests(draw: st.DrawFn, protected: str, scratch: str) -> tuple[str, str, Any, bool]:
    if draw(st.integers(0, 9)) == 0:
        path = "/" + "/".join(
            draw(st.lists(st.sampled_from([*HOSTILE, "v1", "nucleus", "dataset"]), max_size=6))
        )
        method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    else:
        route = draw(st.sampled_from(ROUTES))
        if route.pattern.startswith("/_emulator/"):
            route = ROUTES[0]  # leave the test knobs alone
        segments = []
        for segment in route.segments:
            if segment.startswith("{"):
                segment = draw(st.sampled_from([*HOSTILE, scratch, scratch, "ref-0"]))
            segments.append(segment)
        path = "/" + "/".join(segments)
        method = (
            route.method
            if draw(st.integers(0, 4))
            else draw(st.sampled_from(["GET", "POST", "DELETE"]))
        )
    raw = draw(st.integers(0, 9)) == 0
    body: Any = draw(st.binary(max_size=64)) if raw else draw(bodies)
    query = draw(st.sampled_from(["", "?async=1", "?async=true", "?pageSize=-1", "?%zz=1"]))
    assert protected not in path
    return method, path + query, body, raw


def _run_fuzz(max_examples: int) -> None:
    with Emulator() as emu:
        transport = httpx.ASGITransport(app=emu.app)
        origin = emu.endpoint.split("/v1/")[0]

        async def setup() -> tuple[str, str, list[Any]]:
            async with httpx.AsyncClient(
                transport=transport, base_url=origin, auth=(API_KEY, "")
            ) as api:
                ids = []
                for name in ("protected", "scratch"):
                    answer = await api.post("/v1/nucleus/dataset/create", json={"name": name})
                    ids.append(answer.json()["dataset_id"])
                items = [
                    {"reference_id": f"ref-{i}", "image_url": f"s3://b/{i}.jpg"} for i in range(5)
                ]
                for ds in ids:
                    await api.post(f"/v1/nucleus/dataset/{ds}/append", json={"items": items})
                return ids[0], ids[1], _snapshot(emu, ids[0])

        protected, scratch, before = asyncio.run(setup())

        @settings(
            max_examples=max_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(
            request=requests(protected, scratch), key=st.sampled_from([API_KEY, OTHER_KEY, None])
        )
        def fuzz(request: tuple[str, str, Any, bool], key: str | None) -> None:
            method, path, body, raw = request

            async def send() -> httpx.Response:
                async with httpx.AsyncClient(
                    transport=transport, base_url=origin, auth=(key, "") if key else None
                ) as client:
                    content = body if raw else json.dumps(body).encode()
                    return await client.request(
                        method, path, content=content, headers={"content-type": "application/json"}
                    )

            response = asyncio.run(send())
            assert response.status_code < 500, (method, path, body, response.text[:300])
            response.json()  # always JSON

        fuzz()
        emu.jobs.wait_idle(10)
        assert _snapshot(emu, protected) == before, "the fuzz changed a dataset it never named"


def _snapshot(emu: Emulator, dataset_id: str) -> list[Any]:
    return [
        (r.reference_id, r.image_url, r.metadata)
        for r in emu.state.store.items.in_dataset(dataset_id)
    ]


def test_fuzz_routes_quick() -> None:
    _run_fuzz(250)


@pytest.mark.slow
def test_fuzz_routes_long() -> None:
    _run_fuzz(1200)
