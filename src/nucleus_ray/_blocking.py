"""Running the async core from Ray's synchronous hooks (write tasks, read tasks, driver callbacks).

Ray calls ``Datasink.write``, ``ReadTask`` functions and ``on_write_*`` from plain threads; each
call runs its own event loop here. A caller already inside an event loop (an async service
that called ``write_datasink``) gets the loop in a fresh thread instead of an error.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import sniffio

__all__ = ["iterate_blocking", "run_blocking"]

T = TypeVar("T")


def _in_event_loop() -> bool:
    try:
        sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return False
    return True


def run_blocking(function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``await function(*args)`` on a new event loop and return its result (or raise)."""
    if not _in_event_loop():
        return anyio.run(function, *args)
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = anyio.run(function, *args)
        except BaseException as exc:  # handed to the calling thread, which re-raises it
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="nucleus-ray-loop")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["value"]
    return result


def iterate_blocking(open_pages: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Iterate an async iterator from synchronous code, one hop per element.

    The loop lives in a portal thread for as long as the iteration; an early ``close()`` of
    the returned generator closes the async iterator on its loop.
    """
    with anyio.from_thread.start_blocking_portal() as portal:
        pages = portal.call(open_pages)
        try:
            while True:
                try:
                    page = portal.call(pages.__anext__)
                except StopAsyncIteration:
                    return
                yield page
        finally:
            aclose = getattr(pages, "aclose", None)
            if aclose is not None:
                portal.call(aclose)
