"""A client whose owner forks: the child works as if new, the parent's connections are untouched.

Served over TCP, so the parent holds a real keep-alive socket when it forks. The child runs its
own event loop (the parent's loop thread does not exist there) and must build its own pool and
limiter; it must neither use nor close the parent's socket, whose file descriptor it inherited:
a graceful close would send the server an end of stream on the parent's connection.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from typing import Any, NoReturn

import anyio
import anyio.from_thread
import pytest
from reliability_helpers import API_KEY, wait_until

import nucleus_async
from nucleus_emulator import Emulator

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")


def _peers(emu: Emulator) -> set[Any]:
    """The client addresses of the connections the served emulator holds open."""
    return set(emu.state.connections._transports)


async def _name_of(dataset: nucleus_async.Dataset) -> str:
    return await dataset.name


def _run_child(client: nucleus_async.NucleusClient, parent_dataset: str) -> NoReturn:
    """Use the inherited client in the forked child; exit 0 when all went as it should."""
    status = 1
    try:
        transport = client._transport
        inherited_pool, inherited_limiter = transport._http_client, transport._limiter

        async def use() -> None:
            await client.create_dataset("made by the child", is_scene=False)
            assert parent_dataset in {d.id for d in await client.list_datasets()}
            await client.aclose()  # closes the child's pool, not the parent's

        anyio.run(use)
        assert transport._http_client is not inherited_pool, "the child used the parent's pool"
        assert transport._limiter is not inherited_limiter, "the child used the parent's limiter"
        assert not inherited_pool.is_closed, "the child closed the parent's pool"
        status = 0
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(status)  # no atexit, no pytest teardown in the child


def test_a_forked_child_gets_its_own_pool_and_the_parent_keeps_its_own() -> None:
    with Emulator() as emu, emu.serve() as endpoint:
        client = nucleus_async.NucleusClient(API_KEY, endpoint=endpoint, progress=False)
        # The parent's loop runs on another thread, as the sync facade's does.
        with anyio.from_thread.start_blocking_portal() as portal:
            parent_dataset = portal.call(client.create_dataset, "made by the parent", False)
            parent_pool = client._transport._http
            assert wait_until(lambda: len(_peers(emu)) == 1)
            parent_peers = _peers(emu)
            with warnings.catch_warnings():
                # Python 3.12+ warns that forking a threaded process may deadlock the child;
                # the child here only runs its own event loop and exits.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:
                _run_child(client, parent_dataset.id)
            _, wait_status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(wait_status) == 0, "the child failed (see stderr)"
            # The child's connections went with it; the parent's is still open.
            assert wait_until(lambda: _peers(emu) == parent_peers)
            # Had the child closed the parent's socket, this request could not go over it.
            datasets = portal.call(client.list_datasets)
            assert client._transport._http is parent_pool
            assert _peers(emu) == parent_peers  # the parent reused its own connection
            names = {portal.call(_name_of, d) for d in datasets}
            assert names == {"made by the parent", "made by the child"}
            portal.call(client.aclose)


def test_a_child_forked_while_a_bar_is_open_draws_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent has a bar open and another thread holds the display's lock at the fork: the
    child neither waits for that lock nor draws into the parent's display."""
    import threading

    from nucleus_async import _progress

    monkeypatch.setenv("NUCLEUS_DISABLE_PROGRESS_BARS", "0")
    parent_display = _progress.progress_for(True)
    parent_bar = parent_display.task("parent", total=10)
    holding, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with _progress._shared_lock:
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    holding.wait(10)
    try:
        pid = os.fork()
        if pid == 0:  # the child
            status = 1
            try:
                child_display = _progress.progress_for(True)  # would wait on the held lock
                assert child_display is not parent_display
                with child_display.task("child", total=1) as bar:
                    bar.advance(1)
                status = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(status)
        # Generous: a child stuck on the parent's lock never ends; kill it and fail then.
        statuses: list[int] = []

        def child_ended() -> bool:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                statuses.append(status)
            return bool(statuses)

        if not wait_until(child_ended, timeout=30):
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        assert statuses, "the forked child hung opening a progress bar"
        assert os.waitstatus_to_exitcode(statuses[0]) == 0
    finally:
        release.set()
        holder.join()
        parent_bar.close()
