"""Plain boxes written from columns: the payload path's bytes, or a clear "not mine".

:func:`plain_boxes_text` must give, for every piece it takes, exactly the bytes of the
standard library's encoding of the payloads; for every piece it does not take, None (the
payload path then encodes it). Hypothesis drives strings with quotes, commas, backslashes,
control and non-ASCII characters, and numbers of every magnitude.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucleus_async import _json
from nucleus_async._upload.annotations import _AnnotationLanes
from nucleus_async._wire.box_text import plain_boxes_lines, plain_boxes_text
from nucleus_async.types import BoxAnnotation, BoxPrediction, PolygonAnnotation
from support.wire_text import orjson_on, payload, stdlib, texts  # noqa: F401 -- orjson_on: autouse


def _reference(units: list[Any]) -> bytes:
    return stdlib([payload(u) for u in units])[1:-1].encode()


numbers = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.sampled_from([1e-05, 9.99e-05, 1.5e-09, 1e16, -0.0, 5e-324, 1e300])
)


@st.composite
def boxes(draw: st.DrawFn) -> BoxAnnotation:
    return BoxAnnotation(
        label=draw(texts),
        x=draw(numbers),
        y=draw(numbers),
        width=draw(numbers),
        height=draw(numbers),
        reference_id=draw(texts),
        annotation_id=draw(texts),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(boxes(), min_size=1, max_size=20))
def test_plain_boxes_are_the_payload_paths_bytes_or_declined(units: list[BoxAnnotation]) -> None:
    written = plain_boxes_text(units)
    if written is None:
        # Declined only for numbers orjson writes otherwise (below 1e-4).
        assert any(
            isinstance(n, float) and n != 0 and abs(n) < 1e-4
            for u in units
            for n in (u.x, u.y, u.width, u.height)
        )
    else:
        assert written == _reference(units)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(texts, texts, st.floats(min_value=0, max_value=1), numbers),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
)
def test_box_predictions_with_or_without_confidence(
    rows: list[tuple[str, str, float, float]], with_confidence: bool
) -> None:
    units = [
        BoxPrediction(
            label,
            abs(x) % 1000,
            2,
            3.5,
            4,
            ref,
            confidence=confidence if with_confidence else None,
        )
        for label, ref, confidence, x in rows
    ]
    written = plain_boxes_text(units)
    if written is not None:
        assert written == _reference(units)
    else:
        # Declined only for numbers orjson writes otherwise (below 1e-4).
        assert any(0 < n < 1e-4 for u in units for n in (u.x, u.confidence or 0))


def _box(**changes: Any) -> BoxAnnotation:
    fields: dict[str, Any] = {"label": "car", "x": 1, "y": 2, "width": 3, "height": 4}
    fields.update({"reference_id": "img", "annotation_id": "b", **changes})
    return BoxAnnotation(**fields)


class Box(BoxAnnotation):
    """A user's subclass: its payload may differ, so it is never written from columns."""


@pytest.mark.parametrize(
    "units",
    [
        [_box(metadata={"k": 1})],
        [_box(embedding_vector=[1.0, 2.0])],
        [_box(track_reference_id="t")],
        [_box(), PolygonAnnotation("p", [], "img")],
        [Box("car", 1, 2, 3, 4, "img", "b")],
        [BoxPrediction("car", 1, 2, 3, 4, "img", 0.5), BoxPrediction("car", 1, 2, 3, 4, "i2")],
        [BoxPrediction("car", 1, 2, 3, 4, "img", 0.5, class_pdf={"car": 1.0})],
        [_box(x=1e-5)],
        [_box(x=2**70)],
        [],
    ],
    ids=[
        "metadata",
        "embedding",
        "track",
        "mixed-types",
        "subclass",
        "mixed-confidence",
        "class_pdf",
        "small-float",
        "huge-int",
        "empty",
    ],
)
def test_other_shapes_are_declined_for_the_payload_path(units: list[Any]) -> None:
    assert plain_boxes_text(units) is None


def test_without_orjson_every_piece_is_declined() -> None:
    _json.use_orjson(False)
    assert plain_boxes_text([_box()]) is None


@pytest.mark.parametrize("fast", [False, True], ids=["stdlib", "orjson"])
async def test_an_annotate_body_is_the_same_bytes_with_and_without_columns(fast: bool) -> None:
    # A batch mixing plain boxes, boxes with metadata and other types, past one piece.
    _json.use_orjson(fast)
    units: list[Any] = [_box(annotation_id=f"b{i}", x=i + 0.25) for i in range(600)]
    units[300] = _box(annotation_id="m", metadata={"weather": "fog"})
    units.append(PolygonAnnotation("p", [], "img", annotation_id="poly"))
    lanes = _AnnotationLanes(True, None, 10_000, 10, 10)
    body = lanes.geometry._encode(units)
    expected = _json.dumps({"update": True, "annotations": [payload(u) for u in units]})
    assert await body == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(boxes(), min_size=1, max_size=20))
def test_plain_box_lines_are_the_payload_paths_ndjson(units: list[BoxAnnotation]) -> None:
    lines = plain_boxes_lines(units)
    if lines is not None:
        assert lines == b"".join(stdlib(payload(u)).encode() + b"\n" for u in units)
    else:
        assert plain_boxes_text(units) is None
