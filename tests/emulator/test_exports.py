"""Exports: `exportForTraining` rows and the paginated `exportForTrainingPage`."""

from __future__ import annotations

from typing import Any

import httpx
from annotation_helpers import annotate, box, category, mask
from emulator_helpers import append, item

LIST_KEYS = ("box", "polygon", "line", "keypoints", "cuboid", "category", "multicategory")


async def test_export_rows_carry_every_key(api: httpx.AsyncClient, dataset: str) -> None:
    await append(api, dataset, [item("a"), item("b")])
    await annotate(api, dataset, [box("a", "1"), category("a", "x")], segmentations=[mask("a")])
    rows = (await api.get(f"dataset/{dataset}/exportForTraining")).json()["exportedRows"]
    assert [r["item"]["reference_id"] for r in rows] == ["a", "b"]
    for row in rows:
        assert set(row) == {"item", "segmentation", *LIST_KEYS}
    assert rows[0]["box"] == [box("a", "1")]
    assert rows[0]["category"] == [category("a", "x")]
    assert rows[0]["segmentation"] == mask("a")  # one object, not a list
    assert rows[1]["segmentation"] is None
    assert all(rows[1][key] == [] for key in LIST_KEYS)


async def test_export_pages_with_real_tokens(api: httpx.AsyncClient, dataset: str) -> None:
    await append(api, dataset, [item(f"r{i}") for i in range(3)])
    await annotate(api, dataset, [box(f"r{i}", "1") for i in range(3)])
    seen: list[str] = []
    token: Any = None
    calls = 0
    while True:
        response = await api.post(
            f"dataset/{dataset}/exportForTrainingPage",
            json={
                "pageToken": token,
                "pageSize": 1,
                "query": None,
                "chip": False,
                "onlyMostRecentTask": True,
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        calls += 1
        assert len(body["data"]) == 1
        seen += [row["item"]["reference_id"] for row in body["data"]]
        assert body["data"][0]["box"][0]["reference_id"] == seen[-1]
        token = body["nextPageToken"]
        if not token:
            break
    assert seen == ["r0", "r1", "r2"]
    assert calls == 3


async def test_only_most_recent_task_filters_older_task_annotations(
    api: httpx.AsyncClient, dataset: str
) -> None:
    await append(api, dataset, [item("a")])
    await annotate(
        api,
        dataset,
        [box("a", "1", task_id="old"), box("a", "2", task_id="new"), box("a", "3")],
    )
    url = f"dataset/{dataset}/exportForTrainingPage"
    recent = (await api.post(url, json={"onlyMostRecentTask": True})).json()["data"][0]
    assert [b["annotation_id"] for b in recent["box"]] == ["2", "3"]
    every = (await api.post(url, json={"onlyMostRecentTask": False})).json()["data"][0]
    assert [b["annotation_id"] for b in every["box"]] == ["1", "2", "3"]


async def test_bad_export_requests(
    api: httpx.AsyncClient, other: httpx.AsyncClient, dataset: str
) -> None:
    url = f"dataset/{dataset}/exportForTrainingPage"
    assert (await api.post(url, json={"pageToken": "garbage"})).status_code == 400
    assert (await api.post(url, json={"query": "metadata.x = 1"})).status_code == 400
    assert (await api.post(url, json={"pageSize": 0})).status_code == 400
    assert (await other.post(url, json={})).status_code == 404
    assert (await other.get(f"dataset/{dataset}/exportForTraining")).status_code == 404
