"""The pytest plugin as a user meets it: nothing of the project is imported, only fixtures."""

from __future__ import annotations

import os
import time


def test_sync_client_fixture_talks_to_a_fresh_emulator(nucleus_sync_client):  # type: ignore[no-untyped-def]
    dataset = nucleus_sync_client.create_dataset("plugin", is_scene=False)
    assert dataset.info().length == 0
    assert [d.id for d in nucleus_sync_client.list_datasets()] == [dataset.id]


def test_each_test_gets_its_own_emulator(nucleus_sync_client):  # type: ignore[no-untyped-def]
    assert nucleus_sync_client.list_datasets() == []


async def test_async_client_fixture(nucleus_async_client):  # type: ignore[no-untyped-def]
    dataset = await nucleus_async_client.create_dataset("plugin-async", is_scene=False)
    info = await dataset.info()
    assert info.name == "plugin-async"


def test_latency_fixture_slows_answers(nucleus_sync_client, nucleus_latency):  # type: ignore[no-untyped-def]
    nucleus_latency(0.2)
    started = time.perf_counter()
    nucleus_sync_client.list_datasets()
    assert time.perf_counter() - started >= 0.2


def test_env_fixture_points_the_environment_at_a_served_emulator(nucleus_env):  # type: ignore[no-untyped-def]
    assert os.environ["NUCLEUS_ENDPOINT"] == nucleus_env
    assert nucleus_env.startswith("http://127.0.0.1:")
