"""Quickstart: create a dataset, upload items, run an asynchronous job, read everything back.

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

import anyio

import nucleus_async as nucleus

LOCAL_IMAGES = 40
REMOTE_IMAGES = 260
ASYNC_IMAGES = 100


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
        http_transport=emulator.asgi_transport(),
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
        print(
            f"Appended: {response.new_items} new, {response.ignored_items} ignored, "
            f"{response.upload_errors} errors"
        )

        more = (
            nucleus.DatasetItem(
                image_location=f"s3://example-bucket/async/{i:05d}.jpg",
                reference_id=f"async-{i:05d}",
            )
            for i in range(ASYNC_IMAGES)
        )
        job = await dataset.append(list(more), asynchronous=True)
        status = await job.wait_until_complete(timeout=300)
        print(f"Asynchronous append {job.job_id}: {status['status']}")

        count = 0
        sources: dict[str, int] = {}
        async for item in dataset.items_generator(page_size=100):
            count += 1
            key = item.reference_id.split("-")[0]
            sources[key] = sources.get(key, 0) + 1
        info = await dataset.info()
        first = await dataset.refloc("local-000")

        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Dataset {info.name} ({dataset.id})")
        table.add_column("what")
        table.add_column("value", justify="right")
        table.add_row("items paged back", str(count))
        for key, n in sorted(sources.items()):
            table.add_row(f"  {key} items", str(n))
        table.add_row("dataset length (info)", str(info.length))
        table.add_row("first local item stored at", str(first["item"].image_location))
        table.add_row("wall time", f"{time.perf_counter() - started:.2f} s")
        Console().print(table)

        expected = LOCAL_IMAGES + REMOTE_IMAGES + ASYNC_IMAGES
        if count != expected or info.length != expected:
            print(
                f"Expected {expected} items, found {count} (info says {info.length})",
                file=sys.stderr,
            )
            raise SystemExit(1)
        if os.environ.get("NUCLEUS_API_KEY"):
            await client.delete_dataset(dataset.id)
        print("Quickstart finished: every item accounted for.")


if __name__ == "__main__":
    anyio.run(main)
