"""Plain items' NDJSON lines written directly: the payload path's bytes, or a clear "not mine".

:func:`plain_items_lines` must give, for every chunk it takes, exactly the standard library's
lines of the items' payloads; for every chunk it does not take, None (the payload path then
encodes it, refusing what it must). Hypothesis drives metadata of every JSON shape, ids and
locations with the characters JSON escapes.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucleus_async import _json
from nucleus_async._item_checks import async_item_lines
from nucleus_async._wire.item_text import plain_items_lines
from nucleus_async.types import DatasetItem
from support.wire_text import orjson_on, payload, stdlib, texts  # noqa: F401 -- orjson_on: autouse


def _reference(items: list[Any]) -> bytes:
    return "".join(stdlib(payload(item)) + "\n" for item in items).encode()


leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e-05, 1e-07, 1e16, -0.0])
    | texts
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
metadata = st.dictionaries(texts, json_values, max_size=4)


@st.composite
def items(draw: st.DrawFn) -> DatasetItem:
    return DatasetItem(
        image_location="s3://bucket/" + draw(texts),
        reference_id=draw(texts),
        metadata=draw(metadata),
    )


def _has_small_float_or_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != 0 and abs(value) < 1e-4
    if isinstance(value, dict):
        return any(_has_small_float_or_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_small_float_or_null(v) for v in value)
    return False


@settings(max_examples=300, deadline=None)
@given(st.lists(items(), min_size=1, max_size=15))
def test_plain_items_are_the_payload_paths_lines_or_declined(chunk: list[DatasetItem]) -> None:
    written = plain_items_lines(chunk)
    if written is None:
        # Declined only for values the payload path must judge: a small float or a null
        # (possibly a NaN), written as such somewhere in the metadata (a string holding
        # "null" is declined too: the check reads text, not values).
        text = b"".join(_reference(chunk).split(b"\n"))
        assert any(_has_small_float_or_null(item.metadata) for item in chunk) or b"null" in text
    else:
        assert written == _reference(chunk)


def _item(**changes: Any) -> DatasetItem:
    fields: dict[str, Any] = {"image_location": "s3://b/1.jpg", "reference_id": "r1"}
    fields.update(changes)
    return DatasetItem(**fields)


class Item(DatasetItem):
    """A user's subclass: never written directly."""


@pytest.mark.parametrize(
    "chunk",
    [
        [_item(width=4, height=3)],
        [_item(upload_to_scale=False, width=4, height=3)],
        [_item(embedding_info={"index_id": "i", "embedding_vector": [1.0]})],
        [_item(metadata={"nan": float("nan")})],
        [_item(metadata={1: "int key"})],
        [_item(metadata={"big": 2**70})],
        [_item(metadata={"small": 1e-5})],
        [Item("s3://b/1.jpg", "r1")],
        [],
    ],
    ids=[
        "size",
        "upload_to_scale",
        "embedding",
        "nan",
        "int-key",
        "huge-int",
        "small-float",
        "subclass",
        "empty",
    ],
)
def test_other_shapes_are_declined_for_the_payload_path(chunk: list[Any]) -> None:
    assert plain_items_lines(chunk) is None


def test_without_orjson_every_chunk_is_declined() -> None:
    _json.use_orjson(False)
    assert plain_items_lines([_item()]) is None


@pytest.mark.parametrize("fast", [False, True], ids=["stdlib", "orjson"])
def test_a_chunk_mixing_shapes_is_the_same_bytes_on_both_paths(fast: bool) -> None:
    _json.use_orjson(fast)
    chunk = [_item(reference_id=f"r{i}", metadata={"i": i, "s": "x"}) for i in range(300)]
    chunk[7] = _item(reference_id="sized", width=4, height=3)
    assert async_item_lines().encode(chunk) == _reference(chunk)


def test_a_nan_in_metadata_is_still_refused() -> None:
    # The direct path declines a chunk with a null; the payload path refuses the NaN.
    chunk = [_item(metadata={"score": float("nan")})]
    with pytest.raises(ValueError, match="NaN or infinity"):
        async_item_lines().encode(chunk)
