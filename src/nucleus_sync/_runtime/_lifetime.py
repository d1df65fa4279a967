"""Lifetimes of sync twins: each core is built on the loop thread; a client holds a lease.

A client (a core class with ``aclose``) takes a lease on the loop thread when it is built and
gives it back on ``close()``/``with``; one garbage collected while open is closed on the loop;
those still open at interpreter exit are closed before the loop stops. Other twins keep their
client alive instead, so the loop outlives every object derived from a client.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from ._calls import call
from ._portal import Lease, runtime
from ._twins import SyncResource, remember

__all__ = ["init_twin", "release"]

T = TypeVar("T")
P = ParamSpec("P")

_open_clients: weakref.WeakSet[SyncResource] = weakref.WeakSet()


async def _construct(factory: Callable[..., T], args: Any, kwargs: Any) -> T:
    return factory(*args, **kwargs)


def init_twin(
    twin: SyncResource,
    owner: SyncResource | None,
    factory: Callable[P, object],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> None:
    """Build the core object on the loop thread; a client also takes a lease for its lifetime.

    ``owner`` is the client an argument belongs to (see ``find_owner``): the new twin keeps it
    alive, so the loop outlives every object derived from a client.
    """
    lease = None
    if hasattr(type(twin)._core_cls, "aclose"):
        lease, _ = runtime.acquire()
    try:
        core = call(_construct, factory, args, kwargs)
    except BaseException:
        if lease is not None:
            lease.release()
        raise
    remember(twin, core)
    if lease is None:
        twin._owner = owner
    else:
        twin._lease = lease
        twin._finalizer = weakref.finalize(twin, _close_abandoned, core, lease)
        twin._finalizer.atexit = False  # the exit hook closes open clients itself
        _open_clients.add(twin)


def _close_abandoned(core: Any, lease: Lease) -> None:
    """A client was garbage collected without ``close()``: close its core, release its lease."""
    if runtime.shutting_down:
        lease.release()
    else:
        runtime.spawn(core.aclose, lease.release)


def release(twin: SyncResource) -> None:
    """End a client's lease (after ``close()`` / ``__exit__``); idempotent."""
    if twin._finalizer is not None:
        twin._finalizer.detach()
    if twin._lease is not None:
        twin._lease.release()
    _open_clients.discard(twin)


def _close_open_clients() -> None:
    for twin in list(_open_clients):
        lease = twin._lease
        if lease is None or lease.released:
            continue
        with contextlib.suppress(BaseException):  # exit goes on whatever a close does
            call(twin._core.aclose)
        release(twin)


runtime.at_exit(_close_open_clients)
