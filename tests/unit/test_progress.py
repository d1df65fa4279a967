"""Progress reporting: when bars show, env precedence, shared display, no rich at import."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading

import anyio
import pytest
from rich.console import Console
from rich.errors import LiveError
from rich.live import Live

from nucleus_async._progress import (
    DISABLE_ENV,
    LoggingProgress,
    NullProgress,
    RichProgress,
    progress_for,
)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DISABLE_ENV, raising=False)


def terminal_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, force_jupyter=False, width=100), out


@pytest.mark.parametrize("module", ["nucleus_async._progress", "nucleus_async"])
def test_importing_does_not_import_rich(module: str) -> None:
    # httpx's package imports its optional command-line tool, which imports rich whenever
    # rich and click are installed; block that (as if httpx[cli] were absent) so the test
    # pins what this SDK imports.
    code = (
        "import sys\n"
        "sys.modules['httpx._main'] = None\n"
        f"import {module}\n"
        "loaded = [m for m in sys.modules if m == 'rich' or m.startswith('rich.')]\n"
        "assert not loaded, loaded\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_bars_are_off_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert isinstance(progress_for(None), LoggingProgress)


def test_bars_are_on_by_default_in_an_interactive_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    assert isinstance(progress_for(None), RichProgress)


def test_a_missing_or_closed_stderr_means_no_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", None)
    assert isinstance(progress_for(None), LoggingProgress)
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    assert isinstance(progress_for(None), LoggingProgress)


def test_true_forces_bars_even_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert isinstance(progress_for(True), RichProgress)


def test_false_turns_bars_off_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    assert isinstance(progress_for(False), LoggingProgress)


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
@pytest.mark.parametrize("setting", [True, None])
def test_the_env_variable_wins_over_code(
    monkeypatch: pytest.MonkeyPatch, value: str, setting: bool | None
) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    monkeypatch.setenv(DISABLE_ENV, value)
    assert isinstance(progress_for(setting), LoggingProgress)
    assert isinstance(progress_for(setting, console=terminal_console()[0]), LoggingProgress)


@pytest.mark.parametrize("value", ["0", "false", ""])
def test_a_false_env_value_does_not_disable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(DISABLE_ENV, value)
    assert isinstance(progress_for(True), RichProgress)


def test_the_default_rich_reporter_is_shared_by_the_process() -> None:
    assert progress_for(True) is progress_for(True)


def test_forced_bars_draw_on_the_console_and_vanish(capsys: pytest.CaptureFixture[str]) -> None:
    console, out = terminal_console()
    progress = progress_for(True, console=console)
    assert isinstance(progress, RichProgress)
    with progress.task("Uploading items", total=10) as task:
        assert progress.active
        task.advance(3)
        task.set_total(12)
    assert not progress.active
    text = out.getvalue()
    assert "Uploading items" in text
    assert text.rstrip("\r").endswith("\x1b[?25h")  # transient: erased, cursor restored
    assert capsys.readouterr() == ("", "")  # nothing printed to stdout or stderr


def test_the_bars_do_not_redirect_stdout_or_stderr() -> None:
    stdout, stderr = sys.stdout, sys.stderr
    console, _ = terminal_console()
    with progress_for(True, console=console).task("x") as task:
        assert (sys.stdout, sys.stderr) == (stdout, stderr)
        task.advance()


async def test_concurrent_tasks_share_one_live_display() -> None:
    console, out = terminal_console()
    progress = RichProgress(console)
    both_open = anyio.Event()
    opened = 0
    displays = set()

    async def work(name: str) -> None:
        nonlocal opened
        with progress.task(name, total=5) as task:
            opened += 1
            displays.add(id(progress._bars))
            if opened == 2:
                both_open.set()
            await both_open.wait()
            assert progress._bars is not None and len(progress._bars.tasks) == 2
            for _ in range(5):
                task.advance()
                await anyio.sleep(0)

    async with anyio.create_task_group() as tg:
        tg.start_soon(work, "first batch")
        tg.start_soon(work, "second batch")
    assert len(displays) == 1
    assert not progress.active
    assert "first batch" in out.getvalue() and "second batch" in out.getvalue()


def test_tasks_from_many_threads_are_safe() -> None:
    console, _ = terminal_console()
    progress = RichProgress(console)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(20):
                with progress.task(f"thread {i}", total=10) as task:
                    for _ in range(10):
                        task.advance()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert not progress.active


def test_closing_twice_and_advancing_after_close_are_harmless() -> None:
    console, _ = terminal_console()
    progress = RichProgress(console)
    first = progress.task("a")
    second = progress.task("b")
    first.close()
    first.close()
    first.advance(5)
    first.set_total(3)
    assert progress.active  # "b" is still open
    second.close()
    assert not progress.active


def test_a_display_that_cannot_start_means_logging_instead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # rich < 14 refuses a second live display on a console with LiveError.
    console, _ = terminal_console()
    progress = RichProgress(console)
    bars = progress._new_bars()
    assert bars is not None

    def refuse() -> None:
        raise LiveError("Only one live display may be active at once")

    monkeypatch.setattr(bars, "start", refuse)
    monkeypatch.setattr(progress, "_new_bars", lambda: bars)
    task = progress.task("x", total=1)
    task.advance()
    task.close()
    assert type(task).__name__ == "_LoggingTask"
    assert not progress.active


def test_bars_inside_the_applications_own_live_display_work() -> None:
    console, _ = terminal_console()
    progress = RichProgress(console)
    with Live(console=console, auto_refresh=False), progress.task("x", total=1) as task:
        task.advance()
    assert not progress.active


def test_in_jupyter_bars_refresh_explicitly_or_fall_back_to_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    console = Console(file=io.StringIO(), force_jupyter=True)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert type(RichProgress(console).task("x")).__name__ == "_LoggingTask"
    monkeypatch.setattr("importlib.util.find_spec", lambda name: object())
    progress = RichProgress(console)
    refreshes = 0
    bars = progress._new_bars()
    assert bars is not None and bars.live.auto_refresh is False
    assert progress._explicit_refresh

    def count_refresh() -> None:
        nonlocal refreshes
        refreshes += 1

    monkeypatch.setattr(progress, "_new_bars", lambda: bars)
    monkeypatch.setattr(bars, "start", lambda: None)
    monkeypatch.setattr(bars, "stop", lambda: None)
    monkeypatch.setattr(bars, "refresh", count_refresh)
    with progress.task("x", total=3) as task:
        task.set_total(4)
        task.advance()
    assert refreshes >= 2


def test_the_logging_reporter_logs_start_and_finish_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="nucleus_async")
    with LoggingProgress().task("Uploading items", total=4) as task:
        task.advance(4)
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert messages[0] == (logging.DEBUG, "Uploading items: started (total 4)")
    assert messages[-1][1].startswith("Uploading items: finished 4/4 in ")
    assert all(level == logging.DEBUG for level, _ in messages)


def test_the_logging_reporter_is_silent_above_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with progress_for(False).task("x") as task:
        task.advance()
    assert caplog.records == []


def test_the_null_reporter_does_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with NullProgress().task("x", total=2) as task:
        task.advance(2)
        task.set_total(None)
    task.close()
    assert capsys.readouterr() == ("", "")
