"""Ingestion service: stream a JSONL manifest of any size into a Nucleus dataset.

Each manifest line is one dataset item in the service's JSON (what ``DatasetItem.to_payload()``
gives), optionally with the item's ground truth in the same JSON (what ``to_payload()`` of an
annotation gives; the annotation's ``reference_id`` defaults to the item's)::

    {"reference_id": "img-1", "image_url": "s3://bucket/1.jpg", "metadata": {"camera": "front"},
     "annotations": [{"type": "box", "label": "car",
                      "geometry": {"x": 4, "y": 8, "width": 30, "height": 20}}]}

Memory stays bounded whatever the manifest's size: the file is read in chunks of bytes off the
event loop, lines become ``DatasetItem`` objects in an async generator, and ``Dataset.append``
consumes that generator with at most ``--max-concurrency`` requests in flight. Annotations
follow in a second streamed pass over the file (an annotation names an item, so the items go
first). Lines that are not valid items are skipped, counted, and named in the report.

    python examples/ingest_service.py manifest.jsonl --max-concurrency 32
    python examples/ingest_service.py manifest.jsonl --dataset-id ds_123 --update
    python examples/ingest_service.py --demo 5000          # writes a demo manifest first

With no endpoint configured (neither ``NUCLEUS_API_KEY`` nor ``NUCLEUS_ENDPOINT`` set) it runs
on the embedded Nucleus emulator; ``--emulator-dir`` keeps the emulator's data between runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio

import nucleus_async as nucleus

logger = logging.getLogger("ingest_service")

#: Bytes read from the manifest at a time (one thread hop each, not one per line).
READ_CHUNK_BYTES = 1 << 20
#: Invalid lines named in the report (all are counted).
INVALID_LINES_SHOWN = 5


@dataclass
class Report:
    """What one ingestion did; ``failed`` counts are items or annotations that did not land."""

    dataset_id: str = ""
    manifest: str = ""
    lines: int = 0
    items_new: int = 0
    items_updated: int = 0
    items_ignored: int = 0
    items_failed: int = 0
    invalid_lines: int = 0
    invalid_examples: list[str] = field(default_factory=list)
    annotations_processed: int = 0
    annotations_ignored: int = 0
    annotations_failed: int = 0
    max_concurrency: int = 0
    wall_time: float = 0.0

    @property
    def ok(self) -> bool:
        return self.items_failed == 0 and self.annotations_failed == 0

    def render(self) -> str:
        rate = (self.items_new + self.items_updated) / self.wall_time if self.wall_time else 0.0
        rows = [
            ("lines read", self.lines),
            ("items new", self.items_new),
            ("items updated", self.items_updated),
            ("items ignored", self.items_ignored),
            ("items failed", self.items_failed),
            ("invalid lines", self.invalid_lines),
            ("annotations processed", self.annotations_processed),
            ("annotations ignored", self.annotations_ignored),
            ("annotations failed", self.annotations_failed),
        ]
        out = [f"Ingestion report: {self.manifest} -> dataset {self.dataset_id}"]
        out += [f"  {name:<22}{value:>10}" for name, value in rows]
        out.append(f"  {'wall time':<22}{self.wall_time:>9.2f}s  ({rate:.0f} items/s)")
        out.append(f"  {'max concurrency':<22}{self.max_concurrency:>10}")
        out += [f"  invalid: {example}" for example in self.invalid_examples]
        return "\n".join(out)


class Manifest:
    """A JSONL manifest read as a stream: items in one pass, annotations in another."""

    def __init__(self, path: Path, report: Report) -> None:
        self.path = path
        self.report = report
        # Line numbers skipped by the items pass, so the annotations pass skips them too.
        # Only invalid lines are remembered; valid ones are never held.
        self._invalid: set[int] = set()

    async def lines(self) -> AsyncIterator[tuple[int, bytes]]:
        """``(line number, raw line)`` for every non-blank line, reading a chunk at a time."""
        number = 0
        pending = b""
        async with await anyio.open_file(self.path, "rb") as f:
            while chunk := await f.read(READ_CHUNK_BYTES):
                *complete, pending = (pending + chunk).split(b"\n")
                for raw in complete:
                    number += 1
                    if raw.strip():
                        yield number, raw
        if pending.strip():
            yield number + 1, pending

    async def items(self) -> AsyncIterator[nucleus.DatasetItem]:
        """Valid, first-seen items; anything else is counted as an invalid line."""
        seen: set[str] = set()  # the SDK refuses a stream that repeats a reference id
        async for number, raw in self.lines():
            self.report.lines += 1
            try:
                entry = json.loads(raw)
                if not isinstance(entry, dict):
                    raise ValueError("a line must be a JSON object")
                entry.pop("annotations", None)
                if "image_location" in entry and "image_url" not in entry:
                    entry["image_url"] = entry.pop("image_location")
                item = nucleus.DatasetItem.from_json(entry)
                item.validate()
                if item.reference_id in seen:
                    raise ValueError(f"reference id {item.reference_id!r} repeats an earlier line")
                if item.is_local and not await anyio.Path(str(item.image_location)).is_file():
                    # Checked here: the SDK refuses a whole upload that names a missing file.
                    raise ValueError(f"local file {item.image_location!r} does not exist")
            except (ValueError, TypeError, KeyError) as exc:  # JSON, structure, validation
                self._skip(number, exc)
                continue
            seen.add(item.reference_id)
            yield item

    async def annotations(self) -> AsyncIterator[nucleus.Annotation]:
        """The ground truth of every valid line, its reference id defaulting to the item's."""
        async for number, raw in self.lines():
            if number in self._invalid:
                continue
            entry = json.loads(raw)
            for payload in entry.get("annotations") or ():
                try:
                    payload.setdefault("reference_id", entry["reference_id"])
                    annotation = nucleus.annotation_from_json(payload)
                    annotation.validate()
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    self.report.annotations_failed += 1
                    logger.warning("%s:%d: annotation skipped: %s", self.path, number, exc)
                    continue
                yield annotation

    def _skip(self, number: int, exc: BaseException) -> None:
        self._invalid.add(number)
        self.report.invalid_lines += 1
        message = f"line {number}: {exc}"
        if len(self.report.invalid_examples) < INVALID_LINES_SHOWN:
            self.report.invalid_examples.append(message)
        logger.warning("%s: %s", self.path, message)


