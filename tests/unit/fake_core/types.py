"""Data types of the fake core (re-exported by the facade unchanged)."""

from __future__ import annotations

import attrs


@attrs.frozen
class Item:
    """A data item."""

    reference_id: str
