"""A unit that passes ``validate()`` has no NaN or infinity in its payload.

The upload pipeline relies on it: validated units are encoded with ``finite=True``, which skips
the encoder's own NaN check (``_json``). Every float reachable from each sample unit (fields,
nested points, lists, dicts) is set to NaN in turn: either ``validate()`` refuses it, or it does
not reach the payload.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from test_json_encoders import UNITS

from nucleus_async import ValidationError
from nucleus_async._upload.items import _ItemChecks
from nucleus_async._wire.payloads import bulk_payload
from nucleus_async.types import Annotation, DatasetItem

CHECKED = [u for u in UNITS if isinstance(u, (Annotation, DatasetItem))]

#: A way to put NaN somewhere in a (copied) unit, and where that is.
Setter = tuple[str, Callable[[Any], None]]


def _float_slots(value: Any, path: str, reach: Callable[[Any], Any]) -> Iterator[Setter]:
    """Every float under ``value`` (reached from the unit by ``reach``), with a setter."""
    if attrs.has(type(value)):
        # A frozen object (points) is checked when built: only what it holds can change later.
        frozen = _frozen(value)
        for field in attrs.fields(type(value)):
            inner = getattr(value, field.name)
            if frozen and not isinstance(inner, (list, dict)):
                continue
            yield from _attribute(inner, f"{path}.{field.name}", reach, field.name)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _item(inner, f"{path}[{i}]", reach, i)
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _item(inner, f"{path}[{key!r}]", reach, key)


def _frozen(value: Any) -> bool:
    return getattr(type(value).__setattr__, "__name__", "") == "_frozen_setattrs"


def _attribute(inner: Any, path: str, reach: Callable[[Any], Any], name: str) -> Iterator[Setter]:
    if isinstance(inner, float) or (type(inner) is int and name not in ("index",)):
        yield path, lambda unit: object.__setattr__(reach(unit), name, math.nan)
    else:
        yield from _float_slots(inner, path, lambda unit: getattr(reach(unit), name))


def _item(inner: Any, path: str, reach: Callable[[Any], Any], key: Any) -> Iterator[Setter]:
    if isinstance(inner, float):
        yield path, lambda unit: reach(unit).__setitem__(key, math.nan)
    else:
        yield from _float_slots(inner, path, lambda unit: reach(unit)[key])


def _cases() -> Iterator[Any]:
    for unit in CHECKED:
        for path, setter in _float_slots(unit, type(unit).__name__, lambda u: u):
            yield pytest.param(unit, setter, id=path)


def _check(unit: Any) -> None:
    """What the upload pipeline checks before it encodes with ``finite=True``."""
    if isinstance(unit, DatasetItem):
        _ItemChecks(privacy_mode=False).check_unit(unit)  # validate() and JSON-safe metadata
    else:
        unit.validate()


@pytest.mark.parametrize(("unit", "setter"), list(_cases()))
def test_nan_is_refused_or_never_sent(unit: Any, setter: Callable[[Any], None]) -> None:
    broken = copy.deepcopy(unit)
    setter(broken)
    try:
        _check(broken)
    except ValidationError:
        return
    payload = bulk_payload()(broken)
    json.dumps(payload, allow_nan=False)  # raises if a NaN reached the payload


def test_the_walk_reaches_the_floats_of_each_kind_that_has_them() -> None:
    # A walk that found no float would pass vacuously.
    reached = {type(u).__name__ for u in CHECKED if list(_float_slots(u, "", lambda v: v))}
    assert reached >= {
        "BoxAnnotation",
        "BoxPrediction",
        "CuboidAnnotation",
        "CuboidPrediction",
        "SegmentationAnnotation",
        "SegmentationPrediction",
        "UnknownAnnotation",
        "DatasetItem",
    }
