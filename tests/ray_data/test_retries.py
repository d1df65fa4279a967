"""A write task failing mid-block is retried by Ray: nothing lost or doubled, counts exact.

The retried attempt finds in the write's journal (a Ray actor) the batches its failed attempt
landed: it does not send them again and counts their recorded answers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
import ray
import ray.cloudpickle

import nucleus_async
from nucleus_async import BoxAnnotation, DatasetItem
from nucleus_ray import NucleusDatasink, NucleusSettings, TaskReport, WriteSummary

pytestmark = pytest.mark.usefixtures("local_ray")

# The failure injectors below run in Ray workers, which cannot import this test module.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

ROWS = 1_200
ROWS_PER_WRITE = 400
#: Each task fails once here, after the rows before it were sent (20 items per request).
FAIL_AT = 300


class FailOncePerBlock:
    """A row mapper that fails once at row ``FAIL_AT`` of each block, remembered on disk.

    ``kill`` ends the worker process (as an out-of-memory kill would) instead of raising.
    """

    def __init__(self, markers: Path, kind: str, *, kill: bool) -> None:
        self.markers, self.kind, self.kill = markers, kind, kill

    def __call__(self, row: dict[str, Any]) -> Any:
        n = int(row["reference_id"][1:])
        marker = self.markers / f"failed-{n}"
        if n % ROWS_PER_WRITE == FAIL_AT and not marker.exists():
            marker.touch()
            if self.kill:
                os._exit(1)
            raise RuntimeError(f"injected failure at row {n}")
        ref = row["reference_id"]
        if self.kind == "items":
            return DatasetItem(f"s3://b/{n}.jpg", ref)
        return BoxAnnotation("car", n, 1, 2, 3, ref, f"box-{n}")


class KeepingReports(NucleusDatasink):
    """A sink that also keeps the raw task reports, to show what the retries counted."""

    reports: list[TaskReport]

    def on_write_complete(self, write_result: Any) -> WriteSummary:
        self.reports = list(write_result.write_returns)
        return super().on_write_complete(write_result)


def rows() -> list[dict[str, Any]]:
    return [{"reference_id": f"r{i:05d}"} for i in range(ROWS)]


def write(sink: NucleusDatasink) -> None:
    ray.data.from_items(rows()).repartition(ROWS // ROWS_PER_WRITE).write_datasink(
        sink, ray_remote_args={"max_retries": 2, "retry_exceptions": True}
    )


def stored_boxes(run_core: Any, dataset_id: str) -> list[str]:
    async def export(client: nucleus_async.NucleusClient) -> list[str]:
        pager = (await client.get_dataset(dataset_id)).items_and_annotation_generator()
        return [box.annotation_id async for row in pager for box in row["annotations"]["box"]]

    result: list[str] = run_core(export)
    return result


def item_ids(run_core: Any, dataset_id: str) -> list[str]:
    async def export(client: nucleus_async.NucleusClient) -> list[str]:
        items = (await client.get_dataset(dataset_id)).items_generator()
        return [item.reference_id async for item in items]

    result: list[str] = run_core(export)
    return result


@pytest.mark.parametrize("kill", [False, True], ids=["raised", "killed"])
def test_retried_item_tasks_lose_nothing_and_count_new_items_exactly(
    kill: bool, tmp_path: Path, dataset_id: str, settings: NucleusSettings, run_core: Any
) -> None:
    injector = FailOncePerBlock(tmp_path, "items", kill=kill)
    sink = KeepingReports(
        dataset_id, settings=settings, update=False, row_mapper=injector,
        rows_per_write=ROWS_PER_WRITE, batch_size=20,
    )  # fmt: skip

    write(sink)

    assert len(list(tmp_path.iterdir())) == ROWS // ROWS_PER_WRITE  # every task failed once
    if not kill:
        # The retries skipped what their failed attempts had landed, counted as new then. (A
        # killed worker's batches in flight are probed and count as ignored in its report.)
        assert sum(report.ignored for report in sink.reports) == 0
    # The summary counts every row as the new item it is.
    assert sink.summary is not None
    assert (sink.summary.rows, sink.summary.new, sink.summary.ignored) == (ROWS, ROWS, 0)
    assert sorted(item_ids(run_core, dataset_id)) == [r["reference_id"] for r in rows()]


def test_retried_annotation_tasks_store_every_box_once_and_count_them_new(
    tmp_path: Path, dataset_id: str, settings: NucleusSettings, run_core: Any
) -> None:
    """With ``update=False`` the service would answer "ignored" for a resent box: the journal
    keeps the retry from resending, so the boxes the failed attempt stored stay counted new."""
    items = [{"reference_id": r["reference_id"], "image_location": "s3://b/x.jpg"} for r in rows()]
    ray.data.from_items(items).write_datasink(NucleusDatasink(dataset_id, settings=settings))
    sink = NucleusDatasink(
        dataset_id, "annotations", settings=settings, batch_size=50, update=False,
        row_mapper=FailOncePerBlock(tmp_path, "annotations", kill=False),
        rows_per_write=ROWS_PER_WRITE,
    )  # fmt: skip

    write(sink)

    assert len(list(tmp_path.iterdir())) == ROWS // ROWS_PER_WRITE
    assert sink.summary is not None
    summary = sink.summary
    assert (summary.rows, summary.new, summary.stored, summary.ignored) == (ROWS, ROWS, ROWS, 0)
    assert sorted(stored_boxes(run_core, dataset_id)) == sorted(f"box-{i}" for i in range(ROWS))
