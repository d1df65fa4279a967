"""The sync runtime: one loop thread, leases, wrapping, iteration, Ctrl-C, fork, misuse."""

from __future__ import annotations

import _thread
import asyncio
import gc
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_core import facade
from fake_core._events import EVENTS

from nucleus_sync._runtime import _pager, _portal

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

#: Python 3.12+ warns on every fork of a process with threads; forking one that runs the loop
#: thread is the very case the fork tests are about.
forks_with_threads = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"
)


@pytest.fixture(scope="module")
def sync() -> ModuleType:
    return facade.fake_sync()


@pytest.fixture
def client(sync: ModuleType) -> Iterator[Any]:
    with sync.NucleusClient("key") as c:
        yield c


def leases() -> int:
    return _portal.runtime._leases


# -- calls ------------------------------------------------------------------------------------


def test_coroutines_run_on_the_loop_thread_not_the_caller(client: Any) -> None:
    loop_thread = client.loop_thread()
    assert loop_thread != threading.get_ident()
    assert loop_thread == _portal.runtime.loop_thread_ident


def test_client_core_is_constructed_on_the_loop_thread(client: Any) -> None:
    assert client._core.constructed_on == client.loop_thread()


def test_core_errors_propagate_unchanged(sync: ModuleType, client: Any) -> None:
    with pytest.raises(sync.FakeError, match="boom"):
        client.fail("boom")


def test_properties_and_attributes_delegate_to_the_core(client: Any) -> None:
    assert client.endpoint == "memory://"
    dataset = client.get_dataset("ds_1")
    dataset.name = "renamed"
    assert dataset._core.name == "renamed"
    assert dataset.tag == "main"


# -- wrapping ---------------------------------------------------------------------------------


def test_returned_resources_are_sync_twins_inside_containers(sync: ModuleType, client: Any) -> None:
    dataset = client.create_dataset("a")
    assert type(dataset) is sync.Dataset
    assert client.list_datasets() == [dataset]
    assert type(client.list_datasets()[0]) is sync.Dataset
    assert client.datasets_by_name() == {"a": dataset}


def test_a_core_object_maps_back_to_its_existing_twin(client: Any) -> None:
    dataset = client.create_dataset("b")
    assert client.get_dataset("ds_b") is dataset
    assert client.get_job("j").client is client


def test_subclass_results_get_their_own_twin(sync: ModuleType, client: Any) -> None:
    job = client.create_dataset("c").export("x", y=1)
    assert isinstance(job, sync.AsyncJob)
    assert type(job).__name__ == "ExportJob"
    assert job.download() == ["export-ds_c-1-1"]


def test_resource_arguments_are_unwrapped(client: Any) -> None:
    dataset = client.create_dataset("d")
    assert dataset.same_as(dataset) is True
    assert dataset.same_as(client.get_dataset("other")) is False


def test_twins_built_directly_keep_their_client_alive(sync: ModuleType, client: Any) -> None:
    job = sync.AsyncJob("j1", client)
    assert job._owner is client
    assert job.wait_until_complete() == "Completed"


def test_module_level_coroutines_block_and_unwrap_resources(sync: ModuleType, client: Any) -> None:
    jobs = [client.get_job("a"), sync.AsyncJob("b", client)]
    assert sync.wait_for_jobs(jobs, timeout=1) == ["Completed", "Completed"]


def test_members_inherited_from_core_mixins_are_mirrored(client: Any) -> None:
    dataset = client.create_dataset("mixin")
    assert dataset.first_item().reference_id == "ds_mixin-0"
    assert dataset.slug == "ds-mixin"
    assert dataset.MAX_PAGE_SIZE == 100
    assert dataset.sorted_ids(["a", "b"], "desc") == ["b", "a"]


def test_a_mixin_shared_by_two_resources_is_mirrored_in_both(sync: ModuleType, client: Any) -> None:
    slice_ = client.get_slice("sl_1")
    assert type(slice_) is sync.Slice
    assert slice_.first_item().reference_id == "sl_1-0"


# -- iteration --------------------------------------------------------------------------------


