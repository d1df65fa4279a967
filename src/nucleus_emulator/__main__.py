"""`python -m nucleus_emulator`: the command line."""

from __future__ import annotations

from nucleus_emulator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
