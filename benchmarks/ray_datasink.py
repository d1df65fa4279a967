"""Ray Datasink throughput: N items, then N boxes on them, through NucleusDatasink.

Rows are generated inside Ray (``ray.data.range``), so the driver never holds them. Runs on the
served emulator, or (``--server sink``) on the bench sink (``benchmarks/sink.py``: parses and
counts, stores nothing) with ``--latency`` injected, unless ``NUCLEUS_API_KEY``/
``NUCLEUS_ENDPOINT`` are set; prints rows per second for each write and the two summaries.
``--compare`` also times the same rows through one process's async ``append``/``annotate``
(default settings), and ``--results`` writes the table into ``benchmarks/RESULTS.md`` (its
"Ray Data" section, which ``benchmarks/run.py`` keeps when it rewrites the file). The slow
tests in ``tests/ray_data`` run :func:`ingest` at 100,000 rows; the recorded run is

    python benchmarks/ray_datasink.py --rows 1000000 --server sink --compare --results
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
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


async def _single_process(settings: NucleusSettings, rows: int) -> tuple[float, float]:
    """The same rows through one process's async core (default settings, progress off):
    ``append`` of the items from a generator, then ``annotate`` of the boxes from one."""
    import attrs

    import nucleus_async

    # The core's default max_concurrency (16), progress off, as a user's script would run.
    async with attrs.evolve(settings, concurrency_per_task=16).client() as client:
        dataset = await client.create_dataset("single process", is_scene=False)
        started = time.perf_counter()
        await dataset.append(nucleus_async.DatasetItem(**item_row({"id": n})) for n in range(rows))
        items_s = time.perf_counter() - started
        started = time.perf_counter()
        await dataset.annotate(
            nucleus_async.BoxAnnotation(**box_row({"id": n})) for n in range(rows)
        )
        return items_s, time.perf_counter() - started


@contextmanager
def _sink(latency: float) -> Iterator[str]:
    """The bench sink in its own process; its endpoint."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("sink.py")), "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=15)


def _start_ray(cpus: int, attempts: int = 3) -> None:
    """``ray.init``, again if the node misses Ray's fixed 30 s start-up deadline (a loaded
    machine sometimes does; a fresh start then succeeds), as ``tests/ray_data`` does."""
    for attempt in range(attempts):
        try:
            ray.init(num_cpus=cpus, include_dashboard=False)
            return
        except Exception:
            ray.shutdown()
            if attempt == attempts - 1:
                raise


RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION_START = "<!-- ray-datasink -->"
SECTION_END = "<!-- /ray-datasink -->"


def write_results(section: str, path: Path = RESULTS) -> None:
    """Put ``section`` between the Ray Data markers of ``path`` (appended the first time)."""
    text = path.read_text() if path.exists() else ""
    block = f"{SECTION_START}\n{section.rstrip()}\n{SECTION_END}"
    pattern = re.compile(re.escape(SECTION_START) + ".*?" + re.escape(SECTION_END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cpus", type=int, default=2, help="local Ray CPUs")
    parser.add_argument("--concurrency", type=int, default=2, help="write tasks at once")
    parser.add_argument("--per-task", type=int, default=8, help="requests in flight per task")
    parser.add_argument("--server", choices=("emulator", "sink"), default="emulator")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds (the sink only)")
    parser.add_argument("--compare", action="store_true", help="also time one async process")
    parser.add_argument("--results", action="store_true", help="write into RESULTS.md")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        if os.environ.get("NUCLEUS_API_KEY") or os.environ.get("NUCLEUS_ENDPOINT"):
            settings = NucleusSettings(concurrency_per_task=args.per_task)
            server = "the service"
        else:
            if args.server == "sink":
                endpoint = stack.enter_context(_sink(args.latency))
                server = f"the sink, {args.latency * 1000:g} ms latency"
            else:
                from nucleus_emulator import Emulator

                endpoint = stack.enter_context(Emulator().serve())
                server = "the served emulator"
            settings = NucleusSettings(
                api_key="bench", endpoint=endpoint, concurrency_per_task=args.per_task
            )
        _start_ray(args.cpus)
        stack.callback(ray.shutdown)
        dataset_id = anyio.run(_create_dataset, settings)
        items, boxes, item_s, box_s = ingest(
            settings, dataset_id, args.rows, concurrency=args.concurrency
        )
        single = anyio.run(_single_process, settings, args.rows) if args.compare else None
    for name, summary, seconds in (("items", items, item_s), ("boxes", boxes, box_s)):
        sys.stdout.write(f"{name}: {args.rows / seconds:,.0f} rows/s  {summary}\n")
    rows = [
        (
            f"{args.rows:,} items (`append`)",
            item_s,
            single[0] if single else None,
            f"new {items.new:,}, failed {items.failed}",
        ),
        (
            f"{args.rows:,} boxes (`annotate`)",
            box_s,
            single[1] if single else None,
            f"stored {boxes.stored:,}, failed {boxes.failed}",
        ),
    ]
    in_flight = args.concurrency * args.per_task
    table = [
        "## Ray Data: NucleusDatasink",
        "",
        f"Generated by `python benchmarks/ray_datasink.py --rows {args.rows} --server "
        f"{args.server} --compare --results` on {time.strftime('%Y-%m-%d %H:%M %Z')}; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. Against {server}. "
        f"Rows are generated inside Ray (`ray.data.range(n).map(...)`); the Datasink runs "
        f"{args.concurrency} write tasks on a local Ray of {args.cpus} CPUs, {args.per_task} "
        f"requests in flight per task ({in_flight} in all). The single process is "
        "`Dataset.append` / `Dataset.annotate` of the same rows from a generator, default "
        "settings (16 in flight). Wall time includes Ray's scheduling.",
        "",
        "| write | Datasink | rows/s | one async process | rows/s | summary |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, ray_s, single_s, summary_text in rows:
        single_cells = f"{single_s:.1f} s | {args.rows / single_s:,.0f}" if single_s else "— | —"
        table.append(
            f"| {label} | {ray_s:.1f} s | {args.rows / ray_s:,.0f} | {single_cells} | "
            f"{summary_text} |"
        )
    section = "\n".join(table) + "\n"
    sys.stdout.write(section)
    if args.results:
        write_results(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
