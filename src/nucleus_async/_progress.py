"""Progress reporting: the reporter a bulk operation drives (rich bars, DEBUG log lines, nothing).

::

    with progress_for(progress).task("Uploading items", total=len(items)) as task:
        ...
        task.advance(len(batch))

``progress_for(setting)`` chooses the reporter. ``setting`` is the per-call argument, which the
caller falls back to the client's option before calling:

1. ``NUCLEUS_DISABLE_PROGRESS_BARS`` set to a true value (1/true/yes/on) wins over code: no bars.
2. ``True`` forces bars, ``False`` turns them off.
3. ``None``: bars only when stderr is an interactive terminal.

Without bars the reporter logs at DEBUG to ``nucleus_async`` (start, at most one line every few
seconds, finish). Bars are drawn by rich, imported only when bars are first wanted, on stderr,
transient (they vanish when done), with ``redirect_stdout=False, redirect_stderr=False`` so
the library never captures or prints the user's output. In Jupyter the bars are refreshed
explicitly (throttled) instead of by rich's timer thread; they need ``ipywidgets`` there, and
without it the reporter logs instead.

A terminal has one cursor, and rich allows one live display per console, so every task of the
process shares one display: it starts with the first open task and stops with the last. Tasks
can be opened, advanced and closed from concurrent tasks and from several threads.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from ._config import env_flag

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichBars
    from rich.progress import TaskID

__all__ = [
    "DISABLE_ENV",
    "LoggingProgress",
    "NullProgress",
    "Progress",
    "ProgressTask",
    "RichProgress",
    "progress_for",
]

logger = logging.getLogger("nucleus_async")

#: Set to 1/true/yes/on to turn progress bars off, whatever the code asks for.
DISABLE_ENV = "NUCLEUS_DISABLE_PROGRESS_BARS"

_LOG_EVERY_SECONDS = 5.0
_JUPYTER_REFRESH_SECONDS = 0.1


class ProgressTask(Protocol):
    """One bar (or log stream): advanced as work lands, closed when the work is done."""

    def advance(self, n: int = 1) -> None: ...
    def set_total(self, total: int | None) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> ProgressTask: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Progress(Protocol):
    """Opens progress tasks; ``task(...)`` is also usable as a context manager."""

    def task(self, description: str, total: int | None = None) -> ProgressTask: ...


class _Task:
    """Context-manager behaviour shared by every task: ``with`` closes on the way out."""

    def advance(self, n: int = 1) -> None:
        """Record ``n`` more units done."""

    def set_total(self, total: int | None) -> None:
        """Set (or clear, with None) the number of units expected."""

    def close(self) -> None:
        """Finish the task. Idempotent."""

    def __enter__(self) -> _Task:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class NullProgress:
    """Reports nothing."""

    def task(self, description: str, total: int | None = None) -> ProgressTask:
        return _Task()


class _LoggingTask(_Task):
    def __init__(self, description: str, total: int | None) -> None:
        self._description = description
        self._total = total
        self._done = 0
        self._closed = False
        self._started = self._last_log = time.monotonic()
        logger.debug("%s: started (total %s)", description, _fmt_total(total))

    def advance(self, n: int = 1) -> None:
        self._done += n
        now = time.monotonic()
        if now - self._last_log >= _LOG_EVERY_SECONDS:
            self._last_log = now
            logger.debug("%s: %d/%s", self._description, self._done, _fmt_total(self._total))

    def set_total(self, total: int | None) -> None:
        self._total = total

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        logger.debug(
            "%s: finished %d/%s in %.1f s",
            self._description,
            self._done,
            _fmt_total(self._total),
            time.monotonic() - self._started,
        )


def _fmt_total(total: int | None) -> str:
    return "?" if total is None else str(total)


class LoggingProgress:
    """Reports to the ``nucleus_async`` logger at DEBUG: where bars would be noise."""

    def task(self, description: str, total: int | None = None) -> ProgressTask:
        return _LoggingTask(description, total)


class _RichTask(_Task):
    def __init__(self, owner: RichProgress, task_id: TaskID) -> None:
        self._owner = owner
        self._id = task_id
        self._closed = False

    def advance(self, n: int = 1) -> None:
        if not self._closed:
            self._owner._update(self._id, advance=n)

    def set_total(self, total: int | None) -> None:
        if not self._closed:
            self._owner._update(self._id, total=total)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._owner._release(self._id)


class RichProgress:
    """Rich bars on one console; all its tasks share one live display.

    The display starts when the first task opens and stops (erasing the bars) when the last
    one closes, so nothing is left running between operations.
    """

    def __init__(self, console: Console | None = None) -> None:
        self._console = console
        self._lock = threading.Lock()
        self._bars: RichBars | None = None
        self._open_tasks = 0
        self._explicit_refresh = False
        self._last_refresh = 0.0

    @property
    def active(self) -> bool:
        """Whether the live display is running (some task is open)."""
        return self._bars is not None

    def task(self, description: str, total: int | None = None) -> ProgressTask:
        from rich.errors import LiveError

        with self._lock:
            if self._bars is None:
                bars = self._new_bars()
                if bars is None:
                    return _LoggingTask(description, total)
                try:
                    bars.start()
                except LiveError:
                    # The application runs its own live display on this console; ours would
                    # fight it for the cursor, so report to the log instead.
                    return _LoggingTask(description, total)
                self._bars = bars
            self._open_tasks += 1
            task_id = self._bars.add_task(description, total=total)
        self._refresh_if_explicit(force=True)
        return _RichTask(self, task_id)

    def _new_bars(self) -> RichBars | None:
        """Bars for the console, or None where rich cannot draw them."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichBars

        console = self._console if self._console is not None else Console(stderr=True)
        if console.is_jupyter and importlib.util.find_spec("ipywidgets") is None:
            return None  # rich draws notebook bars with ipywidgets, and warns on every refresh
        # Rich's timer thread does not repaint a notebook cell reliably; refresh by hand there.
        self._explicit_refresh = console.is_jupyter
        return RichBars(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            auto_refresh=not self._explicit_refresh,
        )

    def _update(self, task_id: TaskID, **changes: float | None) -> None:
        bars = self._bars
        if bars is None:
            return
        if "advance" in changes:
            bars.advance(task_id, changes["advance"] or 0)
        if "total" in changes:
            bars.update(task_id, total=changes["total"])
        self._refresh_if_explicit(force="total" in changes)

    def _refresh_if_explicit(self, *, force: bool = False) -> None:
        bars = self._bars
        if bars is None or not self._explicit_refresh:
            return
        now = time.monotonic()
        if force or now - self._last_refresh >= _JUPYTER_REFRESH_SECONDS:
            self._last_refresh = now
            bars.refresh()

    def _release(self, task_id: TaskID) -> None:
        with self._lock:
            bars = self._bars
            if bars is None:
                return
            bars.remove_task(task_id)
            self._open_tasks -= 1
            if self._open_tasks == 0:
                self._bars = None
                bars.stop()
            elif self._explicit_refresh:
                bars.refresh()


