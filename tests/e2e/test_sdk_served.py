"""End to end over TCP: the SDK (both faces) against the emulator served on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import nucleus_async
from nucleus_emulator import Emulator

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with Emulator() as emu, emu.serve() as endpoint:
        assert endpoint.startswith("http://127.0.0.1:")
        yield endpoint


def items(n: int, prefix: str) -> list[nucleus_async.DatasetItem]:
    return [
        nucleus_async.DatasetItem(f"https://example.com/{prefix}/{i}.jpg", f"{prefix}-{i}")
        for i in range(n)
    ]


async def test_async_face_over_tcp(served: str, tmp_path: Path) -> None:
    image = tmp_path / "cat.jpg"
    image.write_bytes(b"\xff\xd8\xff" + b"0" * 1000)
    async with nucleus_async.NucleusClient("e2e-key", endpoint=served, progress=False) as client:
        dataset = await client.create_dataset("tcp", is_scene=False)
        local = nucleus_async.DatasetItem(str(image), "local-cat")
        response = await dataset.append([*items(60, "remote"), local])
        assert response.new_items == 61
        job = await dataset.append(items(40, "async"), asynchronous=True)
        assert (await job.wait_until_complete(timeout=30))["status"] == "Completed"
        refs = [item.reference_id async for item in dataset.items_generator(page_size=25)]
        assert len(refs) == 101 and refs[0] == "remote-0"
        assert (await dataset.refloc("local-cat"))["item"].image_location == str(image)
        await client.delete_dataset(dataset.id)


def test_sync_face_over_tcp(served: str) -> None:
    import nucleus_sync

    with nucleus_sync.NucleusClient("e2e-sync-key", endpoint=served, progress=False) as client:
        dataset = client.create_dataset("tcp-sync", is_scene=False)
        assert dataset.append(items(45, "s")).new_items == 45
        job = dataset.append(items(5, "sa"), asynchronous=True)
        job.sleep_until_complete()
        assert len(list(dataset.items_generator(page_size=10))) == 50
        assert dataset.info().length == 50


def test_environment_configuration_reaches_the_served_emulator(
    served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nucleus_sync

    monkeypatch.setenv("NUCLEUS_API_KEY", "env-key")
    monkeypatch.setenv("NUCLEUS_ENDPOINT", served)
    with nucleus_sync.NucleusClient(progress=False) as client:
        assert client.endpoint == served
        dataset = client.create_dataset("from-env", is_scene=False)
        assert dataset.info().name == "from-env"
