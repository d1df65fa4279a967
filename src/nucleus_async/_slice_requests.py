"""Slice requests of a dataset: the slice-builder body and the slice listing query."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from ._errors import ValidationError
from ._routes import query_value

__all__ = ["build_slice_payload", "enum_wire_value", "slice_filters"]


def enum_wire_value(value: object, choices: type[enum.Enum], field: str) -> str:
    """The wire value of a member of ``choices`` or of a string naming one (value or name)."""
    if isinstance(value, choices):
        return str(value.value)
    if isinstance(value, str):
        for member in choices:
            if value in (member.value, member.name):
                return str(member.value)
    raise ValidationError(
        f"must be one of {[member.value for member in choices]}, got {value!r}", field=field
    )


def build_slice_payload(
    name: str,
    sample_size: int,
    sample_method: object,
    methods: type[enum.Enum],
    filters: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The ``build_slice`` request body (``filters`` is ``{}`` when none are given).

    ``sample_method`` is a member of ``methods`` or a string naming one.
    """
    if type(sample_size) is not int or sample_size < 1:
        raise ValidationError(
            f"must be a positive integer, got {sample_size!r}", field="sample_size", obj=name
        )
    return {
        "name": name,
        "sampleSize": sample_size,
        "sampleMethod": enum_wire_value(sample_method, methods, "sample_method"),
        "filters": dict(filters) if filters is not None else {},
    }


def slice_filters(name: str | None, slice_type: str | None) -> list[str]:
    """The ``key=value`` query parameters of the dataset's slice listing (``slice_type`` as
    its wire value)."""
    params = []
    if name is not None:
        params.append(f"name={query_value(name)}")
    if slice_type is not None:
        params.append(f"type={slice_type}")
    return params
