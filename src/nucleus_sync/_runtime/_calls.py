"""Blocking calls from user threads into the loop thread, cancelled on Ctrl-C.

A call from the loop thread itself raises instead of deadlocking; a call from a thread that
runs its own event loop warns (use ``nucleus_async`` there) but still works, because the work
runs on the other thread (so Jupyter needs no ``nest_asyncio``). In a notebook cell, blocking
the kernel's loop is the norm, so there it does not warn.
"""

from __future__ import annotations

import concurrent.futures
import sys
import threading
import warnings
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import ParamSpec, TypeVar

from nucleus_async._warnings import call_site

from ._kernel import is_kernel_loop
from ._portal import runtime

__all__ = ["call", "caller_stacklevel"]

T = TypeVar("T")
P = ParamSpec("P")

#: How often a waiting caller wakes up to notice Ctrl-C (a blocked lock wait may not see it).
_POLL_SECONDS = 0.1
#: How long Ctrl-C waits for the cancelled coroutine to run its cleanup before re-raising.
_CANCEL_GRACE_SECONDS = 5.0
#: Modules whose frames are the facade's, not the user's.
_RUNTIME_PACKAGE = __name__.rpartition(".")[0]


def _is_facade_frame(module_globals: dict[str, object]) -> bool:
    name = module_globals.get("__name__")
    if isinstance(name, str) and (
        name == _RUNTIME_PACKAGE or name.startswith(_RUNTIME_PACKAGE + ".")
    ):
        return True
    # Generated modules import the runtime package as ``_rt`` (also generated test facades,
    # whatever their package is called).
    return module_globals.get("_rt") is sys.modules[_RUNTIME_PACKAGE]


def caller_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside the facade (the user's call site)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and _is_facade_frame(frame.f_globals):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _check_caller() -> None:
    if threading.get_ident() == runtime.loop_thread_ident:
        raise RuntimeError(
            "nucleus_sync was called from its own event-loop thread (for example from a callback "
            "or progress reporter that the core runs on the loop); waiting there would deadlock. "
            "Use nucleus_async and await the method instead."
        )
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if is_kernel_loop(loop):
        return
    warnings.warn(
        "nucleus_sync called from a thread that is running an event loop: the loop is blocked "
        "until the call returns. In async code use nucleus_async and await the method instead.",
        RuntimeWarning,
        stacklevel=caller_stacklevel(),
    )


def _wait(future: concurrent.futures.Future[T]) -> T:
    # Wake up regularly: a signal may land on another thread and only set a flag here.
    while not future.done():
        concurrent.futures.wait((future,), timeout=_POLL_SECONDS)
    return future.result()


def call(fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(*args, **kwargs)`` on the loop thread and block until it returns.

    Ctrl-C (or any exception raised in this thread while it waits) cancels the coroutine,
    waits briefly for its cleanup, and re-raises.
    """
    _check_caller()
    # The core's warnings name the user's line, not this thread-hop (see nucleus_async._warnings).
    try:
        user_frame: FrameType | None = sys._getframe(caller_stacklevel() - 1)
    except ValueError:  # no user frame above (the exit handler closing clients)
        user_frame = None
    lease, portal = runtime.acquire()
    try:
        finished = threading.Event()

        async def run() -> T:
            call_site.set(user_frame)  # in this task's own context only
            try:
                return await fn(*args, **kwargs)
            finally:
                finished.set()

        future = portal.start_task_soon(run)
        try:
            return _wait(future)
        except BaseException:
            if not future.done():
                future.cancel()
                finished.wait(_CANCEL_GRACE_SECONDS)
            raise
    finally:
        lease.release()
