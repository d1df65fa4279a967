"""The upload journal: crash-consistent lines, in doubt then landed, torn tails ignored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from nucleus_async import BatchJournal, JournalRecord, ValidationError
from nucleus_async._upload.journal import UploadJournal, batch_key, journal_at


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


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


async def test_a_batch_is_written_in_doubt_then_landed_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "j"
    journal = await UploadJournal.open(path)
    await journal.record_in_doubt("k1")
    assert await journal.lookup("k1") == JournalRecord(landed=False)
    await journal.record_landed("k1", {"new_items": 2})
    await journal.aclose()

    assert lines(path) == [
        {"key": "k1", "in_doubt": True},
        {"key": "k1", "answer": {"new_items": 2}},
    ]


async def test_a_reopened_journal_knows_landed_in_doubt_and_unknown_batches(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j"
    journal = await UploadJournal.open(path)
    await journal.record_in_doubt("landed")
    await journal.record_landed("landed", {"new_items": 2})
    await journal.record_in_doubt("in-flight")
    await journal.aclose()

    again = await UploadJournal.open(path)
    assert await again.lookup("landed") == JournalRecord(landed=True, answer={"new_items": 2})
    assert await again.lookup("in-flight") == JournalRecord(landed=False)
    assert await again.lookup("never-sent") is None
    assert len(again) == 1


async def test_a_landed_line_wins_over_an_in_doubt_line_written_after_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j"
    path.write_text('{"key":"k","answer":1}\n{"key":"k","in_doubt":true}\n')
    journal = await UploadJournal.open(path)
    assert await journal.lookup("k") == JournalRecord(landed=True, answer=1)


async def test_a_journal_of_landed_lines_only_still_reads(tmp_path: Path) -> None:
    """The format before in-doubt lines: every line is a landed batch."""
    path = tmp_path / "j"
    path.write_text('{"key":"k1","answer":{"new_items":2}}\n')
    journal = await UploadJournal.open(path)
    assert await journal.lookup("k1") == JournalRecord(landed=True, answer={"new_items": 2})


async def test_a_torn_last_line_is_ignored_and_the_next_line_starts_fresh(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j"
    line = json.dumps({"key": "k1", "answer": 1}) + "\n"
    path.write_text(line + '{"key": "k2", "in_do')  # a crash in the middle of a write
    journal = await UploadJournal.open(path)
    assert await journal.lookup("k2") is None
    await journal.record_landed("k3", 3)
    await journal.aclose()

    reread = await UploadJournal.open(path)
    assert await reread.lookup("k1") == JournalRecord(landed=True, answer=1)
    assert await reread.lookup("k2") is None
    assert await reread.lookup("k3") == JournalRecord(landed=True, answer=3)
    assert len(reread) == 2


async def test_records_made_at_once_share_flushes_and_each_is_one_whole_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "j"
    journal = await UploadJournal.open(path)
    flushes: list[int] = []
    append = journal._append

    def counting_append(data: bytes) -> None:
        flushes.append(data.count(b"\n"))
        append(data)

    monkeypatch.setattr(journal, "_append", counting_append)
    async with anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(journal.record_landed, f"k{i}", {"n": i})
    await journal.aclose()

    assert sorted(record["answer"]["n"] for record in lines(path)) == list(range(50))
    assert sum(flushes) == 50 and len(flushes) < 50  # a group commit, not an fsync per line


async def test_a_path_opens_the_file_journal_and_an_object_is_used_as_given(
    tmp_path: Path,
) -> None:
    mine = await UploadJournal.open(tmp_path / "mine")
    async with journal_at(tmp_path / "j") as opened:
        assert isinstance(opened, UploadJournal) and opened.path == tmp_path / "j"
    async with journal_at(mine) as given:
        assert given is mine
    assert isinstance(mine, BatchJournal)


async def test_a_journal_that_is_neither_a_path_nor_a_journal_is_refused() -> None:
    with pytest.raises(ValidationError, match="journal"):
        async with journal_at(42):  # type: ignore[arg-type]
            pass
