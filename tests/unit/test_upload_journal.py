"""The upload journal: crash-consistent lines, torn tails ignored, landed batches skipped."""

from __future__ import annotations

import json
from pathlib import Path

from nucleus_async._upload.journal import UploadJournal, batch_key


def test_batch_keys_differ_by_route_lane_ordinal_and_units() -> None:
    base = batch_key("dataset/a/append", 0, 0, ["r1", "r2"])
    assert base == batch_key("dataset/a/append", 0, 0, ["r1", "r2"])
    others = {
        batch_key("dataset/b/append", 0, 0, ["r1", "r2"]),
        batch_key("dataset/a/append", 1, 0, ["r1", "r2"]),
        batch_key("dataset/a/append", 0, 1, ["r1", "r2"]),
        batch_key("dataset/a/append", 0, 0, ["r1r2"]),
    }
    assert base not in others and len(others) == 4


async def test_recorded_batches_are_landed_for_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "j"
    journal = await UploadJournal.open(path)
    await journal.record("k1", {"new_items": 2})
    await journal.aclose()
    again = await UploadJournal.open(path)
    assert again.landed("k1") and not again.landed("k2")
    assert again.answer("k1") == {"new_items": 2}


async def test_a_torn_last_line_is_ignored_and_the_next_line_starts_fresh(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j"
    line = json.dumps({"key": "k1", "answer": 1}) + "\n"
    path.write_text(line + '{"key": "k2", "ans')  # a crash in the middle of a write
    journal = await UploadJournal.open(path)
    assert journal.landed("k1") and not journal.landed("k2")
    await journal.record("k3", 3)
    await journal.aclose()
    reread = await UploadJournal.open(path)
    assert reread.landed("k1") and reread.landed("k3") and not reread.landed("k2")
    assert len(reread) == 2
