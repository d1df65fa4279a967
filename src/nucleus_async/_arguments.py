"""Checks of list arguments that resources send as given: lists of strings."""

from __future__ import annotations

from collections.abc import Iterable

from ._errors import ValidationError

__all__ = ["string_list"]


def string_list(values: Iterable[str] | None, field: str) -> list[str]:
    """A list of strings (``None``: empty); a bare string (a common slip) is refused, not split."""
    if values is None:
        return []
    if isinstance(values, (str, bytes)):
        raise ValidationError(f"must be a list of strings, got the string {values!r}", field=field)
    result = list(values)
    for index, value in enumerate(result):
        if not isinstance(value, str):
            raise ValidationError(
                f"must be a string, got {type(value).__name__}", field=f"{field}[{index}]"
            )
    return result
