"""An ingestion killed with SIGKILL resumes from its journal: every item once, little resent.

A subprocess appends 50,000 items from a generator to a dataset of the served emulator with
``journal=`` at the default ``max_concurrency`` (16 requests in flight); the test kills it
(SIGKILL: no cleanup, no flush) when the server holds a seeded random share of the items, waits
for the server to finish the requests the killed run had sent, and runs it again, several
times, then lets a last run finish. The server then holds every item exactly once, and counted
at the server, the runs together sent at most one batch more than the upload has, per crash:
the batches in flight at a crash are in doubt in the journal, and the re-run sends again only
those the service does not hold.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import API_KEY, make_client, remote_items, stored_refs, wait_until

from nucleus_async import JournalRecord, UploadError
from nucleus_async._upload.journal import UploadJournal
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
        "{API_KEY}", endpoint=endpoint, progress=False
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
        # A probe sees what the service stored, not what it still queues: the killed run's
        # requests are over before the next run starts (as a restarted job finds them).
        assert wait_until(lambda: emu.stats.in_flight == 0, timeout=60)
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


class LosesLandedRecords:
    """The file journal, except that no batch's landing is recorded: a crash after every send."""

    def __init__(self, journal: UploadJournal) -> None:
        self._journal = journal

    async def lookup(self, key: str) -> JournalRecord | None:
        return await self._journal.lookup(key)

    async def record_in_doubt(self, key: str) -> None:
        await self._journal.record_in_doubt(key)

    async def record_landed(self, key: str, answer: Any) -> None:
        raise OSError("the process died before recording this")


async def test_batches_in_doubt_that_landed_are_not_sent_again(
    emu: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "doubt.journal"
    items = remote_items(100)
    async with make_client(emu.endpoint, emulator=emu) as client:
        dataset = await client.create_dataset("in doubt", is_scene=False)
        journal = await UploadJournal.open(path)
        with pytest.raises(UploadError):
            await dataset.append(items, batch_size=10, journal=LosesLandedRecords(journal))
        await journal.aclose()
        emu.stats.reset()
        again = await dataset.append(items, batch_size=10, journal=path)
    assert not any(route.endswith("/append") for route in emu.stats.by_route)
    # Found stored, they count as a resend would have counted them.
    assert (again.new_items, again.ignored_items) == (0, 100)
    assert sorted(stored_refs(emu, dataset.id)) == sorted(item.reference_id for item in items)


async def test_batches_in_doubt_that_did_not_land_are_sent(emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "failed.journal"
    items = remote_items(100)
    async with make_client(emu.endpoint, emulator=emu, max_attempts=1) as client:
        dataset = await client.create_dataset("not landed", is_scene=False)
        emu.configure_faults(rate=1.0, kinds="500", path_pattern="/append$")
        with pytest.raises(UploadError):
            await dataset.append(items, batch_size=10, journal=path)
        emu.configure_faults(rate=0.0)
        in_doubt = await UploadJournal.open(path)
        assert len(in_doubt) == 0 and path.stat().st_size > 0
        again = await dataset.append(items, batch_size=10, journal=path)
    assert (again.new_items, again.ignored_items) == (100, 0)
    assert sorted(stored_refs(emu, dataset.id)) == sorted(item.reference_id for item in items)
