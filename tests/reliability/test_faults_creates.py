"""Creates under faults that strike after the commit: never a second object, never silence.

Each create meets "dropped after the commit" (the connection is cut once the handler
committed) and "500 after the commit" (the handler committed, the answer is a 500). The
service then holds exactly one object, and the caller gets an ``OutcomeUnknownError`` that
names it (``candidates``) or, for a job start, the route that may have started it. A fault that
strikes *before* the commit (500, 503, a cut before the handler) is retried: the caller gets
its object, and the service holds one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from reliability_helpers import API_KEY, RecordingSleep, make_client, remote_items

import nucleus_async
from nucleus_async import OutcomeUnknownError
from nucleus_emulator import Emulator
from nucleus_emulator.faults import AFTER_COMMIT_KINDS

SEED = 7


def _fault_once(emu: Emulator, kind: str, path_pattern: str) -> None:
    emu.configure_faults(
        rate=1.0, kinds=[kind], seed=SEED, path_pattern=path_pattern, reset_counters=True
    )


def _datasets(emu: Emulator) -> list[str]:
    return [row.id for row in emu.state.store.datasets.owned_by(API_KEY)]


def _models(emu: Emulator) -> list[str]:
    return [row.id for row in emu.state.store.models.owned_by(API_KEY)]


@pytest.mark.parametrize("kind", AFTER_COMMIT_KINDS)
async def test_create_dataset_after_the_commit_leaves_one_and_names_it(
    emu: Emulator, kind: str
) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        _fault_once(emu, kind, r"dataset/create$")
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.create_dataset("cars", is_scene=False)
        emu.configure_faults(rate=0.0)
    created = _datasets(emu)
    assert len(created) == 1
    assert caught.value.candidates == (created[0],)
    assert "dataset 'cars' may have been created" in str(caught.value)
    assert created[0] in str(caught.value)


@pytest.mark.parametrize("kind", AFTER_COMMIT_KINDS)
async def test_create_model_after_the_commit_leaves_one_and_names_it(
    emu: Emulator, kind: str
) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        _fault_once(emu, kind, r"models/add$")
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.create_model("resnet", "resnet-v1")
        emu.configure_faults(rate=0.0)
    created = _models(emu)
    assert len(created) == 1
    assert caught.value.candidates == (created[0],)


@pytest.mark.parametrize("kind", AFTER_COMMIT_KINDS)
async def test_create_slice_after_the_commit_leaves_one_and_names_it(
    emu: Emulator, kind: str
) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset = await client.create_dataset("with-slices", is_scene=False)
        await dataset.append(remote_items(3, "s"))
        _fault_once(emu, kind, r"create_slice$")
        with pytest.raises(OutcomeUnknownError) as caught:
            await dataset.create_slice("foggy", ["s-0", "s-1"])
        emu.configure_faults(rate=0.0)
    slices = emu.state.store.slices.ids_of_dataset(dataset.id)
    assert len(slices) == 1
    assert caught.value.candidates == (slices[0],)


async def _start_custom_index(client: nucleus_async.NucleusClient, ds: Any) -> Any:
    return await ds.create_custom_index(["s3://bucket/embeddings.json"], 3)


async def _build_slice(client: nucleus_async.NucleusClient, ds: Any) -> Any:
    return await ds.build_slice("sampled", 2, "Random")


JOB_STARTS: dict[str, tuple[str, Callable[..., Awaitable[Any]]]] = {
    "build_slice": (r"build_slice$", _build_slice),
    "create_custom_index": (r"^/v1/nucleus/indexing/[^/]+$", _start_custom_index),
}


@pytest.mark.parametrize("kind", AFTER_COMMIT_KINDS)
@pytest.mark.parametrize("start", sorted(JOB_STARTS))
async def test_a_job_start_after_the_commit_is_sent_once_and_says_so(
    emu: Emulator, kind: str, start: str
) -> None:
    pattern, call = JOB_STARTS[start]
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset = await client.create_dataset("jobs", is_scene=False)
        await dataset.append(remote_items(3, "j"))
        before = len(emu.state.store.jobs.owned_by(API_KEY, show_completed=True))
        _fault_once(emu, kind, pattern)
        with pytest.raises(OutcomeUnknownError) as caught:
            await call(client, dataset)
        emu.configure_faults(rate=0.0)
    after = len(emu.state.store.jobs.owned_by(API_KEY, show_completed=True))
    assert after == before + 1  # one job started, not two
    assert "may have been processed" in str(caught.value)


@pytest.mark.parametrize("kind", ["500", "503", "drop_before"])
async def test_a_create_failed_before_the_commit_is_sent_again_and_returned(
    emu: Emulator, kind: str
) -> None:
    def faults_off(_: int) -> None:
        emu.configure_faults(rate=0.0)

    sleep = RecordingSleep(on_sleep=faults_off)
    async with make_client(emu.endpoint, emulator=emu, sleep=sleep) as client:
        _fault_once(emu, kind, r"dataset/create$")
        dataset = await client.create_dataset("retried", is_scene=False)
    assert _datasets(emu) == [dataset.id]
    assert sleep.retries == 1


async def test_an_existing_namesake_is_named_never_returned_as_the_new_one(
    emu: Emulator,
) -> None:
    async with make_client(emu.endpoint, emulator=emu) as client:
        older = await client.create_dataset("daily", is_scene=False)
        _fault_once(emu, "drop_after", r"dataset/create$")
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.create_dataset("daily", is_scene=False)
        emu.configure_faults(rate=0.0)
    both = _datasets(emu)
    assert len(both) == 2
    assert set(caught.value.candidates) == set(both) and older.id in both


async def test_create_dataset_through_the_served_emulator_after_the_commit(
    emu: Emulator, served: str
) -> None:
    async with make_client(served) as client:
        _fault_once(emu, "drop_after", r"dataset/create$")
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.create_dataset("served", is_scene=False)
        emu.configure_faults(rate=0.0)
    created = _datasets(emu)
    assert len(created) == 1 and caught.value.candidates == (created[0],)
