"""``python -m nucleus_cli``: the same as the ``nucleus`` command."""

from __future__ import annotations

from nucleus_cli import main

if __name__ == "__main__":
    main()
