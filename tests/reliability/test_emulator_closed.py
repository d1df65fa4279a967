"""The served emulator lets no one in where they don't belong.

A custom index reads ``file://`` URLs only in the emulator's blob store and the folders the
operator named at start-up; exported files are for the key whose job wrote them; the control
routes need an accepted key once the operator restricted the keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from reliability_helpers import API_KEY, OTHER_KEY, make_client, remote_items

from nucleus_emulator import Emulator


def _embeddings(path: Path, n: int) -> str:
    path.write_text(
        json.dumps([{"reference_id": f"e-{i}", "embedding_vector": [1.0, 0.0]} for i in range(n)])
    )
    return path.as_uri()


async def _index_status(served: str, url: str) -> str:
    async with make_client(served) as client:
        dataset = await client.create_dataset("index", is_scene=False)
        await dataset.append(remote_items(2, "e"))
        job = await dataset.create_custom_index([url], 2)
        await job.wait_until_complete(raise_on_error=False)
        status = await job.status()
        return str(status["status"])


@pytest.fixture
def named_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "allowed"
    folder.mkdir()
    return folder


@pytest.fixture
def open_emu(named_folder: Path) -> Iterator[Emulator]:
    with Emulator(readable_folders=[named_folder]) as emulator:
        yield emulator


async def test_a_custom_index_reads_a_named_folder(open_emu: Emulator, named_folder: Path) -> None:
    with open_emu.serve() as served:
        status = await _index_status(served, _embeddings(named_folder / "e.json", 2))
    assert status == "Completed"


async def test_a_custom_index_cannot_read_other_host_files(
    open_emu: Emulator, tmp_path: Path
) -> None:
    outside = _embeddings(tmp_path / "outside.json", 2)  # beside the named folder, not in it
    escape = (tmp_path / "allowed" / ".." / "outside.json").as_uri()
    with open_emu.serve() as served:
        for url in (outside, escape, "file:///etc/passwd"):
            assert await _index_status(served, url) == "Errored_User", url


async def test_an_exported_file_is_for_its_owner_only(emu: Emulator, served: str) -> None:
    async with make_client(served) as client:
        dataset = await client.create_dataset("exported", is_scene=False)
        await dataset.append(remote_items(2, "x"))
        job = await dataset.export_embeddings(asynchronous=True)
        await job.wait_until_complete()
        url = (await job.status())["message"]["result"][0]
    owner = httpx.get(url, auth=(API_KEY, ""))
    assert owner.status_code == 200
    assert httpx.get(url).status_code == 401  # no key
    assert httpx.get(url, auth=(OTHER_KEY, "")).status_code == 404  # another key


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_emulator/faults"),
        ("POST", "/_emulator/faults"),
        ("GET", "/_emulator/stats"),
        ("POST", "/_emulator/stats/reset"),
    ],
)
def test_control_routes_need_an_accepted_key_when_keys_are_restricted(
    method: str, path: str
) -> None:
    with Emulator(accepted_keys=[API_KEY]) as emu, emu.serve() as endpoint:
        origin = endpoint.split("/v1/")[0]
        body = {} if method == "POST" else None
        anonymous = httpx.request(method, origin + path, json=body)
        stranger = httpx.request(method, origin + path, json=body, auth=(OTHER_KEY, ""))
        member = httpx.request(method, origin + path, json=body, auth=(API_KEY, ""))
    assert anonymous.status_code == stranger.status_code == 401
    assert member.status_code == 200


def test_control_routes_stay_open_when_any_key_is_accepted(emu: Emulator, served: str) -> None:
    origin = served.split("/v1/")[0]
    assert httpx.get(origin + "/_emulator/stats").status_code == 200
