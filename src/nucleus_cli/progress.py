"""The ingest progress bar: done/total, a percentage, and labelled elapsed and remaining times.

Drawn by rich on standard error (standard output stays for results), only on an interactive
terminal unless ``--progress``/``--no-progress`` says otherwise; the SDK's documented
``NUCLEUS_DISABLE_PROGRESS_BARS`` turns it off whatever the options say, as it does for the
library's own bars.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["DISABLE_ENV", "bars_wanted", "progress_bar"]

#: The SDK's switch for every progress bar (documented in the configuration guide).
DISABLE_ENV = "NUCLEUS_DISABLE_PROGRESS_BARS"
_TRUE = frozenset({"1", "true", "yes", "on"})


def bars_wanted(setting: bool | None) -> bool:
    """Whether to draw: never when the environment says so, else ``setting``, else a tty."""
    if os.environ.get(DISABLE_ENV, "").strip().lower() in _TRUE:
        return False
    if setting is not None:
        return setting
    return sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, total: int, *, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A bar for ``total`` units; yields ``advance(n)``. Left on screen when done."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("remaining"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with bars:
        task = bars.add_task(description, total=total)
        yield lambda n: bars.advance(task, n)
