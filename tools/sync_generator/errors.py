"""``GenerationError``: the core uses a construct the generator cannot mirror faithfully."""

from __future__ import annotations


class GenerationError(Exception):
    """The core uses a construct the generator cannot mirror faithfully."""
