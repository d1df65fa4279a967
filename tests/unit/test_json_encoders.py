"""The bulk encoders give the same bytes with orjson (the ``speedups`` extra) as without it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from nucleus_async import _json
from nucleus_async._wire.payloads import bulk_payload
from nucleus_async.types import (
    BoxAnnotation,
    BoxPrediction,
    CameraParams,
    CategoryAnnotation,
    CategoryPrediction,
    CuboidAnnotation,
    CuboidPrediction,
    DatasetItem,
    Frame,
    Keypoint,
    KeypointsAnnotation,
    KeypointsPrediction,
    LidarPoint,
    LidarScene,
    LineAnnotation,
    LinePrediction,
    MultiCategoryAnnotation,
    Point,
    Point3D,
    PolygonAnnotation,
    PolygonPrediction,
    Quaternion,
    SceneCategoryAnnotation,
    SceneCategoryPrediction,
    Segment,
    SegmentationAnnotation,
    SegmentationPrediction,
    Track,
    UnknownAnnotation,
    UnknownPrediction,
    VideoScene,
)

#: Floats whose text differs between orjson and the standard library, and some that do not.
AWKWARD = [1e-05, 9.99e-05, 1.5e-09, 1e-10, 1e16, 1.5e16, -0.0, 0.1, 5e-324, 2**64]
TEXT = 'é ✓ 日本 \u2028 \x00\x1f\x7f "quoted" back\\slash / e-5 0.00001'
META = {"floats": AWKWARD, "text": TEXT, "nested": {"1e-7": [True, None, 3]}}
CAMERA = CameraParams(Point3D(1, 2, 3), Quaternion(0, 0, 0, 1), 5, 6, 7, 8, "brown_conrady", 1e-6)
V = [Point(1e-5, 2), Point(3.5, 1e16)]
KP = [Keypoint(1e-7, 2), Keypoint(visible=False)]
SEGS = [Segment("a", 1), Segment("b", 2, META)]
P1, P2 = Point3D(1, 2e-5, 3), Point3D(4, 5, 6)
ITEM = DatasetItem("s3://b/1.jpg", "img", META, width=4, height=3)
SCENE_ITEM = DatasetItem(pointcloud_location="s3://b/1.json", reference_id="pc", metadata=META)

UNITS: list[Any] = [
    Point(1e-5, 2.5),
    Point3D(1, 2, 3e-8),
    LidarPoint(1, 2, 3, 4e-5),
    Quaternion(0, 0, 0, 1),
    Keypoint(1, 2),
    Segment("a", 1, META),
    CAMERA,
    BoxAnnotation("car", 1e-5, 0, 10, 10, "img", "a", META, [1e-9], "t", _task_id="task"),
    BoxPrediction("car", 0, 0, 10, 10, "img", 1e-5, "a", META, {"car": 1e-7}, [0.1], "t"),
    LineAnnotation("l", V, "img", "a", META, "t", _task_id="task"),
    LinePrediction("l", V, "img", 0.5, "a", META, {"l": 1.0}, "t"),
    PolygonAnnotation(TEXT, V, "img", "a", META, [0.1], "t", _task_id="task"),
    PolygonPrediction("p", V, "img", 0.5, "a", META, {"p": 1.0}, [0.1], "t"),
    KeypointsAnnotation("k", KP, ["x", "y"], "img", [[0, 1]], "a", META, "t", _task_id="t"),
    KeypointsPrediction("k", KP, ["x", "y"], [[0, 1]], "img", 0.5, "a", META, {"k": 1.0}, "t"),
    CuboidAnnotation("c", P1, P2, 1e-5, "pc", "a", META, "t", _task_id="task"),
    CuboidPrediction("c", P1, P2, 0.5, "pc", 0.5, "a", META, {"c": 1.0}, "t"),
    CategoryAnnotation("d", "img", "tax", META, "t", _task_id="task"),
    CategoryPrediction("d", "img", "tax", 0.5, META, {"d": 1e-5}, "t"),
    MultiCategoryAnnotation(["a", "b"], "img", "tax", META, "t", _task_id="task"),
    SceneCategoryAnnotation("run", "scene", "tax", META, _task_id="task"),
    SceneCategoryPrediction("run", "scene", "tax", 0.5, META),
    SegmentationAnnotation("s3://b/m.png", SEGS, "img", "seg"),
    SegmentationPrediction("s3://b/m.png", SEGS, "img", "seg"),
    ITEM,
    DatasetItem(
        "s3://b/1.jpg", "img", embedding_info={"index_id": "i", "embedding_vector": [1e-5]}
    ),
    Track("ds_1", "track_1", META),
    LidarScene("scene", [Frame(lidar=SCENE_ITEM)], META),
    VideoScene("video", 30, items=[ITEM], metadata=META),
    UnknownAnnotation("brand_new", {"type": "brand_new", "reference_id": "img", "x": AWKWARD}),
    UnknownPrediction("brand_new", {"type": "brand_new", "reference_id": "img", "t": TEXT}),
]


@pytest.fixture
def encoders() -> Iterator[None]:
    yield
    _json.use_orjson(True)


def _both(encode: Any) -> tuple[bytes, bytes]:
    """``encode()`` through the standard library, then through orjson."""
    assert _json.use_orjson(False) is False
    stdlib = encode()
    assert _json.use_orjson(True) is True, "orjson (the speedups extra) must be installed"
    return stdlib, encode()


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: type(u).__name__)
def test_a_batch_body_is_the_same_bytes_on_both_paths(unit: Any, encoders: None) -> None:
    units = [unit] * 3
    stdlib, fast = _both(
        lambda: _json.dumps_batch({"update": True}, "items", units, _payload, {"x": 1e-5})
    )
    assert fast == stdlib
    assert stdlib == _json.dumps({"update": True, "items": [_payload(u) for u in units], "x": 1e-5})


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: type(u).__name__)
def test_ndjson_lines_are_the_same_bytes_on_both_paths(unit: Any, encoders: None) -> None:
    payloads = [_payload(unit)] * 2
    stdlib, fast = _both(lambda: _json.dumps_lines(payloads))
    assert fast == stdlib
    assert stdlib == b"".join(_json.dumps(p) + b"\n" for p in payloads)


def test_plain_units_take_the_fast_path(encoders: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _json.use_orjson(True)
    refused: list[bytes] = []
    monkeypatch.setattr(_json, "_encode", lambda o: refused.append(o) or json.dumps(o))
    boxes = [BoxAnnotation("car", 1, 2, 3, 4, f"img-{i}", f"b{i}") for i in range(300)]
    _json.dumps_batch({}, "annotations", boxes, _payload)
    _json.dumps_lines([b.to_payload() for b in boxes])
    # Only the key ("annotations") went through the standard library.
    assert refused == ["annotations"]


def test_what_orjson_refuses_is_decided_by_the_standard_library(encoders: None) -> None:
    payloads = [{"big": 2**70}, {1: "int key"}]
    stdlib, fast = _both(lambda: _json.dumps_lines(payloads))
    assert fast == stdlib == b'{"big":1180591620717411303424}\n{"1":"int key"}\n'


@pytest.mark.parametrize("fast", [False, True], ids=["stdlib", "orjson"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_both_paths_refuse_non_finite_numbers(bad: float, fast: bool, encoders: None) -> None:
    # orjson would write null: its output is read back, found unequal, and refused as the
    # standard library refuses it.
    _json.use_orjson(fast)
    with pytest.raises(ValueError, match="NaN or infinity"):
        _json.dumps_lines([{"ok": 1}, {"x": [1, {"deep": bad}]}])
    with pytest.raises(ValueError, match="NaN or infinity"):
        _json.dumps_batch({}, "items", [{"ok": 1}, {"x": bad}], dict)


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: type(u).__name__)
def test_the_finite_promise_gives_the_same_bytes(unit: Any, encoders: None) -> None:
    units = [unit] * 3
    _json.use_orjson(True)
    promised = _json.dumps_batch({}, "annotations", units, _payload, finite=True)
    assert promised == _json.dumps_batch({}, "annotations", units, _payload)
    lines = [_payload(u) for u in units]
    assert _json.dumps_lines(lines, finite=True) == _json.dumps_lines(lines)


def test_text_without_null_is_not_read_back(
    encoders: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No ``null`` in orjson's text: no NaN or infinity can hide in it, nothing is read back.
    # With one (or none promised finite), the text is read back.
    _json.use_orjson(True)
    read_back: list[bytes] = []
    real_loads = _json._orjson_loads
    assert real_loads is not None

    def loads(text: bytes) -> Any:
        read_back.append(text)
        return real_loads(text)

    monkeypatch.setattr(_json, "_orjson_loads", loads)
    _json.dumps_lines([{"reference_id": "a", "metadata": {"i": 1.5}}])
    assert read_back == []
    _json.dumps_lines([{"reference_id": "a", "metadata": {"i": None}}])
    assert len(read_back) == 1
    _json.dumps_lines([{"reference_id": "a", "metadata": {"i": None}}], finite=True)
    assert len(read_back) == 1


def test_tuples_take_the_standard_library_and_give_the_same_bytes(encoders: None) -> None:
    payloads = [{"vertices": ((1, 2), (3, 4.5))}]
    stdlib, fast = _both(lambda: _json.dumps_lines(payloads))
    assert fast == stdlib == b'{"vertices":[[1,2],[3,4.5]]}\n'


def _payload(unit: Any) -> Any:
    return unit.to_payload()


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: type(u).__name__)
def test_the_bulk_payload_is_the_units_own_payload(unit: Any) -> None:
    payload = bulk_payload()(unit)
    assert payload == unit.to_payload()
    assert list(payload) == list(unit.to_payload())  # the same key order: the same bytes
