"""Payload builders shared by the annotation, prediction, model and export tests (raw JSON)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx


def box(ref: str, ann: str, label: str = "car", x: float = 0, **extra: Any) -> dict[str, Any]:
    return {
        "label": label,
        "type": "box",
        "geometry": {"x": x, "y": 0, "width": 10, "height": 10},
        "reference_id": ref,
        "annotation_id": ann,
        "metadata": {},
        "embedding_vector": None,
        "track_reference_id": None,
        "task_id": None,
        **extra,
    }


def category(ref: str, label: str, taxonomy: str | None = None, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "label": label,
        "type": "category",
        "geometry": {},
        "reference_id": ref,
        "metadata": {},
        "track_reference_id": None,
        "task_id": None,
        **extra,
    }
    if taxonomy is not None:
        payload["taxonomy_name"] = taxonomy
    return payload


def mask(ref: str, url: str = "s3://bucket/mask.png", ann: str | None = None) -> dict[str, Any]:
    return {
        "type": "mask",
        "mask_url": url,
        "annotations": [{"label": "sky", "index": 1}],
        "annotation_id": ann,
        "reference_id": ref,
    }


async def annotate(
    api: httpx.AsyncClient, ds: str, annotations: list[Any], update: bool = False, **extra: Any
) -> dict[str, Any]:
    response = await api.post(
        f"dataset/{ds}/annotate", json={"update": update, "annotations": annotations, **extra}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def signed_upload(api: httpx.AsyncClient, ds: str, lines: list[Any]) -> str:
    request_id = uuid.uuid4().hex
    signed = await api.get(f"dataset/{ds}/signedUrl/{request_id}")
    assert signed.status_code == 200, signed.text
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    async with httpx.AsyncClient(transport=api._transport) as anonymous:
        put = await anonymous.put(signed.json()["signed_url"], content=body)
    assert put.status_code == 200
    return request_id


async def create_model(api: httpx.AsyncClient, name: str = "m", ref: str = "m-ref") -> str:
    response = await api.post(
        "models/add", json={"name": name, "reference_id": ref, "metadata": {"v": 1}}
    )
    assert response.status_code == 200, response.text
    model_id: str = response.json()["model_id"]
    return model_id
