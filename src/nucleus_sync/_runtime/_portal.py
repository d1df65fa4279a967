"""The process-wide event-loop thread behind nucleus_sync, and the leases that keep it alive.

One daemon thread per process runs an asyncio loop serving an anyio ``BlockingPortal``. It is
started lazily by the first lease, kept alive while any lease is held, stopped when the last one
is released and at interpreter exit, and forgotten in a forked child (the thread does not exist
there, so the child starts its own on first use).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anyio

# asyncio and the portal are imported where the loop thread starts: importing nucleus_sync
# should not pay for them (about 40 ms) before the first call.
if TYPE_CHECKING:
    import asyncio

    from anyio.from_thread import BlockingPortal

__all__ = ["EXIT_GRACE_SECONDS", "Lease", "Runtime", "runtime"]

#: How long interpreter exit waits for open clients to close and for the loop to stop.
EXIT_GRACE_SECONDS = 5.0


class _LoopThread:
    """A daemon thread running an asyncio loop that serves an anyio ``BlockingPortal``."""

    def __init__(self) -> None:
        self._ready: concurrent.futures.Future[BlockingPortal] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._main, name="nucleus_sync-loop", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.portal: BlockingPortal | None = None
        self.ident: int | None = None

    def start(self) -> BlockingPortal:
        self._thread.start()
        self.portal = self._ready.result()
        self.ident = self._thread.ident
        return self.portal

    def _main(self) -> None:
        import asyncio

        from anyio.from_thread import BlockingPortal

        async def serve() -> None:
            async with BlockingPortal() as portal:
                self.loop = asyncio.get_running_loop()
                self._ready.set_result(portal)
                await portal.sleep_until_stopped()

        try:
            anyio.run(serve, backend="asyncio")
        except BaseException as exc:  # surfaced to the starting thread, not lost in this one
            if not self._ready.done():
                self._ready.set_exception(exc)

    def stop(self, timeout: float | None = None) -> None:
        """Cancel what is left on the loop and wait for the thread to end."""
        portal = self.portal
        if portal is not None:
            with contextlib.suppress(RuntimeError):  # already stopped
                portal.call(portal.stop, True)
        self._thread.join(timeout)


class Lease:
    """Keeps the loop thread alive; ``release()`` is idempotent."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._released = False

    @property
    def released(self) -> bool:
        return self._released

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._runtime.release()


class Runtime:
    """The process-wide loop thread and the count of leases that keep it running."""

    def __init__(self) -> None:
        # Re-entrant: a garbage-collection finalizer may run while this thread holds it.
        self._lock = threading.RLock()
        self._loop: _LoopThread | None = None
        self._leases = 0
        self._exit_hooks: list[Callable[[], object]] = []
        # Tasks started without waiting (see ``spawn``): the loop keeps only weak references.
        self._background: set[asyncio.Future[None]] = set()
        self.shutting_down = False

    @property
    def loop_thread_ident(self) -> int | None:
        loop = self._loop
        return None if loop is None else loop.ident

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        loop = self._loop
        return None if loop is None else loop.loop

    def acquire(self) -> tuple[Lease, BlockingPortal]:
        with self._lock:
            if self._loop is None:
                loop = _LoopThread()
                loop.start()
                self._loop = loop
            self._leases += 1
            assert self._loop.portal is not None
            return Lease(self), self._loop.portal

    def release(self) -> None:
        with self._lock:
            self._leases -= 1
            if self._leases > 0 or self._loop is None:
                return
            loop, self._loop = self._loop, None
        if threading.get_ident() == loop.ident:
            # The last lease went away on the loop itself (a finalizer ran there): it cannot
            # wait for its own end, so another thread stops it.
            threading.Thread(target=loop.stop, name="nucleus_sync-stop", daemon=True).start()
        else:
            loop.stop()

    def spawn(
        self, fn: Callable[[], Awaitable[object]], then: Callable[[], object] | None = None
    ) -> None:
        """Run ``fn()`` on the loop without waiting for it, then ``then()`` (on the loop thread).

        For finalizers: they may run in any thread, at any allocation, even while this runtime
        holds its lock, so they must not block. With no loop running (after fork, at exit)
        there is nothing left to run ``fn`` for: only ``then()`` runs, here.
        """
        loop = self.loop

        async def run() -> None:
            try:
                await fn()
            except Exception:  # nowhere to report it: its owner is gone
                pass
            finally:
                if then is not None:
                    then()

        def start() -> None:
            import asyncio

            task = asyncio.ensure_future(run())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        try:
            if loop is None:
                raise RuntimeError("no loop")
            loop.call_soon_threadsafe(start)
        except RuntimeError:  # the loop is gone or closed
            if then is not None:
                then()

    def at_exit(self, hook: Callable[[], object]) -> None:
        """Run ``hook()`` at interpreter exit while the loop still serves (to close clients)."""
        self._exit_hooks.append(hook)

    def before_fork(self) -> None:
        self._lock.acquire()

    def after_fork_in_parent(self) -> None:
        self._lock.release()

    def after_fork_in_child(self) -> None:
        # The loop thread does not exist in the child. Leases held by objects copied into the
        # child stay counted (they are released there); the next call starts a fresh loop.
        self._lock = threading.RLock()
        self._loop = None
        self._background = set()

    def shutdown(self) -> None:
        self.shutting_down = True
        for hook in self._exit_hooks:
            with contextlib.suppress(BaseException):  # exit goes on whatever a hook does
                hook()
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.stop(EXIT_GRACE_SECONDS)


runtime = Runtime()
atexit.register(runtime.shutdown)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=runtime.before_fork,
        after_in_parent=runtime.after_fork_in_parent,
        after_in_child=runtime.after_fork_in_child,
    )
