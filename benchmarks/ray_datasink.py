"""Ray Datasink throughput: N items, then N boxes on them, through NucleusDatasink.

Rows are generated inside Ray (``ray.data.range``), so the driver never holds them. Runs on the
served emulator unless ``NUCLEUS_API_KEY``/``NUCLEUS_ENDPOINT`` are set; prints rows per second
for each write and the two summaries. The slow tests in ``tests/ray_data`` run :func:`ingest` at
100,000 rows; a measurement run is

    python benchmarks/ray_datasink.py --rows 1000000 --cpus 8 --concurrency 8
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from typing import Any

import anyio
import ray

from nucleus_ray import NucleusDatasink, NucleusSettings, WriteSummary


def item_row(row: dict[str, Any]) -> dict[str, Any]:
    """``{"id": n}`` → the item columns."""
    n = row["id"]
    return {"reference_id": f"r{n:08d}", "image_location": f"s3://bench/{n}.jpg"}


def box_row(row: dict[str, Any]) -> dict[str, Any]:
    """``{"id": n}`` → one box on item n, with a stable annotation id."""
    n = row["id"]
    return {
        "reference_id": f"r{n:08d}",
        "annotation_id": f"box-{n}",
        "label": "car",
        "x": n % 500,
        "y": 10,
        "width": 20,
        "height": 30,
    }


def ingest(
    settings: NucleusSettings,
    dataset_id: str,
    rows: int,
    *,
    concurrency: int,
    rows_per_write: int = 25_000,
    ray_remote_args: dict[str, Any] | None = None,
) -> tuple[WriteSummary, WriteSummary, float, float]:
    """Write ``rows`` items then ``rows`` boxes; returns both summaries and their seconds."""
    timings = []
    summaries = []
    for kind, mapper in (("items", item_row), ("annotations", box_row)):
        sink = NucleusDatasink(
            dataset_id,
            kind,  # type: ignore[arg-type]
            settings=settings,
            rows_per_write=rows_per_write,
        )
        started = time.perf_counter()
        ray.data.range(rows).map(mapper).write_datasink(
            sink, concurrency=concurrency, ray_remote_args=ray_remote_args or {}
        )
        timings.append(time.perf_counter() - started)
        assert sink.summary is not None
        summaries.append(sink.summary)
    return summaries[0], summaries[1], timings[0], timings[1]


async def _create_dataset(settings: NucleusSettings) -> str:
    async with settings.client() as client:
        return (await client.create_dataset("ray bench", is_scene=False)).id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cpus", type=int, default=2, help="local Ray CPUs")
    parser.add_argument("--concurrency", type=int, default=2, help="write tasks at once")
    parser.add_argument("--per-task", type=int, default=4, help="requests in flight per task")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        if os.environ.get("NUCLEUS_API_KEY") or os.environ.get("NUCLEUS_ENDPOINT"):
            settings = NucleusSettings(concurrency_per_task=args.per_task)
        else:
            from nucleus_emulator import Emulator

            endpoint = stack.enter_context(Emulator().serve())
            settings = NucleusSettings(
                api_key="bench", endpoint=endpoint, concurrency_per_task=args.per_task
            )
        ray.init(num_cpus=args.cpus, include_dashboard=False)
        stack.callback(ray.shutdown)
        dataset_id = anyio.run(_create_dataset, settings)
        items, boxes, item_s, box_s = ingest(
            settings, dataset_id, args.rows, concurrency=args.concurrency
        )
    for name, summary, seconds in (("items", items, item_s), ("boxes", boxes, box_s)):
        sys.stdout.write(f"{name}: {args.rows / seconds:,.0f} rows/s  {summary}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
