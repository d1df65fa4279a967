"""Datasets and items through both faces against the in-process emulator."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest

import nucleus_async as nucleus
from nucleus_emulator import Emulator


def remote_items(n: int, prefix: str = "img") -> list[nucleus.DatasetItem]:
    return [
        nucleus.DatasetItem(
            image_location=f"https://example.com/{prefix}/{i}.jpg",
            reference_id=f"{prefix}-{i}",
            metadata={"i": i},
        )
        for i in range(n)
    ]


def local_items(folder: Path, n: int) -> list[nucleus.DatasetItem]:
    items = []
    for i in range(n):
        path = folder / f"local-{i}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([i]) * 64)
        items.append(nucleus.DatasetItem(image_location=str(path), reference_id=f"local-{i}"))
    return items


async def all_items(dataset: Any, page_size: int = 100000) -> list[nucleus.DatasetItem]:
    return [item async for item in dataset.items_generator(page_size=page_size)]


async def test_create_get_info_and_delete_dataset(client: Any) -> None:
    dataset = await client.create_dataset("cars", is_scene=False)
    assert dataset.id.startswith("ds_")
    assert await dataset.name == "cars"
    same = await client.get_dataset(dataset.id)
    info = await same.info()
    assert (info.dataset_id, info.name, info.length) == (dataset.id, "cars", 0)
    listed = await client.list_datasets()
    assert dataset.id in [d.id for d in listed]
    await client.delete_dataset(dataset.id)
    with pytest.raises(nucleus.NotFoundError):
        await same.info()


async def test_create_dataset_without_is_scene_warns(aclient: nucleus.NucleusClient) -> None:
    with pytest.warns(DeprecationWarning):
        dataset = await aclient.create_dataset("legacy")
    assert await dataset.is_scene is False


async def test_a_core_warning_points_at_the_users_line_on_both_faces(
    face: str, aclient: nucleus.NucleusClient, sclient: Any
) -> None:
    def blocking_script() -> int:
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        sclient.create_dataset("legacy")
        return line

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if face == "async":
            line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
            await aclient.create_dataset("legacy")
        else:
            line = await anyio.to_thread.run_sync(blocking_script)
    [warning] = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert "create_dataset without is_scene is deprecated" in str(warning.message)
    assert (warning.filename, warning.lineno) == (__file__, line)


async def test_append_remote_items_counts_every_item(dataset: Any) -> None:
    response = await dataset.append(remote_items(95))
    assert (response.new_items, response.updated_items, response.ignored_items) == (95, 0, 0)
    assert response.upload_errors == 0
    again = await dataset.append(remote_items(95))
    assert (again.new_items, again.ignored_items) == (0, 95)
    updated = await dataset.append(remote_items(10), update=True)
    assert (updated.new_items, updated.updated_items) == (0, 10)
    assert len(await all_items(dataset)) == 95


async def test_append_batches_go_out_concurrently(
    aclient: nucleus.NucleusClient, emulator: Emulator
) -> None:
    dataset = await aclient.create_dataset("concurrent", is_scene=False)
    emulator.latency = 0.02
    emulator.stats.reset()
    response = await dataset.append(remote_items(400), batch_size=20)
    assert response.new_items == 400
    assert emulator.stats.requests >= 20
    assert emulator.stats.peak_concurrency > 1


async def test_append_local_files_uploads_them_as_multipart(dataset: Any, tmp_path: Path) -> None:
    items = local_items(tmp_path, 23) + remote_items(7)
    response = await dataset.append(items)
    assert response.new_items == 30
    stored = await dataset.refloc("local-3")
    assert stored["item"].image_location == str(tmp_path / "local-3.png")
    assert stored["annotations"] == {}


async def test_duplicate_reference_ids_are_rejected_before_any_request(
    dataset: Any, emulator: Emulator
) -> None:
    items = remote_items(3) + remote_items(1)
    emulator.stats.reset()
    with pytest.raises(ValueError, match="Duplicate reference IDs"):
        await dataset.append(items)
    assert emulator.stats.requests <= 1  # at most the privacy-mode lookup, never an upload


async def test_missing_local_file_is_rejected_before_upload(
    dataset: Any, tmp_path: Path, emulator: Emulator
) -> None:
    absent = str(tmp_path / "absent.png")
    items = [nucleus.DatasetItem(image_location=absent, reference_id="x")]
    with pytest.raises(nucleus.LocalFileNotFoundError) as caught:
        await dataset.append(items)
    assert str(caught.value) == f"[x] image_location: local file {absent!r} does not exist"
    assert isinstance(caught.value, FileNotFoundError)
    assert not isinstance(caught.value, nucleus.NucleusAPIError)  # no request was made
    assert (caught.value.filename, caught.value.obj) == (absent, "x")
    assert await all_items(dataset) == []


async def test_missing_local_files_are_counted_beyond_the_first(
    dataset: Any, tmp_path: Path
) -> None:
    items = [
        nucleus.DatasetItem(image_location=str(tmp_path / f"absent-{i}.png"), reference_id=f"x{i}")
        for i in range(3)
    ]
    with pytest.raises(FileNotFoundError, match=r"^\[x0\] .*\(and 2 more missing local file"):
        await dataset.append(items)


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_append_to_an_unknown_dataset_names_the_dataset_not_a_hidden_route(
    client: Any, asynchronous: bool
) -> None:
    dataset = await client.get_dataset("ds_nope")
    with pytest.raises(nucleus.NotFoundError) as caught:
        await dataset.append(remote_items(2), asynchronous=asynchronous)
    assert str(caught.value) == "Dataset ds_nope not found (while appending items)"


async def test_append_streams_from_a_generator_and_an_async_generator(
    aclient: nucleus.NucleusClient,
) -> None:
    dataset = await aclient.create_dataset("stream", is_scene=False)

    def generate() -> Any:
        yield from remote_items(250, "gen")

    async def agenerate() -> Any:
        for item in remote_items(150, "agen"):
            yield item

    first = await dataset.append(generate())
    second = await dataset.append(agenerate())
    assert (first.new_items, second.new_items) == (250, 150)
    assert (await dataset.info()).length == 400


async def test_streamed_duplicates_are_reported(aclient: nucleus.NucleusClient) -> None:
    dataset = await aclient.create_dataset("stream-dup", is_scene=False)
    items = iter(remote_items(5) + remote_items(1))
    with pytest.raises(nucleus.ValidationError, match="img-0"):
        await dataset.append(items)


async def test_asynchronous_append_returns_a_job_that_completes(dataset: Any) -> None:
    job = await dataset.append(remote_items(120, "async"), asynchronous=True)
    assert job.job_id.startswith("job_")
    status = await job.wait_until_complete(timeout=30)
    assert status["status"] == "Completed"
    assert await job.errors() == []
    assert len(await all_items(dataset)) == 120


async def test_asynchronous_append_refuses_local_files(dataset: Any, tmp_path: Path) -> None:
    with pytest.raises(nucleus.ValidationError, match="local path"):
        await dataset.append(local_items(tmp_path, 1), asynchronous=True)


async def test_a_streamed_asynchronous_append_refuses_local_files_and_bad_items(
    dataset: Any, tmp_path: Path
) -> None:
    # A generator takes the per-item fast path: it must refuse what a list is refused for.
    with pytest.raises(nucleus.ValidationError, match="local path"):
        await dataset.append(iter(local_items(tmp_path, 1)), asynchronous=True)
    changed = remote_items(2)
    changed[1].reference_id = ""  # changed after it was built (and checked)
    with pytest.raises(nucleus.ValidationError, match="reference_id"):
        await dataset.append(iter(changed), asynchronous=True)


async def test_items_generator_pages_with_any_page_size(dataset: Any) -> None:
    await dataset.append(remote_items(7))
    for page_size in (1, 3, 7, 100):
        refs = [item.reference_id for item in await all_items(dataset, page_size)]
        assert refs == [f"img-{i}" for i in range(7)]


async def test_refloc_iloc_loc_and_delete_item(dataset: Any) -> None:
    await dataset.append(remote_items(3))
    by_ref = await dataset.refloc("img-1")
    by_index = await dataset.iloc(1)
    assert by_ref["item"] == by_index["item"]
    item_id = by_ref["item"].dataset_item_id
    assert (await dataset.loc(item_id))["item"].reference_id == "img-1"
    await dataset.delete_item("img-1")
    with pytest.raises(nucleus.NotFoundError):
        await dataset.refloc("img-1")
    assert [i.reference_id for i in await all_items(dataset)] == ["img-0", "img-2"]


async def test_reference_ids_with_slashes_and_spaces_round_trip(dataset: Any) -> None:
    item = nucleus.DatasetItem(image_location="https://x.test/a.jpg", reference_id="dir/a b[1]")
    await dataset.append([item])
    assert (await dataset.refloc("dir/a b[1]"))["item"].reference_id == "dir/a b[1]"
    await dataset.delete_item("dir/a b[1]")
    assert await all_items(dataset) == []


async def test_update_item_metadata_merges_synchronously_and_asynchronously(dataset: Any) -> None:
    await dataset.append(remote_items(3))
    await dataset.update_item_metadata({"img-0": {"weather": "rain"}})
    item = (await dataset.refloc("img-0"))["item"]
    assert item.metadata == {"i": 0, "weather": "rain"}
    job = await dataset.update_item_metadata({"img-1": {"i": 10}}, asynchronous=True)
    await job.wait_until_complete(timeout=30)
    assert (await dataset.refloc("img-1"))["item"].metadata == {"i": 10}


async def test_too_many_synchronous_metadata_updates_are_refused(dataset: Any) -> None:
    mapping = {f"r{i}": {"k": i} for i in range(501)}
    with pytest.raises(nucleus.ValidationError, match="asynchronous=True"):
        await dataset.update_item_metadata(mapping)


async def test_jobs_are_listed_and_fetched(client: Any, dataset: Any) -> None:
    job = await dataset.append(remote_items(5), asynchronous=True)
    await job.wait_until_complete(timeout=30)
    fetched = await client.get_job(job.job_id)
    assert fetched.job_id == job.job_id
    listed = await client.list_jobs(show_completed=True, dataset_id=dataset.id)
    assert job.job_id in [j.job_id for j in listed]
    stats = await dataset.jobs(show_completed=True, stats_only=True)
    assert stats == {"uploadDatasetItems": {"Completed": 1}}
    assert [j.job_id for j in await dataset.jobs(show_completed=True)] == [job.job_id]


async def test_another_key_cannot_see_or_touch_the_dataset(
    aclient: nucleus.NucleusClient, other_client: nucleus.NucleusClient
) -> None:
    dataset = await aclient.create_dataset("mine", is_scene=False)
    await dataset.append(remote_items(2))
    theirs = await other_client.get_dataset(dataset.id)
    with pytest.raises(nucleus.NotFoundError):
        await theirs.info()
    with pytest.raises(nucleus.NotFoundError):
        await theirs.append(remote_items(1, "intruder"))
    with pytest.raises(nucleus.NotFoundError):
        await other_client.delete_dataset(dataset.id)
    assert dataset.id not in [d.id for d in await other_client.list_datasets()]
    assert (await dataset.info()).length == 2


async def test_make_request_reaches_unwrapped_routes(client: Any, dataset: Any) -> None:
    await dataset.append(remote_items(4))
    size = await client.make_request({}, f"dataset/{dataset.id}/size", "get")
    assert size == {"count": 4}
    raw = await client.make_request(None, f"dataset/{dataset.id}/name", "GET", True)
    assert raw.status_code == 200 and raw.json() == {"name": "integration"}