def test_pager_yields_items_and_pages(sync: ModuleType, client: Any) -> None:
    dataset = client.create_dataset("p")
    items = list(dataset.items_generator(5, 2))
    assert [i.reference_id for i in items] == [f"ds_p-{i}" for i in range(5)]
    assert [len(page) for page in dataset.items_generator(5, 2).pages()] == [2, 2, 1]
    assert dataset.items_generator(3, 2).to_list() == items[:3]


def test_pager_crosses_into_the_loop_once_per_page(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = client.create_dataset("q")
    hops = 0
    real_call = _pager.call

    def counting_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal hops
        hops += 1
        return real_call(fn, *args, **kwargs)

    monkeypatch.setattr(_pager, "call", counting_call)
    assert len(list(dataset.items_generator(100, 25))) == 100
    assert hops == 4 + 1 + 1  # four pages, the end of the stream, aclose


def test_breaking_out_of_a_pager_closes_the_stream_at_once(client: Any) -> None:
    dataset = client.create_dataset("r")
    for _ in dataset.items_generator(10, 2):
        break
    assert EVENTS[-1] == "ds_r:pages-closed"


def test_breaking_out_of_an_async_generator_closes_it_at_once(client: Any) -> None:
    dataset = client.create_dataset("s")
    for i in dataset.stream():
        if i == 3:
            break
    assert EVENTS[-1] == "ds_s:stream-closed"


def test_an_abandoned_iterator_is_closed_when_collected(client: Any) -> None:
    dataset = client.create_dataset("t")
    stream = dataset.stream()
    assert next(stream) == 0
    del stream
    gc.collect()
    assert EVENTS[-1] == "ds_t:stream-closed"


# -- lifetime ---------------------------------------------------------------------------------


def test_the_loop_thread_lives_as_long_as_a_client(sync: ModuleType) -> None:
    before = leases()
    client = sync.NucleusClient("key")
    assert leases() == before + 1
    first = client.loop_thread()
    time.sleep(0.05)
    assert client.loop_thread() == first
    client.close()
    assert leases() == before
    assert client._core.closed
    if before == 0:
        assert _portal.runtime._loop is None


def test_exit_of_with_block_releases_the_lease(sync: ModuleType) -> None:
    before = leases()
    with sync.NucleusClient("key") as client:
        assert leases() == before + 1
    assert leases() == before
    assert client._core.closed


def test_an_abandoned_client_is_closed_and_releases_its_lease(sync: ModuleType) -> None:
    before = leases()
    client = sync.NucleusClient("key")
    core = client._core
    del client
    gc.collect()
    deadline = time.monotonic() + 5
    while (not core.closed or leases() != before) and time.monotonic() < deadline:
        time.sleep(0.01)  # finalizers hand the close to the loop and do not wait for it
    assert core.closed
    assert leases() == before


def test_interpreter_exit_closes_open_clients_without_hanging(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import atexit, sys
        sys.path[:0] = [{str(Path(__file__).parent)!r}, {str(facade.ROOT / "src")!r}]
        from fake_core import facade
        from fake_core._events import EVENTS
        atexit.register(lambda: print("events:", EVENTS))
        sync = facade.fake_sync()
        client = sync.NucleusClient("key")
        print(client.sleep(0))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "client-closed" in done.stdout


# -- misuse and signals -----------------------------------------------------------------------


def test_keyboard_interrupt_cancels_the_inner_task_and_reraises(client: Any) -> None:
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.hang()
    assert time.monotonic() - started < 10
    assert "hang-cancelled" in EVENTS
    assert client.sleep(0) == 0  # the loop is still serving


def test_call_from_the_loop_thread_raises_instead_of_deadlocking(client: Any) -> None:
    with pytest.raises(RuntimeError, match="own event-loop thread"):
        client.run_callback(lambda: client.sleep(0))


def test_call_inside_a_running_event_loop_warns_and_still_works(client: Any) -> None:
    async def main() -> float:
        with pytest.warns(RuntimeWarning, match="nucleus_async") as caught:
            result: float = client.sleep(0)
        assert caught[0].filename == __file__  # points at the caller, not the facade
        return result

    assert asyncio.run(main()) == 0


def test_the_warning_points_at_the_callers_line_from_constructors_and_pagers(
    sync: ModuleType, client: Any
) -> None:
    dataset = client.create_dataset("warned")

    async def main() -> None:
        with pytest.warns(RuntimeWarning, match="nucleus_async") as caught:
            sync.NucleusClient("key").close()
            next(iter(dataset.items_generator(3, 2)))
        assert {w.filename for w in caught} == {__file__}

    asyncio.run(main())


def install_fake_kernel(monkeypatch: pytest.MonkeyPatch, shell: object) -> None:
    """Make ``sys.modules`` look as in an IPython process whose ``get_ipython()`` is ``shell``."""
    ipython = ModuleType("IPython")
    ipython.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "ipykernel", ModuleType("ipykernel"))


def kernel_shell(loop: object) -> SimpleNamespace:
    return SimpleNamespace(kernel=SimpleNamespace(io_loop=SimpleNamespace(asyncio_loop=loop)))


def test_no_warning_inside_the_loop_of_an_ipython_kernel(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> float:
        install_fake_kernel(monkeypatch, kernel_shell(asyncio.get_running_loop()))
        result: float = client.sleep(0)  # a RuntimeWarning would fail this module's tests
        return result

    assert asyncio.run(main()) == 0


def test_a_loop_other_than_the_kernels_still_warns(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        install_fake_kernel(monkeypatch, kernel_shell(object()))
        with pytest.warns(RuntimeWarning, match="nucleus_async"):
            client.sleep(0)

    asyncio.run(main())


def test_ipython_in_a_terminal_still_warns(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        install_fake_kernel(monkeypatch, SimpleNamespace())  # a shell without a kernel
        with pytest.warns(RuntimeWarning, match="nucleus_async"):
            client.sleep(0)

    asyncio.run(main())


def test_many_threads_call_concurrently(client: Any) -> None:
    results: list[float] = []

    def worker() -> None:
        results.append(client.sleep(1.0))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1.0] * 16
    # Concurrent on the loop: one after the other would take 16 s. Loose for a loaded machine.
    assert time.monotonic() - started < 8


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@forks_with_threads
def test_a_forked_child_starts_its_own_loop(sync: ModuleType, client: Any) -> None:
    parent_loop = _portal.runtime._loop
    assert parent_loop is not None
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            with sync.NucleusClient("key") as fresh:
                ok = fresh.sleep(0) == 0
                ok = ok and client.sleep(0) == 0  # a client from before the fork too
                ok = ok and _portal.runtime._loop not in (None, parent_loop)
            code = 0 if ok else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _portal.runtime._loop is parent_loop
    assert client.sleep(0) == 0


#: The client a forked pool worker inherits (pool workers run module-level functions).
_inherited: Any = None


def call_inherited_client() -> tuple[int, int | None, float]:
    """In a forked worker: call through the parent's client; report pid and loop thread."""
    result = _inherited.sleep(0)
    return os.getpid(), _portal.runtime.loop_thread_ident, result


def results_from_fork_pool(client: Any, workers: int) -> list[tuple[int, int | None, float]]:
    global _inherited
    _inherited = client
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending = [pool.apply_async(call_inherited_client) for _ in range(workers)]
            return [p.get(timeout=60) for p in pending]
    finally:
        _inherited = None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@forks_with_threads
def test_a_used_client_works_in_every_worker_of_a_fork_pool(client: Any) -> None:
    parent_loop = client.loop_thread()
    results = results_from_fork_pool(client, 2)
    assert [r for _, _, r in results] == [0, 0]
    assert all(pid != os.getpid() for pid, _, _ in results)
    assert all(loop is not None for _, loop, _ in results)
    assert client.loop_thread() == parent_loop  # the parent's loop goes on serving


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@forks_with_threads
def test_a_fork_while_another_thread_waits_on_a_call_does_not_hang_the_child(
    client: Any,
) -> None:
    before = leases()
    answers: list[float] = []
    waiter = threading.Thread(target=lambda: answers.append(client.sleep(1.0)))
    waiter.start()
    while leases() == before:  # the call holds a lease while it waits
        time.sleep(0.01)
    results = results_from_fork_pool(client, 2)
    waiter.join()
    assert [r for _, _, r in results] == [0, 0]
    assert answers == [1.0]