_NULL = NullProgress()
_LOGGING = LoggingProgress()
_shared: RichProgress | None = None
_shared_lock = threading.Lock()


def _forget_shared_display() -> None:
    """In a forked child: a new shared display and lock, not the parent's.

    The child inherits the parent's live display (whose refresh thread did not come along) and
    possibly a lock another parent thread held at the fork; its first bar would wait forever or
    draw into a display nobody refreshes.
    """
    global _shared, _shared_lock
    _shared = None
    _shared_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_shared_display)


def bars_disabled_by_env() -> bool:
    """Whether ``NUCLEUS_DISABLE_PROGRESS_BARS`` turns bars off."""
    return env_flag(DISABLE_ENV) is True


def _stderr_is_interactive() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def _shared_rich() -> RichProgress:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RichProgress()
        return _shared


def progress_for(setting: bool | None, *, console: Console | None = None) -> Progress:
    """The reporter for one operation.

    ``setting`` is the per-call ``progress=`` argument, already defaulted by the caller to
    the client's option: True forces bars, False turns them off, None shows them only on an
    interactive terminal (stderr is a tty). ``NUCLEUS_DISABLE_PROGRESS_BARS=1`` wins over all
    of that. Without bars the reporter logs at DEBUG. ``console`` draws on a given rich
    console (with its own shared display) instead of the process's stderr display.
    """
    if bars_disabled_by_env():
        return _LOGGING
    if setting is None:
        setting = _stderr_is_interactive()
    if not setting:
        return _LOGGING
    if console is not None:
        return RichProgress(console)
    return _shared_rich()
