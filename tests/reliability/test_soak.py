"""Soak: 20 concurrent async clients each ingest 5,000 items into their own datasets on one
served emulator (its own process, started by the CLI), twice. Every dataset ends complete and
isolated; this process's RSS and its open connections stay flat from round one to round two."""

from __future__ import annotations

import asyncio
import gc
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from reliability_helpers import make_client, remote_items

import nucleus_async

CLIENTS = 20
ITEMS = 5_000


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _established_to(port: int) -> int:
    """ESTABLISHED client-side TCP connections to ``port`` (this network namespace)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                lines = handle.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            remote_port = int(fields[2].split(":")[1], 16)
            if remote_port == port and local_port != port and fields[3] == "01":
                count += 1
    return count


@pytest.fixture
def emulator_process() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "nucleus_emulator", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    endpoint = ""
    for _ in range(5):
        line = process.stdout.readline().strip()
        if line.startswith("http"):
            endpoint = line
            break
    try:
        assert endpoint.startswith("http://127.0.0.1:")
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.slow
async def test_soak_20_clients_two_rounds(emulator_process: str) -> None:
    endpoint = emulator_process
    port = int(re.search(r":(\d+)/", endpoint).group(1))  # type: ignore[union-attr]
    clients = [
        make_client(endpoint, key=f"soak-key-{n}", max_concurrency=4, read_timeout=30)
        for n in range(CLIENTS)
    ]
    rss: list[float] = []
    connections: list[int] = []
    peak_connections = 0
    owned: dict[int, set[str]] = {}
    try:
        for round_number in range(2):

            async def ingest(
                n: int, client: nucleus_async.NucleusClient, round_number: int = round_number
            ) -> tuple[str, int]:
                dataset = await client.create_dataset(f"soak-{round_number}-{n}", is_scene=False)
                prefix = f"c{n}-r{round_number}"
                response = await dataset.append(remote_items(ITEMS, prefix), batch_size=500)
                # A batch retried after a timeout the server had committed comes back ignored.
                assert response.new_items + response.ignored_items == ITEMS
                assert response.upload_errors == 0
                return dataset.id, n

            async def watch() -> None:
                nonlocal peak_connections
                while True:
                    peak_connections = max(peak_connections, _established_to(port))
                    await asyncio.sleep(0.2)

            watcher = asyncio.create_task(watch())
            results = await asyncio.gather(*(ingest(n, c) for n, c in enumerate(clients)))
            watcher.cancel()
            # Complete and isolated: each key sees exactly its own dataset of this round.
            for dataset_id, n in results:
                client = clients[n]
                info = await (await client.get_dataset(dataset_id)).info()
                assert info.length == ITEMS
                owned.setdefault(n, set()).add(dataset_id)
                listed = await client.list_datasets()
                assert {d.id for d in listed} == owned[n]
                refs = [
                    item.reference_id
                    async for item in (await client.get_dataset(dataset_id)).items_generator()
                ]
                assert len(refs) == len(set(refs)) == ITEMS
                assert all(ref.startswith(f"c{n}-r{round_number}-") for ref in refs)
                other = clients[(n + 1) % CLIENTS]
                with pytest.raises(nucleus_async.NotFoundError):
                    await (await other.get_dataset(dataset_id)).info()
            gc.collect()
            rss.append(_rss_mb())
            connections.append(_established_to(port))
    finally:
        for client in clients:
            await client.aclose()
    await asyncio.sleep(0.2)
    after_close = _established_to(port)
    print(
        f"\nsoak: rss after rounds {rss[0]:.1f} MB -> {rss[1]:.1f} MB; established connections "
        f"after rounds {connections}, peak {peak_connections}, after close {after_close}"
    )
    assert rss[1] - rss[0] < 25, rss  # flat: round two keeps no round-one garbage
    # Idle keep-alive connections come and go (the server closes them after 5 s idle); what
    # must hold is the pool bound after each round and during it, and none left at the end.
    assert all(n <= CLIENTS * 4 for n in connections), connections
    assert peak_connections <= CLIENTS * 4 * 2  # httpx pool limit: 2 x max_concurrency
    assert after_close == 0


def test_established_parser_sees_a_connection() -> None:
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            conn, _ = server.accept()
            with conn:
                assert _established_to(port) == 1
    assert httpx  # imported for the soak's endpoint checks