async def ingest(
    client: nucleus.NucleusClient,
    manifest_path: Path,
    *,
    dataset_id: str | None = None,
    dataset_name: str = "ingest",
    update: bool = False,
    batch_size: int = 100,
    progress: bool | None = None,
) -> Report:
    """Stream the manifest's items, then its annotations, into a dataset; return the report."""
    started = time.perf_counter()
    report = Report(manifest=str(manifest_path), max_concurrency=client.config.max_concurrency)
    if dataset_id is None:
        dataset = await client.create_dataset(dataset_name, is_scene=False)
    else:
        dataset = await client.get_dataset(dataset_id)
    report.dataset_id = dataset.id
    manifest = Manifest(manifest_path, report)

    try:
        response = await dataset.append(
            manifest.items(), update=update, batch_size=batch_size, progress=progress
        )
    except nucleus.UploadError as exc:
        # Batches that did not land after retries: count their items, keep what landed.
        response = exc.partial
        report.items_failed += sum(len(refs) for refs, _ in exc.failed_batches)
        logger.error("%s", exc)
    assert isinstance(response, nucleus.UploadResponse)
    report.items_new = response.new_items
    report.items_updated = response.updated_items
    report.items_ignored = response.ignored_items
    report.items_failed += response.upload_errors

    try:
        answer: Any = await dataset.annotate(
            manifest.annotations(), update=update, progress=progress
        )
    except nucleus.UploadError as exc:
        answer = exc.partial or {}
        report.annotations_failed += sum(len(refs) for refs, _ in exc.failed_batches)
        logger.error("%s", exc)
    report.annotations_processed = answer.get("annotations_processed", 0)
    report.annotations_ignored = answer.get("annotations_ignored", 0)
    report.annotations_failed += len(answer.get("errors") or [])

    report.wall_time = time.perf_counter() - started
    return report


def write_demo_manifest(path: Path, lines: int) -> None:
    """A manifest of ``lines`` remote items, every third with a box annotation."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            entry: dict[str, Any] = {
                "reference_id": f"img-{i:07d}",
                "image_url": f"s3://demo-bucket/images/{i:07d}.jpg",
                "metadata": {"camera": ("front", "left", "right")[i % 3], "index": i},
            }
            if i % 3 == 0:
                geometry = {"x": i % 50, "y": 10, "width": 40, "height": 30}
                entry["annotations"] = [{"type": "box", "label": "car", "geometry": geometry}]
            out.write(json.dumps(entry) + "\n")


async def open_client(
    stack: AsyncExitStack, args: argparse.Namespace
) -> tuple[nucleus.NucleusClient, str]:
    """A client for the configured endpoint, else for an embedded emulator."""
    options: dict[str, Any] = {"max_concurrency": args.max_concurrency, "progress": args.progress}
    if os.environ.get("NUCLEUS_API_KEY") or os.environ.get("NUCLEUS_ENDPOINT"):
        client = nucleus.NucleusClient(**options)
        return await stack.enter_async_context(client), client.endpoint
    from nucleus_emulator import Emulator

    emulator = stack.enter_context(Emulator(args.emulator_dir))
    client = nucleus.NucleusClient(
        "ingest-service-key",
        endpoint=emulator.endpoint,
        http_transport=nucleus.ASGITransport(emulator.app),
        **options,
    )
    return await stack.enter_async_context(client), f"the embedded emulator ({emulator.data_dir})"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", nargs="?", type=Path, help="JSONL manifest, one item a line")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--dataset-id", help="append to this dataset (default: create one)")
    target.add_argument("--dataset-name", default="ingest", help="name of the dataset to create")
    parser.add_argument(
        "--max-concurrency", type=int, default=16, help="requests in flight (default 16)"
    )
    parser.add_argument("--batch-size", type=int, default=100, help="items per request")
    parser.add_argument("--update", action="store_true", help="overwrite existing reference ids")
    parser.add_argument("--report-json", type=Path, help="also write the report here as JSON")
    parser.add_argument("--emulator-dir", type=Path, help="data folder of the embedded emulator")
    parser.add_argument("--demo", type=int, metavar="N", help="write an N-line demo manifest")
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bars"
    )
    args = parser.parse_args(argv)
    if args.manifest is None and args.demo is None:
        parser.error("give a manifest, or --demo N to generate one")
    if args.max_concurrency < 1:
        parser.error("--max-concurrency must be at least 1")
    return args


async def main(args: argparse.Namespace) -> int:
    async with AsyncExitStack() as stack:
        if args.manifest is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            args.manifest = folder / "demo-manifest.jsonl"
            await anyio.to_thread.run_sync(write_demo_manifest, args.manifest, args.demo)
        client, where = await open_client(stack, args)
        print(f"Ingesting {args.manifest} into {where}", flush=True)
        report = await ingest(
            client,
            args.manifest,
            dataset_id=args.dataset_id,
            dataset_name=args.dataset_name,
            update=args.update,
            batch_size=args.batch_size,
            progress=args.progress,
        )
    print(report.render())
    if args.report_json:
        args.report_json.write_text(json.dumps(asdict(report), indent=2) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    sys.exit(anyio.run(main, parse_args()))
