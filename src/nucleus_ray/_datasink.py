"""NucleusDatasink: a Ray Data sink writing items, annotations or predictions to a dataset."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ray.data import Datasink
from ray.data.block import Block, BlockAccessor

from nucleus_async import Model

from ._blocking import run_blocking
from ._connection import NucleusSettings, dataset_of
from ._journal import JournalKeeper, TaskJournal, end_write_journal, start_write_journal
from ._mapping import Kind, RowFunction, RowMapper
from ._summary import TaskReport, WriteSummary, summarize

if TYPE_CHECKING:
    import pyarrow as pa
    from ray.data._internal.execution.interfaces import TaskContext
    from ray.data.datasource.datasink import WriteResult

__all__ = ["DEFAULT_ROWS_PER_WRITE", "NucleusDatasink"]

logger = logging.getLogger("nucleus_ray")

#: Rows Ray hands each write task at least (blocks are combined up to this): enough for the
#: task to keep ``concurrency_per_task`` requests busy.
DEFAULT_ROWS_PER_WRITE = 10_000


class NucleusDatasink(Datasink[TaskReport]):
    """Writes a Ray Dataset's rows to a Nucleus dataset, one client per write task.

    ::

        sink = NucleusDatasink(dataset_id, kind="items")
        ray.data.read_parquet(manifest).write_datasink(sink, concurrency=4)
        print(sink.summary)  # WriteSummary(rows=..., new=..., ...)

    Each row becomes a ``DatasetItem`` (``kind="items"``), an annotation
    (``kind="annotations"``) or a prediction of ``model`` (``kind="predictions"``) through the
    column mapping (see :mod:`nucleus_ray._mapping`), renamed by ``columns`` or replaced by a
    ``row_mapper`` function; invalid rows raise the SDK's ``ValidationError`` naming the row.

    Writes are safe to repeat, so Ray may retry a task (``ray_remote_args={"max_retries": n}``):
    items are keyed by reference id and annotations by their identity (an ``annotation_id``
    is required where the type derives none), so a resent row is never stored twice. The
    tasks of a write share an upload journal kept by a Ray actor (see
    :mod:`nucleus_ray._journal`): a retried task skips the batches its failed attempt landed
    and counts their recorded answers, so the summary stays exact; only a task's last attempt
    reports, and for items the count of new items is also checked against the service (the
    dataset's length before and after the write).

    Parameters:
        dataset_id: The target dataset (``ds_…``).
        kind: ``"items"``, ``"annotations"`` or ``"predictions"``.
        model: The model (or its id) predictions belong to; only with ``kind="predictions"``.
        settings: Connection settings (default: key and endpoint from the driver's environment).
        update: Overwrite what exists under the same identity (default ``True``: an upsert,
          which also keeps annotation counts exact across retries), else ignore it.
        columns: ``{field: column}`` renames for the column mapping.
        row_mapper: ``row dict -> DatasetItem | Annotation | Prediction``, instead of the mapping.
        batch_size: Rows per request (default: the SDK's, 20 items or 5000 annotations).
        rows_per_write: Ray combines blocks so each write task gets at least this many rows.
    """

    def __init__(
        self,
        dataset_id: str,
        kind: Kind = "items",
        *,
        model: Model | str | None = None,
        settings: NucleusSettings | None = None,
        update: bool = True,
        columns: Mapping[str, str] | None = None,
        row_mapper: RowFunction | None = None,
        batch_size: int | None = None,
        rows_per_write: int = DEFAULT_ROWS_PER_WRITE,
    ) -> None:
        self._mapper = RowMapper(kind, columns=columns, row_mapper=row_mapper)
        if (kind == "predictions") != (model is not None):
            raise ValueError("model= is required with kind='predictions', and only then")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if rows_per_write < 1:
            raise ValueError(f"rows_per_write must be at least 1, got {rows_per_write}")
        self.dataset_id = dataset_id
        self.kind: Kind = kind
        # The id, not the Model: a Model holds its client, which cannot travel to workers.
        self.model_id = model if isinstance(model, str) or model is None else model.id
        self.settings = settings if settings is not None else NucleusSettings()
        self.update = update
        self._batch_size = batch_size
        self._rows_per_write = rows_per_write
        self._length_before: int | None = None
        #: The journal actor of the write under way (travels to the write tasks with the sink).
        self._journal: JournalKeeper | None = None
        #: The summary of the last completed write (also returned by ``on_write_complete``).
        self.summary: WriteSummary | None = None

    def __repr__(self) -> str:
        return (
            f"NucleusDatasink(dataset_id={self.dataset_id!r}, kind={self.kind!r}, "
            f"settings={self.settings!r})"
        )

    def get_name(self) -> str:
        """The name Ray gives the write tasks."""
        return f"Nucleus({self.kind})"

    @property
    def min_rows_per_write(self) -> int:
        """Ray hands each write task at least this many rows (``rows_per_write``)."""
        return self._rows_per_write

    # -- driver ---------------------------------------------------------------------------

    def on_write_start(self, schema: pa.Schema | None = None) -> None:
        """Starts the write's journal actor; records the dataset's length (items), so the
        summary can count new items exactly."""
        self.summary = None
        if self.kind == "items":
            self._length_before = run_blocking(self._dataset_length)
        self._journal = start_write_journal()

    def on_write_failed(self, error: Exception) -> None:
        """Ends the write's journal actor."""
        self._end_journal()

    def _end_journal(self) -> None:
        journal, self._journal = self._journal, None
        if journal is not None:
            end_write_journal(journal)

    def on_write_complete(self, write_result: WriteResult[TaskReport]) -> WriteSummary:
        """Folds every task's report into one :class:`WriteSummary` (also kept in ``summary``)."""
        self._end_journal()
        reports = list(write_result.write_returns)
        items_added = None
        if self.kind == "items" and self._length_before is not None:
            items_added = run_blocking(self._dataset_length) - self._length_before
        self._length_before = None  # a reused sink counts each write from its own start
        self.summary = summarize(
            self.kind, self.dataset_id, reports, update=self.update, items_added=items_added
        )
        logger.info("Nucleus write complete: %s", self.summary)
        return self.summary

    async def _dataset_length(self) -> int:
        async with self.settings.client() as client:
            dataset = await dataset_of(client, self.dataset_id)
            return (await dataset.info()).length

    # -- write task -----------------------------------------------------------------------

    def write(self, blocks: Iterable[Block], ctx: TaskContext) -> TaskReport:
        """Uploads one task's blocks with the async core, streaming rows into the upload."""
        journal = None if self._journal is None else TaskJournal(self._journal, ctx.task_idx)
        return run_blocking(self._write_rows, _rows(blocks), journal)

    async def _write_rows(
        self, rows: Iterator[dict[str, Any]], journal: TaskJournal | None
    ) -> TaskReport:
        refs: list[str] = []
        units = self._mapper.map(rows, refs)
        options: dict[str, Any] = {"update": self.update, "progress": False, "journal": journal}
        if self._batch_size is not None:
            options["batch_size"] = self._batch_size
        async with self.settings.client() as client:
            dataset = await dataset_of(client, self.dataset_id)
            if self.kind == "items":
                response = await dataset.append(units, **options)  # type: ignore[arg-type]
                return TaskReport.from_items(len(refs), response)  # type: ignore[arg-type]
            if self.kind == "annotations":
                answer = await dataset.annotate(units, **options)  # type: ignore[arg-type]
                prefix = "annotations"
            else:
                # The core takes a Model or its id; the id costs no request per task.
                answer = await dataset.upload_predictions(
                    self.model_id,  # type: ignore[arg-type]
                    units,  # type: ignore[arg-type]
                    **options,
                )
                prefix = "predictions"
            assert isinstance(answer, dict)  # synchronous uploads answer with a dict
            return TaskReport.from_annotations(
                len(refs), answer, prefix=prefix, update=self.update, refs=refs
            )


def _rows(blocks: Iterable[Block]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        yield from BlockAccessor.for_block(block).iter_rows(public_row_format=True)
