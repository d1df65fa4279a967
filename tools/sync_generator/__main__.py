"""``python -m sync_generator`` (from ``tools/``): the same command as ``generate_sync.py``."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
