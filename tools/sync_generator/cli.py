"""The command line: regenerate the facade, or ``--check`` that it is current."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from .check import stale_files
from .emit import render
from .errors import GenerationError
from .files import write
from .project import ROOT

USAGE = """\
Generate nucleus_sync, the blocking facade, from the asyncio core nucleus_async.

    python tools/generate_sync.py            # (re)write src/nucleus_sync
    python tools/generate_sync.py --check    # regenerate into a temp dir and diff; 1 if stale
"""


def main(argv: Iterable[str] | None = None) -> int:
    """Run the command; 0 when done or current, 1 when stale, 2 when the core cannot be mirrored."""
    parser = argparse.ArgumentParser(
        prog="generate_sync.py",
        description=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="diff instead of writing; 1 if stale")
    parser.add_argument("--core", default="nucleus_async", help="the core package to read")
    parser.add_argument("--sync-package", default="nucleus_sync", help="the package to write")
    parser.add_argument("--output", type=Path, help="folder of the sync package")
    parser.add_argument("--path", action="append", default=[], help="prepend to sys.path")
    parser.add_argument("--force", action="store_true", help="overwrite hand-edited files")
    args = parser.parse_args(list(argv) if argv is not None else None)
    for entry in [*reversed(args.path), str(ROOT / "src")]:
        if entry not in sys.path:
            sys.path.insert(0, entry)
    output: Path = args.output or ROOT / "src" / args.sync_package
    try:
        files = render(args.core, args.sync_package, output)
        if args.check:
            problems = stale_files(files, output)
            if problems:
                sys.stdout.writelines(p if p.endswith("\n") else p + "\n" for p in problems)
                print(f"{output} is stale: run python tools/generate_sync.py", file=sys.stderr)
                return 1
            print(f"{output} is up to date ({len(files)} files)")
            return 0
        for line in write(files, output, force=args.force):
            print(line)
        return 0
    except GenerationError as exc:
        print(f"generate_sync: {exc}", file=sys.stderr)
        return 2
