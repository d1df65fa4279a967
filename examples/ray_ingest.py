"""Ray pipeline: build items from a manifest, write them and their boxes, read them back to train.

The manifest is JSON Lines, one image per line with its boxes::

    {"key": "img-1", "url": "s3://bucket/1.jpg", "camera": "front",
     "boxes": [{"label": "car", "x": 4, "y": 8, "w": 30, "h": 20}]}

Three Ray steps, each parallel across the cluster:

1. ``read_json`` → ``map`` each line to the sink's item columns → ``NucleusDatasink(kind="items")``;
2. ``flat_map`` each line to one row per box → ``NucleusDatasink(kind="annotations")``
   (the annotation id is derived from the line and the box's position: a retried Ray task
   resends the same ids, so nothing is stored twice);
3. ``read_nucleus`` → ``map_batches`` over Arrow batches, here counting boxes per label the
   way a training step would read them.

    python examples/ray_ingest.py manifest.jsonl --concurrency 4
    python examples/ray_ingest.py --demo 2000          # writes a demo manifest first

With neither ``NUCLEUS_API_KEY`` nor ``NUCLEUS_ENDPOINT`` set it runs on the Nucleus emulator.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import pyarrow as pa
import ray

from nucleus_ray import NucleusDatasink, NucleusSettings, read_nucleus

LABELS = ("car", "person", "bike")


def write_demo_manifest(path: Path, images: int) -> None:
    """``images`` lines, each with 0-2 boxes."""
    with path.open("w") as out:
        for i in range(images):
            boxes = [
                {"label": LABELS[(i + j) % 3], "x": j * 10, "y": 5, "w": 20, "h": 10}
                for j in range(i % 3)
            ]
            line = {"key": f"img-{i:06d}", "url": f"s3://demo/{i}.jpg", "camera": "front"}
            out.write(json.dumps({**line, "boxes": boxes}) + "\n")


def item_row(line: dict[str, Any]) -> dict[str, Any]:
    """A manifest line → the sink's item columns."""
    return {
        "reference_id": line["key"],
        "image_location": line["url"],
        "metadata": json.dumps({"camera": line.get("camera")}),
    }


def box_rows(line: dict[str, Any]) -> list[dict[str, Any]]:
    """A manifest line → one row per box, with an id stable across retries."""
    return [
        {
            "reference_id": line["key"],
            "annotation_id": f"{line['key']}-box-{n}",
            "label": box["label"],
            "x": box["x"],
            "y": box["y"],
            "width": box["w"],
            "height": box["h"],
        }
        for n, box in enumerate(line.get("boxes") or [])
    ]


def count_labels(batch: pa.Table) -> pa.Table:
    """A training-style step over one Arrow batch: boxes per label."""
    counts: Counter[str] = Counter()
    for objects in batch.column("annotations").to_pylist():
        counts.update(a["label"] for a in objects if a["type"] == "box")
    return pa.table({"label": list(counts), "boxes": list(counts.values())})


async def _create_dataset(settings: NucleusSettings, name: str) -> str:
    async with settings.client() as client:
        return (await client.create_dataset(name, is_scene=False)).id


def run(manifest: Path, settings: NucleusSettings, *, concurrency: int) -> dict[str, Any]:
    """The whole pipeline on an initialised Ray; returns what each step reported."""
    dataset_id = anyio.run(_create_dataset, settings, "ray ingest")
    lines = ray.data.read_json(str(manifest), lines=True)

    items = NucleusDatasink(dataset_id, kind="items", settings=settings)
    lines.map(item_row).write_datasink(items, concurrency=concurrency)

    boxes = NucleusDatasink(dataset_id, kind="annotations", settings=settings)
    lines.flat_map(box_rows).write_datasink(boxes, concurrency=concurrency)

    per_batch = read_nucleus(dataset_id, settings=settings).map_batches(
        count_labels, batch_format="pyarrow"
    )
    labels: Counter[str] = Counter()
    for row in per_batch.iter_rows():
        labels[row["label"]] += row["boxes"]
    assert items.summary is not None and boxes.summary is not None
    return {
        "dataset_id": dataset_id,
        "items": {"rows": items.summary.rows, "new": items.summary.new},
        "annotations": {"rows": boxes.summary.rows, "stored": boxes.summary.stored},
        "boxes_per_label": dict(sorted(labels.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", nargs="?", type=Path)
    parser.add_argument("--demo", type=int, metavar="N", help="write an N-line demo manifest")
    parser.add_argument("--concurrency", type=int, default=2, help="write tasks at once")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        manifest = args.manifest
        if args.demo:
            manifest = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "demo.jsonl"
            write_demo_manifest(manifest, args.demo)
        if manifest is None:
            parser.error("give a manifest or --demo N")
        if os.environ.get("NUCLEUS_API_KEY") or os.environ.get("NUCLEUS_ENDPOINT"):
            settings = NucleusSettings()
        else:
            from nucleus_emulator import Emulator

            endpoint = stack.enter_context(Emulator().serve())
            settings = NucleusSettings(api_key="emulator", endpoint=endpoint)
        ray.init(num_cpus=2, include_dashboard=False)
        stack.callback(ray.shutdown)
        report = run(manifest, settings, concurrency=args.concurrency)
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
