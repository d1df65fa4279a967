"""Run the ``# %%`` cells of a percent-format notebook the way an IPython kernel does.

Every cell runs in one namespace, inside an asyncio event loop that is already running (as
in Jupyter, where ``asyncio.run()`` is refused), compiled with top-level ``await`` allowed. A
cell whose last statement is an expression prints its ``repr``, as a notebook shows it.

    python tests/examples/run_notebook.py examples/notebook_example.py
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import sys
from pathlib import Path
from typing import Any

CELL_MARKER = re.compile(r"^# %%.*$", re.MULTILINE)


def cells(source: str) -> list[str]:
    """The code of each cell (markdown cells are comments, so they run as nothing)."""
    return [cell for cell in CELL_MARKER.split(source) if cell.strip()]


async def run_cell(code: str, namespace: dict[str, Any], name: str) -> None:
    tree = ast.parse(code, name)
    last: ast.expr | None = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop().value
    await evaluate(ast.unparse(tree), "exec", namespace, name)
    if last is not None:
        value = await evaluate(ast.unparse(last), "eval", namespace, name)
        if value is not None:
            print(repr(value))


async def evaluate(code: str, mode: str, namespace: dict[str, Any], name: str) -> Any:
    compiled = compile(code, name, mode, flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)
    if inspect.CO_COROUTINE & compiled.co_flags:
        result = await result
    return result


async def run_notebook(path: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(path)}
    for number, code in enumerate(cells(path.read_text(encoding="utf-8")), 1):
        await run_cell(code, namespace, f"{path.name}[cell {number}]")


if __name__ == "__main__":
    asyncio.run(run_notebook(Path(sys.argv[1])))
