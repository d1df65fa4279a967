"""Segment: the label of one class or instance index of a segmentation mask."""

from __future__ import annotations

from typing import Any

import attrs

from .._errors import ValidationError
from .base import check_mapping
from .wire_unit import WireUnit

__all__ = ["Segment"]


@attrs.frozen
class Segment(WireUnit):
    """Segment represents either a class or an instance depending on the task type.

    For semantic segmentation, this object should store the mapping between a single class index
    and the string label. For instance segmentation, you can use this class to store the label of a
    single instance, whose extent in the image is represented by the value of ``index``. In both
    cases, additional metadata can be attached to the segment.

    Parameters:
        label (str): The label name of the class for the class or instance represented by index in
          the associated mask.
        index (int): The integer pixel value in the mask this mapping refers to.
        metadata (Optional[Dict]): Arbitrary key/value dictionary of info to attach to this
          segment.
    """

    label: str
    index: int | None = None
    metadata: dict[str, Any] | None = None

    def __attrs_post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raises ``ValidationError`` for a boolean index or non-dict metadata."""
        if isinstance(self.index, bool):
            raise ValidationError("must be an int, got bool", field="index")
        if self.metadata is not None:
            check_mapping(self.metadata, "metadata", None)

    def sort_key(self) -> tuple[bool, str, str]:
        """A total order (indexes may be ints or, as in older examples, strings)."""
        return (self.index is None, f"{self.index!s:>20}", str(self.label))
