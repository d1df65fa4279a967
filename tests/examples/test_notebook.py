"""examples/notebook.ipynb runs in a real IPython kernel, interrupted once, without a warning."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from example_helpers import EXAMPLES
from nbclient import NotebookClient

import nucleus_sync

NOTEBOOK = EXAMPLES / "notebook.ipynb"
#: The cell that streams a slow generator until the kernel is interrupted.
INTERRUPTED_CELL = "interrupt"
#: What that cell prints once its append is consuming the generator.
STREAMING = "streaming slowly"
#: A generous bound for any one cell: a stuck cell fails the test instead of hanging it.
CELL_TIMEOUT = 120


def kernel_env() -> dict[str, str]:
    """The kernel runs this interpreter (first on PATH) and imports the packages under test.

    The kernel starts in a scratch folder, so a relative ``PYTHONPATH`` would not reach them.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    sources = str(Path(nucleus_sync.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([sources, env.get("PYTHONPATH", "")])
    return env


def text_of(cell: Any, stream: str = "stdout") -> str:
    return "".join(
        out.get("text", "")
        for out in cell.outputs
        if out.output_type == "stream" and out.name == stream
    )


async def interrupt_once_streaming(client: NotebookClient, cell: Any) -> None:
    """Interrupt the kernel as soon as ``cell`` shows that its append is under way."""
    while STREAMING not in text_of(cell):
        await asyncio.sleep(0.05)
    assert client.km is not None
    await client.km.interrupt_kernel()


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every cell of the notebook, run in order in one kernel; the slow cell interrupted."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    workdir = tmp_path_factory.mktemp("notebook")
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )

    async def run() -> None:
        async with client.async_setup_kernel(env=kernel_env()):
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                execution = client.async_execute_cell(cell, index)
                if cell.id == INTERRUPTED_CELL:
                    await asyncio.gather(execution, interrupt_once_streaming(client, cell))
                else:
                    await execution

    asyncio.run(run())
    yield {cell.id: cell for cell in notebook.cells if cell.cell_type == "code"}


def test_the_sync_facade_runs_in_plain_cells(executed: dict[str, Any]) -> None:
    assert "event loop running in this thread: True" in text_of(executed["loop"])
    assert "nucleus_sync appended 500 items" in text_of(executed["sync"])


def test_a_bulk_call_draws_a_progress_bar_in_the_cell(executed: dict[str, Any]) -> None:
    cell = executed["progress"]
    widgets = [
        out
        for out in cell.outputs
        if out.output_type == "display_data"
        and "application/vnd.jupyter.widget-view+json" in out.data
    ]
    assert widgets, cell.outputs
    assert "appended 400 items with a progress bar" in text_of(cell)


def test_an_interrupt_stops_a_long_append_and_the_client_stays_usable(
    executed: dict[str, Any],
) -> None:
    interrupted = text_of(executed["interrupt"])
    assert "interrupted after" in interrupted
    assert "not interrupted" not in interrupted
    assert "the client appended 100 more" in text_of(executed["after"])


def test_top_level_await_uses_the_async_core(executed: dict[str, Any]) -> None:
    assert "two concurrent appends: [300, 300] new" in text_of(executed["async"])
    assert "{'sync': 500, 'bar': 400, 'after': 100, 'async-a': 300, 'async-b': 300}" in text_of(
        executed["pager"]
    )
    assert "Completed" in text_of(executed["job"])
    assert "notebook finished" in text_of(executed["cleanup"])


def test_no_cell_prints_a_warning_or_an_error(executed: dict[str, Any]) -> None:
    for name, cell in executed.items():
        assert text_of(cell, "stderr") == "", name
        assert not [out for out in cell.outputs if out.output_type == "error"], name
