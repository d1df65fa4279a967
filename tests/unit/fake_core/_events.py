"""What ran on the loop, for tests to assert on."""

from __future__ import annotations

import threading

EVENTS: list[str] = []
LOOP_THREADS: set[int] = set()


def record(event: str) -> None:
    EVENTS.append(event)
    LOOP_THREADS.add(threading.get_ident())
