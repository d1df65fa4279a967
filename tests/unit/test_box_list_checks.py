"""The checks of an annotate list: plain boxes a column at a time, anything else box by box.

A list of plain boxes is read into :class:`BoxColumns` (checked a column at a time, and what
the bodies are written from); from the first piece that is not all plain boxes, the rest is
checked unit by unit. The columns are only a shortcut: with them or without them, every list
must give the same first error, or the same units and the same body bytes. The oracle is the
same code with the columns turned off.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nucleus_async import _json
from nucleus_async._upload import annotations as annotations_module
from nucleus_async._upload.annotations import _AnnotationChecks, _AnnotationLanes
from nucleus_async._wire import box_text
from nucleus_async._wire.box_text import BoxColumns
from nucleus_async.types import BoxAnnotation, BoxPrediction, PolygonAnnotation
from support.list_oracles import mostly_plain
from support.wire_text import orjson_on, payload  # noqa: F401 -- orjson_on: autouse


class _Float(float):
    """A float subclass (numpy's float64 is one): never plain, so checked box by box."""


def _box(i: int) -> BoxAnnotation:
    return BoxAnnotation("car", i % 7, 2.5, 10, 20.25, f"img-{i % 5}", f"box-{i}")


def _prediction(i: int, confidence: float | None = 0.75) -> BoxPrediction:
    return BoxPrediction("car", i, 2, 3.5, 4, f"img-{i % 5}", confidence, f"pred-{i}")


def _variant(kind: str, i: int) -> Any:
    """A unit that is not a plain box, or not a valid one, by ``kind`` (most are changed after
    construction, which only the upload's check sees)."""
    box = _box(i)
    changes: dict[str, Any] = {
        "empty_ref": {"reference_id": ""},
        "int_ref": {"reference_id": i},
        "int_label": {"label": 3},
        "none_annotation_id": {"annotation_id": None},
        "metadata": {"metadata": {"weather": "fog"}},
        "none_metadata": {"metadata": None},
        "nan_metadata": {"metadata": {"score": math.nan}},
        "nan_x": {"x": math.nan},
        "infinite_width": {"width": math.inf},
        "bool_y": {"y": True},
        "text_height": {"height": "4"},
        "float_subclass": {"x": _Float(1.5)},
        "huge_int": {"x": 2**70},
        "huge_floats": {"x": 1.5e308, "width": 1.7e308},
        "small_float": {"y": 1e-7},
        "embedding": {"embedding_vector": [0.5, 1.5]},
        "track": {"track_reference_id": "t"},
        "repeat": {"reference_id": "img-0", "annotation_id": "box-0"},
        "same_id_other_ref": {"reference_id": "elsewhere", "annotation_id": "box-0"},
    }
    if kind in changes:
        for name, value in changes[kind].items():
            setattr(box, name, value)
        return box
    return {
        "polygon": lambda: PolygonAnnotation("p", [], f"img-{i}", annotation_id=f"poly-{i}"),
        "subclass": lambda: _Box("car", 1, 2, 3, 4, f"img-{i}", f"sub-{i}"),
        "not_an_annotation": lambda: {"reference_id": f"img-{i}"},
    }[kind]()


class _Box(BoxAnnotation):
    """A user's subclass: its validate() or payload may differ, so it is checked on its own."""


KINDS = (
    "empty_ref",
    "int_ref",
    "int_label",
    "none_annotation_id",
    "metadata",
    "none_metadata",
    "nan_metadata",
    "nan_x",
    "infinite_width",
    "bool_y",
    "text_height",
    "float_subclass",
    "huge_int",
    "huge_floats",
    "small_float",
    "embedding",
    "track",
    "repeat",
    "same_id_other_ref",
    "polygon",
    "subclass",
    "not_an_annotation",
)

#: Mostly plain boxes (so most pieces are read as columns), some of every other kind.
box_lists = mostly_plain(_box, _variant, KINDS, max_size=30)


@st.composite
def prediction_lists(draw: st.DrawFn) -> list[Any]:
    """Plain predictions, with a confidence or none; some off by one kind."""
    with_confidence = draw(st.booleans())
    units: list[Any] = []
    for i in range(draw(st.integers(1, 30))):
        unit = _prediction(i, 0.75 if with_confidence else None)
        kind = draw(st.sampled_from(["plain"] * 4 + ["flip", "high", "nan", "int", "pdf", "dup"]))
        if kind == "flip":  # a confidence on some and not on others
            unit.confidence = None if with_confidence else 0.5
        elif kind == "high":
            unit.confidence = 1.5
        elif kind == "nan":
            unit.confidence = math.nan
        elif kind == "int":
            unit.confidence = 1
        elif kind == "pdf":
            unit.class_pdf = {"car": 1.0}
        elif kind == "dup":
            unit.reference_id, unit.annotation_id = "img-0", "pred-0"
        units.append(unit)
    return units


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of 4 boxes, so a short list is several pieces (a run of plain pieces, then not)."""
    monkeypatch.setattr(box_text, "_READ_PIECE", 4)


async def _outcome(units: list[Any], predictions: bool) -> Any:
    try:
        checked = _AnnotationChecks(predictions).check_list(units)
    except Exception as exc:  # the outcome compared is the error's type and text
        return (type(exc).__name__, str(exc))
    lanes = _AnnotationLanes(False, None, 7, 10, 10)
    bodies = [
        await lanes.geometry._encode(checked[start : start + 7])
        for start in range(0, len(checked), 7)
    ]
    return [id(unit) for unit in checked], bodies


async def _without_columns(
    monkeypatch: pytest.MonkeyPatch, units: list[Any], predictions: bool
) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(annotations_module.BoxColumns, "read_prefix", lambda units: None)
        patch.setattr(box_text.BoxColumns, "read", lambda units: None)
        return await _outcome(units, predictions)


_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(units=box_lists)
async def test_an_annotate_list_gives_what_box_by_box_checks_give(
    units: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await _outcome(units, False) == await _without_columns(monkeypatch, units, False)


@_SETTINGS
@given(units=prediction_lists())
async def test_a_predictions_list_gives_what_box_by_box_checks_give(
    units: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await _outcome(units, True) == await _without_columns(monkeypatch, units, True)


def test_a_list_of_plain_boxes_is_checked_as_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    def box_by_box(*args: Any) -> Any:
        raise AssertionError("a plain box was checked on its own")

    units = [_box(i) for i in range(30)]
    monkeypatch.setattr(BoxAnnotation, "validate", box_by_box)
    checked = _AnnotationChecks(False).check_list(units)
    assert isinstance(checked, BoxColumns)
    assert list(checked) == units


def test_the_bodies_hold_the_values_that_were_checked() -> None:
    units = [_box(i) for i in range(10)]
    checked = _AnnotationChecks(False).check_list(units)
    units[3].x = math.nan  # changed while the upload runs: the checked value is sent
    units[4].label = "truck"
    text = box_text.plain_boxes_text(checked)
    assert text is not None
    assert b"NaN" not in text and b"truck" not in text
    assert text.count(b'"label":"car"') == 10


def test_distinct_annotation_ids_need_no_identity_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    def hashes(self: BoxColumns) -> Any:
        raise AssertionError("hashed the keys of a list with distinct annotation ids")

    units = [_box(i) for i in range(30)]
    with monkeypatch.context() as patch:
        patch.setattr(BoxColumns, "identity_hashes", hashes)
        assert _AnnotationChecks(False).check_list(units)
    # The same annotation id on two images is no duplicate, but needs the keys.
    units[7].annotation_id = "box-3"
    assert len(_AnnotationChecks(False).check_list(units)) == 30
    units[7].reference_id = units[3].reference_id
    with pytest.raises(Exception, match="Duplicate annotations"):
        _AnnotationChecks(False).check_list(units)


rows = st.integers(-40, 40) | st.none()


@settings(max_examples=200, deadline=None)
@given(
    length=st.integers(1, 30),
    outer=st.tuples(rows, rows, st.sampled_from([None, 1, 2, -1, 3])),
    inner=st.tuples(rows, rows, st.sampled_from([None, 1, -2])),
    index=st.integers(-35, 35),
)
def test_a_slice_of_columns_is_the_slice_of_the_list(
    length: int,
    outer: tuple[int | None, int | None, int | None],
    inner: tuple[int | None, int | None, int | None],
    index: int,
) -> None:
    units = [_prediction(i, 0.25) for i in range(length)]
    columns = BoxColumns.read(units)
    assert columns is not None
    expected = units[slice(*outer)][slice(*inner)]
    view = columns[slice(*outer)][slice(*inner)]
    assert isinstance(view, BoxColumns)
    assert list(view) == expected and len(view) == len(expected)
    assert list(view.units) == expected
    if -len(expected) <= index < len(expected):
        assert view[index] is expected[index]
    else:
        with pytest.raises(IndexError):
            view[index]
    # Written from the view's rows: the bytes of the same boxes read afresh.
    fresh = BoxColumns.read(expected)
    assert view.text() == (fresh.text() if fresh is not None else None)
    assert view.lines() == (fresh.lines() if fresh is not None else None)


def test_without_orjson_columns_still_check_and_the_payload_path_writes() -> None:
    units = [_box(i) for i in range(9)]
    checked = _AnnotationChecks(False).check_list(units)
    _json.use_orjson(False)
    assert isinstance(checked, BoxColumns) and checked.text() is None
    expected = _json.dumps({"update": False, "annotations": [payload(u) for u in units]})
    lanes = _AnnotationLanes(False, None, 100, 10, 10)
    pieces = _json.batch_pieces(
        lanes.geometry.head,
        "annotations",
        checked,
        payload,
        finite=True,
        text=box_text.plain_boxes_text,
    )
    assert b"".join(pieces) == expected


def test_finite_numbers_whose_sum_overflows_are_still_plain() -> None:
    units = [_box(i) for i in range(6)]
    for unit in units:
        unit.x = 1.7e308  # the column's sum is infinite; each value is finite
    checked = _AnnotationChecks(False).check_list(units)
    assert isinstance(checked, BoxColumns)
    expected = b",".join(_json.dumps(payload(u)) for u in units)
    assert checked.text() == expected


@pytest.mark.parametrize("predictions", [False, True], ids=["annotations", "predictions"])
def test_a_duplicate_across_the_columns_and_the_rest_is_found(predictions: bool) -> None:
    # Two plain pieces read as columns, then a piece that is not (checked box by box), which
    # repeats the identity of a box of the first piece: the hashes of both ways must agree.
    units: list[Any] = [_prediction(i) if predictions else _box(i) for i in range(8)]
    other = _prediction(8, 0.5) if predictions else _box(8)
    other.metadata = {"weather": "fog"}
    repeat = _prediction(9) if predictions else _box(9)
    repeat.reference_id, repeat.annotation_id = units[2].reference_id, units[2].annotation_id
    with pytest.raises(Exception, match="Duplicate"):
        _AnnotationChecks(predictions).check_list([*units, other, repeat])
