"""The user's call site for the core's warnings, when a blocking facade runs the core for them.

A warning normally points ``stacklevel`` frames up. When the sync facade runs a core method on
its own loop thread, the frames up are the facade's, so the warning would name the facade's
line (and Python's default filters, which show a ``DeprecationWarning`` only for ``__main__``,
would hide it). The facade records the user's frame in :data:`call_site` for the task it runs;
:func:`warn` then reports the warning at that line.
"""

from __future__ import annotations

import warnings
from contextvars import ContextVar
from types import FrameType

__all__ = ["call_site", "warn"]

#: The frame of the user's call, set by a facade for the task that runs it (else None).
call_site: ContextVar[FrameType | None] = ContextVar("nucleus_call_site", default=None)


def warn(message: str, category: type[Warning], stacklevel: int = 1) -> None:
    """``warnings.warn`` at the user's call site (``stacklevel`` as seen from the caller)."""
    frame = call_site.get()
    if frame is None:
        warnings.warn(message, category, stacklevel=stacklevel + 1)
        return
    module_globals = frame.f_globals
    warnings.warn_explicit(
        message,
        category,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=module_globals.get("__name__", "<unknown>"),
        registry=module_globals.setdefault("__warningregistry__", {}),
        module_globals=module_globals,
    )
