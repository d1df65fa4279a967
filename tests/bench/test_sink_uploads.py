"""The sink's signed-URL uploads: stored by the PUT, parsed by the job, counted exactly."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

SINK = Path(__file__).resolve().parents[2] / "benchmarks" / "sink.py"


@pytest.fixture(scope="module")
def sink_module() -> Any:
    spec = importlib.util.spec_from_file_location("nucleus_bench_sink", SINK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def _upload(client: httpx.AsyncClient, body: bytes) -> dict[str, Any]:
    dataset = (await client.post("/v1/nucleus/dataset/create", json={"name": "d"})).json()
    ds = dataset["dataset_id"]
    signed = (await client.get(f"/v1/nucleus/dataset/{ds}/signedUrl/r1")).json()["signed_url"]
    assert (await client.put(signed, content=body)).status_code == 200
    start = f"/v1/nucleus/dataset/{ds}/append?async=1"
    started = await client.post(start, json={"requestId": "r1"})
    job: dict[str, Any] = started.json()
    return job


async def test_an_upload_job_counts_every_line_once_parsed(sink_module: Any) -> None:
    sink = sink_module.Sink(latency=0.0)
    lines = [json.dumps({"reference_id": f"r{i}", "metadata": {"i": i}}) for i in range(5000)]
    body = ("\n".join(lines) + "\n").encode()
    transport = httpx.ASGITransport(app=sink)
    async with httpx.AsyncClient(transport=transport, base_url="http://sink") as client:
        job = await _upload(client, body)
        # Answered before its file is parsed, as the service answers a job start.
        assert job["job_last_known_status"] == "Running"
        # The stats reset waits for parsing jobs: the next measurement starts on an idle sink.
        await client.post("/_emulator/stats/reset", json={})
        status = (await client.get(f"/v1/nucleus/job/{job['job_id']}")).json()
    assert status["status"] == "Completed"
    assert status["completed_steps"] == status["total_steps"] == 5000


async def test_a_malformed_line_fails_the_parse(sink_module: Any) -> None:
    sink = sink_module.Sink(latency=0.0)
    transport = httpx.ASGITransport(app=sink)
    async with httpx.AsyncClient(transport=transport, base_url="http://sink") as client:
        job = await _upload(client, b'{"reference_id": "a"}\n{not json}\n')
        parsing = sink.parsing[job["job_id"]]
        with pytest.raises(ValueError):
            await parsing
