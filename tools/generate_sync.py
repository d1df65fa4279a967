"""Regenerate ``src/nucleus_sync`` from the core, or ``--check`` that it is current.

Usage::

    python tools/generate_sync.py            # (re)write src/nucleus_sync
    python tools/generate_sync.py --check    # regenerate into a temp dir and diff; 1 if stale

The generator itself is the ``sync_generator`` package next to this file.
"""

from __future__ import annotations

import sys

from sync_generator.cli import main

if __name__ == "__main__":
    sys.exit(main())
