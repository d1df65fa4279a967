"""Quickstart: a dataset, items, ground truth, a model's predictions, a slice, a job, read back.

Runs with no configuration against the embedded Nucleus emulator (in-process, offline).
With ``NUCLEUS_API_KEY`` set it runs the same flow against the real service (or against
``NUCLEUS_ENDPOINT``), creating and then deleting a dataset there.

    python examples/quickstart.py
"""

from __future__ import annotations

import os
import struct
import sys
import tempfile
import time
import zlib
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio

import nucleus_async as nucleus

LOCAL_IMAGES = 40
REMOTE_IMAGES = 260
ASYNC_IMAGES = 100
#: Remote items that get a ground-truth box and a predicted box.
ANNOTATED_IMAGES = 200


def write_png(path: Path, seed: int, size: int = 48) -> None:
    """Write a small, valid RGB PNG (no imaging library needed)."""
    raw = b"".join(
        b"\x00"
        + b"".join(
            bytes(((x * 5 + seed) % 256, (y * 5) % 256, (seed * 40) % 256)) for x in range(size)
        )
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def open_client(stack: AsyncExitStack) -> tuple[nucleus.NucleusClient, str]:
    """A client for the real service when a key is configured, else for an embedded emulator."""
    if os.environ.get("NUCLEUS_API_KEY"):
        client = nucleus.NucleusClient(progress=True)
        return await stack.enter_async_context(client), "the Nucleus service"
    from nucleus_emulator import Emulator

    emulator = stack.enter_context(Emulator())
    client = nucleus.NucleusClient(
        "quickstart-key",
        endpoint=emulator.endpoint,
        http_transport=nucleus.ASGITransport(emulator.app),
        progress=True,
    )
    return await stack.enter_async_context(client), "the embedded emulator"


async def main() -> None:
    started = time.perf_counter()
    async with AsyncExitStack() as stack:
        client, where = await open_client(stack)
        print(f"Talking to {where} at {client.endpoint}")
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))

        dataset = await client.create_dataset("quickstart", is_scene=False)
        print(f"Created dataset {dataset.id}")

        local = []
        for i in range(LOCAL_IMAGES):
            path = folder / f"local-{i:03d}.png"
            write_png(path, seed=i)
            local.append(
                nucleus.DatasetItem(
                    image_location=str(path),
                    reference_id=f"local-{i:03d}",
                    metadata={"source": "local", "index": i},
                )
            )
        remote = [
            nucleus.DatasetItem(
                image_location=f"https://example.com/images/{i:05d}.jpg",
                reference_id=f"remote-{i:05d}",
                metadata={"source": "remote", "index": i},
            )
            for i in range(REMOTE_IMAGES)
        ]
        response = await dataset.append(local + remote)
        assert isinstance(response, nucleus.UploadResponse)  # a job only with asynchronous=True
        print(
            f"Appended: {response.new_items} new, {response.ignored_items} ignored, "
            f"{response.upload_errors} errors"
        )

        # Ground truth: one box per annotated item, named by the item's reference id.
        boxes = [
            nucleus.BoxAnnotation(
                label="car",
                x=10 + i % 20,
                y=20,
                width=40,
                height=30,
                reference_id=f"remote-{i:05d}",
                annotation_id=f"car-{i:05d}",
            )
            for i in range(ANNOTATED_IMAGES)
        ]
        annotated = await dataset.annotate(boxes)
        assert isinstance(annotated, dict)
        print(f"Annotated: {annotated['annotations_processed']} boxes")

        # A model, and its predictions on the same items (slightly off, with a confidence).
        model = await client.create_model("quickstart model", reference_id="quickstart-cnn")
        predictions = [
            nucleus.BoxPrediction(
                label="car",
                x=12 + i % 20,
                y=21,
                width=38,
                height=31,
                reference_id=f"remote-{i:05d}",
                annotation_id=f"car-{i:05d}",
                confidence=0.5 + (i % 50) / 100,
            )
            for i in range(ANNOTATED_IMAGES)
        ]
        predicted = await dataset.upload_predictions(model, predictions)
        assert isinstance(predicted, dict)
        print(f"Predictions of {model.id}: {predicted['predictions_processed']} boxes")

        # A slice of the local images.
        local_slice = await dataset.create_slice(
            "local images", [item.reference_id for item in local]
        )
        print(f"Created slice {local_slice.id}")

        more = (
            nucleus.DatasetItem(
                image_location=f"s3://example-bucket/async/{i:05d}.jpg",
                reference_id=f"async-{i:05d}",
            )
            for i in range(ASYNC_IMAGES)
        )
        job = await dataset.append(list(more), asynchronous=True)
        assert isinstance(job, nucleus.AsyncJob)
        status = await job.wait_until_complete(timeout=300)
        print(f"Asynchronous append {job.job_id}: {status['status']}")

        count = 0
        sources: dict[str, int] = {}
        samples: dict[str, str] = {}  # the smallest reference id of each kind
        async for item in dataset.items_generator(page_size=100):
            count += 1
            key = item.reference_id.split("-")[0]
            sources[key] = sources.get(key, 0) + 1
            # The smallest, not the first paged: concurrent batches land in any order.
            samples[key] = min(samples.get(key, item.reference_id), item.reference_id)
        info = await dataset.info()
        first = await dataset.refloc("local-000")
        checked = await dataset.refloc("remote-00007")
        predicted_boxes = await dataset.predictions_refloc(model, "remote-00007")
        in_slice = [item.reference_id async for item in local_slice.items_generator()]

        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Dataset {info.name} ({dataset.id})")
        table.add_column("what")
        table.add_column("value", justify="right")
        table.add_row("items paged back", str(count))
        for key, n in sorted(sources.items()):
            table.add_row(f"  {key} items", str(n))
        table.add_row("dataset length (info)", str(info.length))
        table.add_row("sample reference ids", ", ".join(samples[key] for key in sorted(samples)))
        table.add_row("metadata of local-000", str(first["item"].metadata))
        table.add_row("ground-truth boxes", str(annotated["annotations_processed"]))
        table.add_row("predicted boxes", str(predicted["predictions_processed"]))
        table.add_row("items in the slice", str(len(in_slice)))
        table.add_row(
            "boxes on remote-00007 (truth/predicted)", _box_counts(checked, predicted_boxes)
        )
        table.add_row("wall time", f"{time.perf_counter() - started:.2f} s")
        Console().print(table)

        expected = LOCAL_IMAGES + REMOTE_IMAGES + ASYNC_IMAGES
        problems = []
        if count != expected or info.length != expected:
            problems.append(f"expected {expected} items, found {count} (info: {info.length})")
        if annotated["annotations_processed"] != ANNOTATED_IMAGES:
            problems.append(f"expected {ANNOTATED_IMAGES} ground-truth boxes: {annotated}")
        if predicted["predictions_processed"] != ANNOTATED_IMAGES:
            problems.append(f"expected {ANNOTATED_IMAGES} predicted boxes: {predicted}")
        if sorted(in_slice) != sorted(item.reference_id for item in local):
            problems.append(f"the slice holds {len(in_slice)} items, not {LOCAL_IMAGES}")
        if _box_counts(checked, predicted_boxes) != "1/1":
            problems.append("remote-00007 should have one box and one prediction")
        if problems:
            print("\n".join(problems), file=sys.stderr)
            raise SystemExit(1)
        if os.environ.get("NUCLEUS_API_KEY"):
            await client.delete_dataset(dataset.id)
            await client.delete_model(model.id)
        print("Quickstart finished: every item accounted for.")
        if where == "the embedded emulator":
            print(
                "See uploads in a browser: `python -m nucleus_emulator serve --open` (its console)"
            )


def _box_counts(truth: dict[str, Any], predicted: dict[str, list[Any]]) -> str:
    return f"{len(truth['annotations'].get('box', []))}/{len(predicted.get('box', []))}"


if __name__ == "__main__":
    anyio.run(main)
