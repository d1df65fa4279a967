"""Recognising the event loop of an IPython (Jupyter) kernel, which a blocking call may block.

A notebook cell runs inside the kernel's event loop, yet blocking it is what every notebook
does (a cell is meant to run to its end); elsewhere, blocking a running loop stalls everything
else it serves. Only the loop of a live ``ipykernel`` kernel counts: IPython in a terminal or a
web framework's loop do not.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

__all__ = ["is_kernel_loop"]


def is_kernel_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is the event loop on which an IPython kernel runs notebook cells."""
    # Both modules are already imported in a kernel; never import them here.
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell: Any = get_ipython() if get_ipython is not None else None
    kernel = getattr(shell, "kernel", None)
    if kernel is None:  # no shell, or a terminal IPython: not a kernel
        return False
    # ipykernel 6 and 7 keep the main tornado IOLoop on the kernel; its asyncio loop is the
    # one that runs cells.
    kernel_loop = getattr(getattr(kernel, "io_loop", None), "asyncio_loop", None)
    if kernel_loop is not None:
        return kernel_loop is loop
    # A kernel that keeps its loop elsewhere runs cells in the main thread.
    return threading.current_thread() is threading.main_thread()
