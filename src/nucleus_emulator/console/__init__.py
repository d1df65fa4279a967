"""The console: a browser view of what each key uploaded to the emulator (`Console`).

Mounted at `/` of the emulator (every API route lives under `/v1/nucleus/`, so nothing
collides); `python -m nucleus_emulator serve --open` opens it. See `docs/emulator.md`.
"""

from __future__ import annotations

from nucleus_emulator.console.app import CONSOLE_PREFIX, Console

__all__ = ["CONSOLE_PREFIX", "Console"]
