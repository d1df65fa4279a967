"""NucleusDatasource: a Ray Data source of a dataset's items with annotations, one row per item.

Parallelism follows the service's paging: an export is paged by opaque tokens, each page's
token coming with the page before it, so one export cannot be split among tasks. A read is
therefore one task per partition: the whole dataset, or each of the given slices. Within a
task every page becomes an Arrow block as it arrives, so downstream ``map_batches`` runs in
parallel with the read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from ray.data import Datasource, ReadTask
from ray.data.block import BlockMetadata

from nucleus_async import Model, NucleusClient

from ._arrow import SCHEMA, object_record, rows_table
from ._blocking import iterate_blocking
from ._connection import NucleusSettings, dataset_of, slice_of

if TYPE_CHECKING:
    import ray.data
    from ray.data.context import DataContext

__all__ = ["NucleusDatasource", "read_nucleus"]

#: Export rows per page (the service's default for ``exportForTrainingPage``).
DEFAULT_PAGE_SIZE = 10_000


class NucleusDatasource(Datasource):
    """Reads a dataset (or some of its slices) as Arrow blocks of :data:`nucleus_ray.SCHEMA`.

    Parameters:
        dataset_id: The dataset (``ds_…``).
        model: A model (or its id) whose predictions fill the ``predictions`` column. Each
          read task fetches that model's predictions on the dataset in one request (the
          service does not page them) and joins them to its items by reference id.
        slice_ids: Read these slices, one task each, instead of the whole dataset (an item
          in two slices is read twice).
        settings: Connection settings (default: key and endpoint from the driver's environment).
        page_size: Export rows per request, i.e. rows per block (whole-dataset reads; slice
          exports use the service's page size).
        only_most_recent_tasks: Keep only the latest labeling task's annotations.
    """

    def __init__(
        self,
        dataset_id: str,
        *,
        model: Model | str | None = None,
        slice_ids: Sequence[str] | None = None,
        settings: NucleusSettings | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        only_most_recent_tasks: bool = True,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        if isinstance(slice_ids, str):
            raise TypeError("slice_ids must be a list of slice ids, not one string")
        self.dataset_id = dataset_id
        self.model_id = model if isinstance(model, str) or model is None else model.id
        self.slice_ids = list(slice_ids) if slice_ids is not None else None
        self.settings = settings if settings is not None else NucleusSettings()
        self.page_size = page_size
        self.only_most_recent_tasks = only_most_recent_tasks

    def __repr__(self) -> str:
        return f"NucleusDatasource(dataset_id={self.dataset_id!r}, settings={self.settings!r})"

    def get_name(self) -> str:
        """The name Ray gives the read tasks."""
        return "Nucleus"

    def estimate_inmemory_data_size(self) -> int | None:
        """Unknown before reading (a size estimate would cost a request)."""
        return None

    def get_read_tasks(
        self,
        parallelism: int,
        per_task_row_limit: int | None = None,
        data_context: DataContext | None = None,
    ) -> list[ReadTask]:
        """One task per partition (the dataset, or each slice), whatever ``parallelism`` is."""
        partitions: list[str | None] = list(self.slice_ids) if self.slice_ids else [None]
        metadata = BlockMetadata(num_rows=None, size_bytes=None, input_files=None, exec_stats=None)
        return [
            ReadTask(
                partial(_read_partition, self, slice_id),
                metadata,
                schema=SCHEMA,
                per_task_row_limit=per_task_row_limit,
            )
            for slice_id in partitions
        ]


def _read_partition(source: NucleusDatasource, slice_id: str | None) -> Iterator[pa.Table]:
    """A read task: one Arrow block per export page of the dataset or slice."""
    yield from iterate_blocking(partial(_pages, source, slice_id))


async def _pages(source: NucleusDatasource, slice_id: str | None) -> AsyncIterator[pa.Table]:
    async with source.settings.client() as client:
        dataset = await dataset_of(client, source.dataset_id)
        predictions = None
        if source.model_id is not None:
            predictions = await _predictions_by_reference_id(client, source)
        if slice_id is None:
            pager = dataset.items_and_annotation_generator(
                page_size=source.page_size, only_most_recent_tasks=source.only_most_recent_tasks
            )
        else:
            pager = (await slice_of(client, slice_id)).items_and_annotation_generator()
        async for page in pager.pages():
            yield rows_table(page, predictions)


async def _predictions_by_reference_id(
    client: NucleusClient, source: NucleusDatasource
) -> dict[str, list[dict[str, Any]]]:
    dataset = await dataset_of(client, source.dataset_id)
    by_kind = await dataset.export_predictions(source.model_id)  # type: ignore[arg-type]
    by_ref: dict[str, list[dict[str, Any]]] = {}
    for kind, predictions in by_kind.items():
        for prediction in predictions:
            by_ref.setdefault(prediction.reference_id, []).append(object_record(kind, prediction))
    return by_ref


def read_nucleus(
    dataset_id: str,
    *,
    model: Model | str | None = None,
    slice_ids: Sequence[str] | None = None,
    settings: NucleusSettings | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    only_most_recent_tasks: bool = True,
    **read_args: Any,
) -> ray.data.Dataset:
    """A Ray Dataset of the dataset's items with their annotations, one row per item.

    ::

        ds = read_nucleus(dataset_id, model="prj_…")
        ds.map_batches(train_step, batch_format="pyarrow")

    Rows follow :data:`nucleus_ray.SCHEMA` in every block. Parameters as for
    :class:`NucleusDatasource`; ``read_args`` go to ``ray.data.read_datasource``.
    """
    import ray.data

    source = NucleusDatasource(
        dataset_id,
        model=model,
        slice_ids=slice_ids,
        settings=settings,
        page_size=page_size,
        only_most_recent_tasks=only_most_recent_tasks,
    )
    dataset: ray.data.Dataset = ray.data.read_datasource(source, **read_args)
    return dataset
