"""The sink parses what it counts: signed-URL uploads (stored by the PUT, parsed by the job)
and the bulk bodies (annotate, predictions, append), malformed JSON anywhere refused."""

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


def _bodies() -> list[tuple[str, bytes, int]]:
    box = {"label": "car", "type": "box", "geometry": {"x": 1, "y": 2, "width": 3, "height": 4}}
    boxes = [dict(box, reference_id=f"r{i}", annotation_id=f"b{i}") for i in range(30)]
    items = [{"reference_id": f"r{i}", "image_url": f"s3://b/{i}.jpg"} for i in range(12)]
    return [
        ("dataset/ds_1/annotate", json.dumps({"update": False, "annotations": boxes}).encode(), 30),
        (
            "dataset/ds_1/model/prj_1/uploadPredictions",
            json.dumps({"annotations": boxes[:5], "segmentations": boxes[:2]}).encode(),
            7,
        ),
        ("dataset/ds_1/append", json.dumps({"items": items, "update": True}).encode(), 12),
    ]


@pytest.mark.parametrize(
    ("route", "body", "count"), _bodies(), ids=["annotate", "predictions", "append"]
)
async def test_a_bulk_body_is_parsed_and_counted(
    sink_module: Any, route: str, body: bytes, count: int
) -> None:
    transport = httpx.ASGITransport(app=sink_module.Sink(latency=0.0))
    async with httpx.AsyncClient(transport=transport, base_url="http://sink") as client:
        answer = (await client.post(f"/v1/nucleus/{route}", content=body)).json()
        # A unit's JSON broken deep inside (a value that is no JSON) is refused, not counted.
        broken = body.replace(b'"y": 2', b'"y": two', 1).replace(b'"s3:', b"s3:", 1)
        assert broken != body
        with pytest.raises(ValueError, match="malformed"):
            await client.post(f"/v1/nucleus/{route}", content=broken)
    counted = {k: v for k, v in answer.items() if k.endswith(("_processed", "new_items"))}
    assert list(counted.values()) == [count]
