"""A plain blocking script on the sync facade: concurrent uploads with a progress bar.

``import nucleus_sync as nucleus`` gives the official client's API, but every call runs on the
asyncio core in a background thread, so ``dataset.append`` of a few thousand items still sends
its batches concurrently (up to ``max_concurrency`` requests in flight) while the script just
blocks until they have all landed. No ``async`` anywhere in this file.

    python examples/blocking_script.py                    # 3000 items, bars in a terminal
    python examples/blocking_script.py --items 20000 --max-concurrency 32

With no endpoint configured (neither ``NUCLEUS_API_KEY`` nor ``NUCLEUS_ENDPOINT`` set) it runs
on an embedded emulator that adds ``--latency`` seconds to every answer, as a network would;
the emulator's counters then show how many requests were in flight at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import nucleus_sync as nucleus


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=3000, help="items to upload")
    parser.add_argument("--batch-size", type=int, default=50, help="items per request")
    parser.add_argument("--max-concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument(
        "--latency", type=float, default=0.02, help="emulator only: seconds added per request"
    )
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=True, help="progress bars"
    )
    return parser.parse_args()


def generate_items(count: int) -> Iterator[nucleus.DatasetItem]:
    """Items made on demand: ``append`` streams a generator, never holding it all."""
    for i in range(count):
        yield nucleus.DatasetItem(
            image_location=f"s3://example-bucket/frames/{i:06d}.jpg",
            reference_id=f"frame-{i:06d}",
            metadata={"sequence": i // 100, "weather": ("sun", "rain", "fog")[i % 3]},
        )


def open_client(stack: ExitStack, args: argparse.Namespace) -> tuple[nucleus.NucleusClient, Any]:
    """A client for the configured endpoint, or for an embedded emulator (returned too)."""
    options: dict[str, Any] = {"max_concurrency": args.max_concurrency, "progress": args.progress}
    if os.environ.get("NUCLEUS_API_KEY") or os.environ.get("NUCLEUS_ENDPOINT"):
        return stack.enter_context(nucleus.NucleusClient(**options)), None
    from nucleus_emulator import Emulator

    emulator = stack.enter_context(Emulator(latency=args.latency))
    client = nucleus.NucleusClient(
        "blocking-script-key",
        endpoint=emulator.endpoint,
        http_transport=nucleus.ASGITransport(emulator.app),
        **options,
    )
    return stack.enter_context(client), emulator


def main() -> int:
    args = parse_args()
    with ExitStack() as stack:
        client, emulator = open_client(stack, args)
        where = "an embedded emulator" if emulator else client.endpoint
        print(f"Uploading {args.items} items to {where}, {args.max_concurrency} requests at once")

        dataset = client.create_dataset("blocking-script", is_scene=False)
        started = time.perf_counter()
        response = dataset.append(generate_items(args.items), batch_size=args.batch_size)
        elapsed = time.perf_counter() - started
        assert isinstance(response, nucleus.UploadResponse)  # a job only with asynchronous=True
        print(
            f"append: {response.new_items} new, {response.ignored_items} ignored, "
            f"{response.upload_errors} errors in {elapsed:.2f} s "
            f"({args.items / max(elapsed, 1e-9):.0f} items/s)"
        )
        if emulator is not None:
            stats = emulator.stats
            serial = stats.requests * args.latency
            print(
                f"emulator: {stats.requests} requests, at most {stats.peak_concurrency} in flight "
                f"(one at a time would have taken at least {serial:.2f} s)"
            )

        # Ground truth for every tenth item, in the same blocking style.
        boxes = [
            nucleus.BoxAnnotation(
                label="pedestrian",
                x=10,
                y=20,
                width=30,
                height=60,
                reference_id=f"frame-{i:06d}",
                annotation_id=f"ped-{i}",
            )
            for i in range(0, args.items, 10)
        ]
        annotated = dataset.annotate(boxes)
        assert isinstance(annotated, dict)
        print(f"annotate: {annotated.get('annotations_processed', 0)} boxes processed")

        # An asynchronous upload returns a job; waiting on it blocks this thread only.
        extra = [
            nucleus.DatasetItem(
                image_location=f"s3://example-bucket/extra/{i:04d}.jpg",
                reference_id=f"extra-{i:04d}",
            )
            for i in range(100)
        ]
        job = dataset.append(extra, asynchronous=True)
        assert isinstance(job, nucleus.AsyncJob)
        status = job.wait_until_complete(timeout=120)
        print(f"job {job.job_id}: {status['status']}")

        # Paged reads are plain generators here; each page is one hop to the core.
        count = sum(1 for _ in dataset.items_generator(page_size=1000))
        expected = args.items + len(extra)
        print(f"read back {count} items (expected {expected})")
        if emulator is None:  # leave no demo data behind on a real service
            client.delete_dataset(dataset.id)
        return 0 if count == expected else 1


if __name__ == "__main__":
    sys.exit(main())
