"""An ingestion killed with SIGKILL resumes from its journal: every item once, little resent.

A subprocess appends 50,000 items from a generator to a dataset of the served emulator with
``journal=``; the test kills it (SIGKILL: no cleanup, no flush) when the server holds a seeded
random share of the items, and runs it again, several times, then lets a last run finish. The
server then holds every item exactly once, and counted at the server, the runs together sent
at most one batch more than the upload has, per crash (one request in flight at a time, so at
most one batch can land without its journal line).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_helpers import API_KEY, make_client, stored_refs, wait_until

from nucleus_emulator import Emulator

ITEMS = 50_000
BATCH = 250
BATCHES = ITEMS // BATCH
CRASHES = 3
SEED = 1212

INGEST = f"""
import sys, anyio, nucleus_async
from nucleus_async import DatasetItem

endpoint, dataset_id, journal = sys.argv[1:4]

def items():
    for i in range({ITEMS}):
        yield DatasetItem(image_location=f"s3://bucket/{{i}}.jpg", reference_id=f"item-{{i}}")

async def main():
    async with nucleus_async.NucleusClient(
        "{API_KEY}", endpoint=endpoint, max_concurrency=1, progress=False
    ) as client:
        dataset = await client.get_dataset(dataset_id)
        await dataset.append(items(), batch_size={BATCH}, journal=journal)

anyio.run(main)
"""


def _start(script: Path, served: str, dataset_id: str, journal: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, str(script), served, dataset_id, str(journal)],
        env=env,
        stderr=subprocess.PIPE,
    )


def _appends(emu: Emulator) -> int:
    return sum(n for route, n in emu.stats.by_route.items() if route.endswith("/append"))


@pytest.mark.slow
async def test_sigkilled_ingestion_resumes_and_stores_every_item_once(
    emu: Emulator, served: str, tmp_path: Path
) -> None:
    script = tmp_path / "ingest.py"
    script.write_text(INGEST)
    journal = tmp_path / "ingest.journal"
    async with make_client(served) as client:
        dataset = await client.create_dataset("resumable", is_scene=False)
    emu.stats.reset()
    rng = random.Random(SEED)
    # Kill points: increasing shares of the upload, so each re-run makes progress first.
    shares = sorted(rng.uniform(0.1, 0.9) for _ in range(CRASHES))
    for share in shares:
        process = _start(script, served, dataset.id, journal)
        try:
            # Appends counted at the server (cheaper to poll than the stored rows).
            reached = wait_until(
                lambda share=share, process=process: (
                    _appends(emu) >= share * BATCHES or process.poll() is not None
                ),
                timeout=300,
            )
            assert reached and process.poll() is None, "the run ended before its kill point"
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait()
        assert process.returncode == -signal.SIGKILL
    process = _start(script, served, dataset.id, journal)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr.decode()[-2000:]

    stored = stored_refs(emu, dataset.id)
    assert len(stored) == len(set(stored)) == ITEMS
    appends = _appends(emu)
    assert BATCHES <= appends <= BATCHES + CRASHES, appends


def test_a_rerun_of_a_finished_upload_sends_nothing(
    emu: Emulator, served: str, tmp_path: Path
) -> None:
    """The journal of a finished upload skips every batch; the result is the recorded one."""
    import nucleus_sync

    journal = tmp_path / "done.journal"
    items = [
        nucleus_sync.DatasetItem(image_location=f"s3://b/{i}.jpg", reference_id=f"r-{i}")
        for i in range(100)
    ]
    with nucleus_sync.NucleusClient(API_KEY, endpoint=served, progress=False) as client:
        dataset = client.create_dataset("twice", is_scene=False)
        first = dataset.append(items, batch_size=10, journal=journal)
        emu.stats.reset()
        second = dataset.append(items, batch_size=10, journal=journal)
    assert first.new_items == second.new_items == 100
    assert not any(route.endswith("/append") for route in emu.stats.by_route)
