"""The upload journal of one Ray write: a Ray actor that every write task of the write shares.

``NucleusDatasink`` starts one named actor per write (``on_write_start``, on the driver) and
kills it when the write ends (``on_write_complete``/``on_write_failed``). Each write task
uploads with a :class:`TaskJournal` over it, a ``nucleus_async.BatchJournal``: the batches the
task sends are recorded there in doubt and landed, in the actor's memory, which outlives a
failed attempt of the task and even its worker process. When Ray retries the task, the new
attempt forms the same batches from the same rows; it skips those an earlier attempt landed
(folding their recorded answers) and probes those it left in doubt.

A batch's key digests its reference ids; the task's index within the write (stable across
Ray's retries of the task, which re-run it with the same arguments) is put in front, so two
tasks whose rows share reference ids (annotations of one item in two blocks) never take each
other's batches for their own.

Each record is one actor call, awaited before the upload goes on (three per batch: a lookup,
in doubt, landed); the records live as long as the write, not beyond: a write that failed and
is run again starts from an empty journal.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

import ray
from ray.actor import ActorHandle

from nucleus_async import JournalRecord

__all__ = ["JournalKeeper", "TaskJournal", "end_write_journal", "start_write_journal"]


class _JournalKeeper:
    """The actor: every batch record of one write, by key."""

    def __init__(self) -> None:
        self._records: dict[str, JournalRecord] = {}

    def lookup(self, key: str) -> JournalRecord | None:
        return self._records.get(key)

    def record_in_doubt(self, key: str) -> None:
        self._records.setdefault(key, JournalRecord(landed=False))

    def record_landed(self, key: str, answer: Any) -> None:
        self._records[key] = JournalRecord(landed=True, answer=answer)


#: A handle on the journal actor of one write (it travels to the write tasks).
JournalKeeper = ActorHandle[_JournalKeeper]

# No CPU: the keeper only answers calls, and must never wait for a slot the write tasks hold.
_Keeper = ray.remote(num_cpus=0, max_restarts=0)(_JournalKeeper)


def start_write_journal() -> JournalKeeper:
    """A new journal actor for one write, named ``nucleus-journal-<uuid>``."""
    keeper = _Keeper.options(name=f"nucleus-journal-{uuid.uuid4().hex}").remote()
    return cast(JournalKeeper, keeper)


def end_write_journal(keeper: JournalKeeper) -> None:
    """End the write's journal actor (its records are of no use after the write)."""
    ray.kill(keeper, no_restart=True)


class TaskJournal:
    """The ``BatchJournal`` one write task uploads with: its records kept by the write's actor.

    ``task`` (the task's index in the write) scopes the keys to the task.
    """

    def __init__(self, keeper: JournalKeeper, task: int) -> None:
        self._keeper = keeper
        self._scope = f"{task}:"

    def __repr__(self) -> str:
        return f"TaskJournal(task={self._scope[:-1]})"

    async def lookup(self, key: str) -> JournalRecord | None:
        record: JournalRecord | None = await self._keeper.lookup.remote(self._scope + key)
        return record

    async def record_in_doubt(self, key: str) -> None:
        await self._keeper.record_in_doubt.remote(self._scope + key)

    async def record_landed(self, key: str, answer: Any) -> None:
        await self._keeper.record_landed.remote(self._scope + key, answer)
