"""Helpers for the scene, slice, indexing and autotag tests (raw httpx, no SDK)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx


def ndjson(payloads: list[Any]) -> bytes:
    return "".join(json.dumps(p) + "\n" for p in payloads).encode()


async def upload(api: httpx.AsyncClient, ds: str, data: bytes) -> tuple[str, str]:
    """Signed-URL steps 1 and 2: returns (request id, signed URL)."""
    request_id = uuid.uuid4().hex
    signed = await api.get(f"dataset/{ds}/signedUrl/{request_id}")
    assert signed.status_code == 200, signed.text
    url: str = signed.json()["signed_url"]
    async with httpx.AsyncClient(transport=api._transport) as anonymous:
        put = await anonymous.put(url, content=data)
    assert put.status_code == 200, put.text
    return request_id, url


def scene_item(ref: str, kind: str = "image", **extra: Any) -> dict[str, Any]:
    ext = "jpg" if kind == "image" else "json"
    return {
        "metadata": {},
        "reference_id": ref,
        "url": f"s3://bucket/{ref}.{ext}",
        "type": kind,
        **extra,
    }


def lidar_scene(ref: str, frames: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "reference_id": ref,
        "frames": [
            {
                "lidar": scene_item(f"{ref}-lidar-{i}", "pointcloud"),
                "cam": scene_item(f"{ref}-cam-{i}"),
            }
            for i in range(frames)
        ],
        **extra,
    }


def video_scene(ref: str, frames: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "reference_id": ref,
        "frame_rate": 10,
        "upload_to_scale": True,
        "frames": [scene_item(f"{ref}-{i}") for i in range(frames)],
        **extra,
    }


async def create_scene_dataset(api: httpx.AsyncClient, name: str = "scenes") -> str:
    response = await api.post("dataset/create", json={"name": name, "is_scene": True})
    assert response.status_code == 200, response.text
    dataset_id: str = response.json()["dataset_id"]
    return dataset_id


async def create_slice(api: httpx.AsyncClient, ds: str, name: str, refs: list[str]) -> str:
    response = await api.post(
        f"dataset/{ds}/create_slice", json={"name": name, "reference_ids": refs}
    )
    assert response.status_code == 200, response.text
    slice_id: str = response.json()["slice_id"]
    return slice_id


async def job_status(api: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    response = await api.get(f"job/{job_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
