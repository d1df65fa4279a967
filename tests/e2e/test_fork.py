"""A sync client used before a fork works in every forked child as if new (issue 16).

Celery's prefork pool, gunicorn ``--preload`` and ``multiprocessing`` with the fork start
method build or warm a client in the parent, then fork. Each child must get its own loop
thread, connection pool and limiter on first use, and the parent keeps using its client.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator

import pytest

import nucleus_sync
from nucleus_async import DatasetItem
from nucleus_emulator import Emulator

FORK_WITH_THREADS = "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
    # Python 3.12+ warns on every fork of a process with threads; forking one that runs the
    # sync facade's loop thread is the very case under test.
    pytest.mark.filterwarnings(FORK_WITH_THREADS),
]

WORKERS = 4
ITEMS_PER_CHILD = 30
#: Generous: a child that hangs fails the test instead of hanging the suite.
RESULT_TIMEOUT = 120

#: The client inherited by forked children (a global, as a Celery worker module would hold).
_client: nucleus_sync.NucleusClient | None = None


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with Emulator() as emu, emu.serve() as endpoint:
        yield endpoint


@pytest.fixture
def client(served: str) -> Iterator[nucleus_sync.NucleusClient]:
    global _client
    with nucleus_sync.NucleusClient("fork-key", endpoint=served, progress=False) as c:
        _client = c
        try:
            yield c
        finally:
            _client = None


def items(prefix: str, count: int = ITEMS_PER_CHILD) -> list[DatasetItem]:
    return [
        DatasetItem(f"https://example.com/{prefix}/{i}.jpg", f"{prefix}-{i}") for i in range(count)
    ]


def append_from_child(dataset_id: str, prefix: str) -> tuple[int, int]:
    """Runs in a forked worker: append through the client inherited from the parent."""
    assert _client is not None
    response = _client.get_dataset(dataset_id).append(items(prefix), batch_size=10)
    return os.getpid(), response.new_items


def test_a_used_client_works_in_every_worker_of_a_fork_pool(
    client: nucleus_sync.NucleusClient,
) -> None:
    dataset = client.create_dataset("prefork", is_scene=False)
    assert dataset.append(items("parent")).new_items == ITEMS_PER_CHILD  # warm: pool, loop
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        pending = [
            pool.apply_async(append_from_child, (dataset.id, f"child{n}")) for n in range(WORKERS)
        ]
        results = [p.get(timeout=RESULT_TIMEOUT) for p in pending]
    assert all(pid != os.getpid() for pid, _ in results)
    assert [new for _, new in results] == [ITEMS_PER_CHILD] * WORKERS
    # The parent goes on with the same client, its pool untouched by the children.
    assert dataset.append(items("parent-after")).new_items == ITEMS_PER_CHILD
    refs = [item.reference_id for item in dataset.items_generator(page_size=50)]
    assert len(refs) == len(set(refs)) == ITEMS_PER_CHILD * (WORKERS + 2)
    assert dataset.info().length == ITEMS_PER_CHILD * (WORKERS + 2)


def test_a_used_client_works_in_a_child_of_os_fork(client: nucleus_sync.NucleusClient) -> None:
    dataset = client.create_dataset("os-fork", is_scene=False)
    assert dataset.append(items("parent")).new_items == ITEMS_PER_CHILD
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe and never return into pytest
        report = "no report"
        try:
            os.close(read)
            _, new_items = append_from_child(dataset.id, "child")
            client.close()  # closes the child's connections, never the parent's
            report = f"appended {new_items}"
        except BaseException as exc:
            report = f"failed: {exc!r}"
        finally:
            os.write(write, report.encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        reported = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert reported == f"appended {ITEMS_PER_CHILD}"
    assert dataset.append(items("parent-after")).new_items == ITEMS_PER_CHILD
    assert dataset.info().length == ITEMS_PER_CHILD * 3
