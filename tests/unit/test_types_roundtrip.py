"""from_json(to_payload(x)) == x for every type; server quirks; unknown types and keys."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nucleus_async.types import (
    BoxAnnotation,
    BoxPrediction,
    CameraParams,
    CategoryAnnotation,
    CategoryPrediction,
    CuboidAnnotation,
    CuboidPrediction,
    DatasetInfo,
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
    annotation_from_json,
    prediction_from_json,
)

CAMERA = CameraParams(Point3D(1, 2, 3), Quaternion(0, 0, 0, 1), 5, 6, 7, 8, "brown_conrady", 0.1)
V = [Point(1, 2), Point(3.5, 4)]
KP = [Keypoint(1, 2), Keypoint(visible=False)]
SEGS = [Segment("a", 1), Segment("b", 2, {"m": 1})]
P1, P2 = Point3D(1, 2, 3), Point3D(4, 5, 6)

UNITS: list[Any] = [
    Point(1, 2.5),
    Point3D(1, 2, 3),
    LidarPoint(1, 2, 3, 4),
    Quaternion(0, 0, 0, 1),
    Keypoint(1, 2),
    Keypoint(visible=False),
    Segment("a", 1, {"m": 1}),
    CAMERA,
    BoxAnnotation("car", 0, 0, 10, 10, "img", "a", {"m": 1}, [0.1], "t", _task_id="task"),
    BoxPrediction("car", 0, 0, 10, 10, "img", 0.5, "a", {"m": 1}, {"car": 1.0}, [0.1], "t"),
    LineAnnotation("l", V, "img", "a", {"m": 1}, "t", _task_id="task"),
    LinePrediction("l", V, "img", 0.5, "a", {"m": 1}, {"l": 1.0}, "t"),
    PolygonAnnotation("p", V, "img", "a", {"m": 1}, [0.1], "t", _task_id="task"),
    PolygonPrediction("p", V, "img", 0.5, "a", {"m": 1}, {"p": 1.0}, [0.1], "t"),
    KeypointsAnnotation("k", KP, ["x", "y"], "img", [[0, 1]], "a", {"m": 1}, "t", _task_id="t"),
    KeypointsPrediction("k", KP, ["x", "y"], [[0, 1]], "img", 0.5, "a", {"m": 1}, {"k": 1.0}, "t"),
    CuboidAnnotation("c", P1, P2, 0.5, "pc", "a", {"m": 1}, "t", _task_id="task"),
    CuboidPrediction("c", P1, P2, 0.5, "pc", 0.5, "a", {"m": 1}, {"c": 1.0}, "t"),
    CategoryAnnotation("d", "img", "tax", {"m": 1}, "t", _task_id="task"),
    CategoryPrediction("d", "img", "tax", 0.5, {"m": 1}, {"d": 1.0}, "t"),
    MultiCategoryAnnotation(["a", "b"], "img", "tax", {"m": 1}, "t", _task_id="task"),
    SceneCategoryAnnotation("run", "scene", "tax", {"m": 1}, _task_id="task"),
    SceneCategoryPrediction("run", "scene", "tax", 0.5, {"m": 1}),
    SegmentationAnnotation("s3://b/m.png", SEGS, "img", "seg"),
    SegmentationPrediction("s3://b/m.png", SEGS, "img", "seg"),
    DatasetItem("s3://b/1.jpg", "img", {"m": 1}, width=4, height=3),
    DatasetItem("s3://b/1.jpg", "img", embedding_info={"index_id": "i", "embedding_vector": [1]}),
    DatasetItem("s3://b/1.jpg", "img", {"camera_params": CAMERA.to_payload()}),
    Track("ds_1", "track_1", {"m": 1}),
    UnknownAnnotation("brand_new", {"type": "brand_new", "reference_id": "img", "x": [1]}),
    UnknownPrediction("brand_new", {"type": "brand_new", "reference_id": "img"}),
]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: type(u).__name__)
def test_round_trip(unit: Any) -> None:
    again = type(unit).from_json(unit.to_payload())
    assert again == unit
    assert again.to_payload() == unit.to_payload()


@pytest.mark.parametrize(
    "unit",
    [u for u in UNITS if hasattr(u, "reference_id") and type(u).__name__.endswith("Annotation")],
    ids=lambda u: type(u).__name__,
)
def test_annotation_dispatch_round_trip(unit: Any) -> None:
    again = annotation_from_json(unit.to_payload())
    if isinstance(unit, SceneCategoryAnnotation):
        # Sent as "category": it comes back as a plain category (reference 7.6).
        assert type(again) is CategoryAnnotation
    else:
        assert type(again) is type(unit)
        assert again == unit


@pytest.mark.parametrize(
    "unit",
    [u for u in UNITS if type(u).__name__.endswith("Prediction")],
    ids=lambda u: type(u).__name__,
)
def test_prediction_dispatch_round_trip(unit: Any) -> None:
    again = prediction_from_json(unit.to_payload())
    if isinstance(unit, SceneCategoryPrediction):
        assert type(again) is CategoryPrediction
    else:
        assert type(again) is type(unit)
        assert again == unit


def test_item_scene_form_round_trips() -> None:
    for item in [
        DatasetItem("s3://b/1.jpeg", "img", {"camera_params": CAMERA.to_payload()}),
        DatasetItem(pointcloud_location="s3://b/1.bin", reference_id="pc"),
    ]:
        assert DatasetItem.from_json(item.to_payload(is_scene=True)) == item


def _scene() -> LidarScene:
    frames = [
        Frame(
            lidar=DatasetItem(pointcloud_location=f"s3://b/{i}.json", reference_id=f"pc{i}"),
            cam=DatasetItem(f"s3://b/{i}.jpg", f"cam{i}", {"camera_params": CAMERA.to_payload()}),
        )
        for i in range(2)
    ]
    return LidarScene("scene", frames, {"m": 1}, [Track("ds", "t1", None)])


def test_scenes_round_trip() -> None:
    scene = _scene()
    assert LidarScene.from_json(scene.to_payload()) == scene
    frame = scene.get_frame(0)
    assert Frame.from_json(frame.to_payload()) == frame
    video = VideoScene("v", 24, items=[DatasetItem("s3://b/1.jpg", "f1")], metadata={"m": 1})
    assert VideoScene.from_json(video.to_payload()) == video
    by_url = VideoScene("v2", video_location="s3://b/v.mp4")
    assert VideoScene.from_json(by_url.to_payload()) == by_url


def test_dataset_info_round_trip_and_key_access() -> None:
    raw = {
        "dataset_id": "ds_1",
        "name": "n",
        "length": 3,
        "model_run_ids": [],
        "slice_ids": ["slc_1"],
        "tags": None,
        "brand_new_key": 1,
    }
    info = DatasetInfo.from_json(raw)
    assert info.tags == [] and info["tags"] == []
    assert info["name"] == "n" and info.length == 3
    assert info["brand_new_key"] == 1 and info.extra == {"brand_new_key": 1}
    assert DatasetInfo.from_json(info.to_payload()) == info


# ------------------------------------------------------------------ server quirks (3.5, 3.6)


def test_box_from_json_defaults() -> None:
    box = BoxAnnotation.from_json({"reference_id": "img", "geometry": {"x": 1}})
    # The official client defaults a missing label to the integer 0; labels are strings here
    # (a non-string label is refused), so a missing one reads back as "".
    assert (box.label, box.x, box.y, box.width, box.height) == ("", 1, 0, 0, 0)
    assert box.annotation_id == "-1-0-0-0-img"
    assert box.metadata == {}


def test_item_from_json_picks_first_truthy_location_and_ref_id() -> None:
    item = DatasetItem.from_json(
        {
            "processed_url": "",
            "image_url": "s3://b/a.jpg",
            "original_image_url": "s3://b/orig.jpg",
            "ref_id": "real",
            "reference_id": "stale",
            "dataset_item_id": "di_1",
        }
    )
    assert item.image_location == "s3://b/a.jpg"
    assert item.reference_id == "real"
    assert item.dataset_item_id == "di_1"
    assert (
        DatasetItem.from_json(
            {"id": "di_2", "image_url": "s3://x.jpg", "reference_id": "r"}
        ).dataset_item_id
        == "di_2"
    )


def test_item_from_url_uses_type_then_extension() -> None:
    assert DatasetItem.from_json({"url": "s3://b/p.json", "reference_id": "r"}).pointcloud_location
    assert DatasetItem.from_json({"url": "s3://b/p.jpeg", "reference_id": "r"}).image_location
    typed = DatasetItem.from_json(
        {"url": "s3://b/p.bin", "type": "pointcloud", "reference_id": "r"}
    )
    assert typed.pointcloud_location == "s3://b/p.bin"


def test_unknown_keys_are_kept_in_extra_and_not_resent() -> None:
    payload = {**BoxAnnotation("car", 0, 0, 1, 1, "img").to_payload(), "new_field": {"a": 1}}
    box = annotation_from_json(payload)
    assert isinstance(box, BoxAnnotation)
    assert box.extra == {"new_field": {"a": 1}}
    assert "new_field" not in box.to_payload()
    item = DatasetItem.from_json({"image_url": "s3://b/1.jpg", "reference_id": "r", "zzz": 1})
    assert item.extra == {"zzz": 1}


@pytest.mark.parametrize("parse", [annotation_from_json, prediction_from_json])
def test_unknown_type_is_kept_raw(parse: Any) -> None:
    payload = {"type": "hologram", "reference_id": "img", "geometry": {"q": 1}}
    unit = parse(payload)
    assert isinstance(unit, (UnknownAnnotation, UnknownPrediction))
    assert unit.type == "hologram"
    assert unit.to_payload() == payload
    assert unit.reference_id == "img"
    assert unit.duplicate_key() is None


@pytest.mark.parametrize("kind", ["mask", "segmentation", None])
def test_masks_dispatch_by_type_or_mask_url(kind: str | None) -> None:
    payload: dict[str, Any] = {"mask_url": "s3://m.png", "reference_id": "img"}
    if kind:
        payload["type"] = kind
    assert type(annotation_from_json(payload)) is SegmentationAnnotation
    assert type(prediction_from_json(payload)) is SegmentationPrediction


def test_multicategory_prediction_is_unknown() -> None:
    assert isinstance(
        prediction_from_json({"type": "multicategory", "reference_id": "r"}), UnknownPrediction
    )


def test_segmentation_equality_ignores_segment_order() -> None:
    a = SegmentationAnnotation("s3://m.png", [Segment("a", 1), Segment("b", 2)], "img")
    b = SegmentationAnnotation("s3://m.png", [Segment("b", 2), Segment("a", 1)], "img")
    assert a == b


finite = st.one_of(
    st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False, width=64)
)
text = st.text(min_size=1, max_size=20)


@given(
    label=text,
    x=finite,
    y=finite,
    w=finite,
    h=finite,
    ref=text,
    metadata=st.dictionaries(text, st.one_of(st.integers(), text)),
    confidence=st.one_of(st.none(), st.floats(0, 1)),
)
def test_box_prediction_round_trips(
    label: str,
    x: float,
    y: float,
    w: float,
    h: float,
    ref: str,
    metadata: dict[str, Any],
    confidence: float | None,
) -> None:
    box = BoxPrediction(label, x, y, w, h, ref, confidence, metadata=metadata)
    again = prediction_from_json(box.to_payload())
    assert again == box
    assert again.to_json() == box.to_json()
