"""nucleus_cli: the ``nucleus`` command line, an integration layer over the SDK and the emulator.

::

    nucleus --emulator datasets create cars
    nucleus --emulator ingest ds_123 ./images            # a folder of images
    nucleus --emulator ingest ds_123 manifest.jsonl      # one item per line
    nucleus --emulator jobs wait job_456
    nucleus --emulator export ds_123 -o items.jsonl

It sits on top of ``nucleus_async`` (and, for ``--emulator``, ``nucleus_emulator``); neither
of those imports it. Needs the ``cli`` extra (click); ``--emulator`` needs the ``emulator`` extra.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``nucleus`` command."""
    try:
        from .app import cli
    except ModuleNotFoundError as exc:
        if exc.name != "click":
            raise
        sys.exit("The nucleus command needs click: pip install 'nucleus-sdk[cli]'")
    cli(prog_name="nucleus")
