"""Helpers shared by the emulator tests (raw httpx, no SDK)."""

from __future__ import annotations

from typing import Any

import httpx

from nucleus_emulator import Emulator

KEY = "key-alice"
OTHER_KEY = "key-bob"


def make_client(emu: Emulator, key: str | None = KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app),
        base_url=emu.endpoint + "/",
        auth=(key, "") if key is not None else None,
    )


async def create_dataset(api: httpx.AsyncClient, name: str = "ds", **options: Any) -> str:
    response = await api.post("dataset/create", json={"name": name, **options})
    assert response.status_code == 200, response.text
    dataset_id: str = response.json()["dataset_id"]
    return dataset_id


def item(ref: str, **extra: Any) -> dict[str, Any]:
    return {"reference_id": ref, "image_url": f"s3://bucket/{ref}.jpg", "metadata": {}, **extra}


async def append(
    api: httpx.AsyncClient, ds: str, items: list[dict[str, Any]], update: bool = False
) -> dict[str, Any]:
    response = await api.post(f"dataset/{ds}/append", json={"items": items, "update": update})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
