"""Cross-check: our payloads equal the official client's (scale-nucleus 0.18.4) for every type."""

from __future__ import annotations

import json
from typing import Any

import nucleus
import pytest

import nucleus_async.types as ours


def _both(name: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """Build ``name`` in both SDKs; geometry arguments are built by ``_conv`` per SDK."""
    mine = getattr(ours, name)(*_conv(args, ours), **_conv(kwargs, ours))
    theirs = getattr(nucleus, name)(*_conv(args, nucleus), **_conv(kwargs, nucleus))
    return mine, theirs


class G:
    """A geometry value to build in either SDK: ``G("Point", 1, 2)``."""

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.name, self.args, self.kwargs = name, args, kwargs


def _conv(value: Any, module: Any) -> Any:
    if isinstance(value, G):
        return getattr(module, value.name)(
            *_conv(value.args, module), **_conv(value.kwargs, module)
        )
    if isinstance(value, tuple):
        return tuple(_conv(v, module) for v in value)
    if isinstance(value, list):
        return [_conv(v, module) for v in value]
    if isinstance(value, dict):
        return {k: _conv(v, module) for k, v in value.items()}
    return value


CAMERA = {
    "position": {"x": 1, "y": 2, "z": 3},
    "heading": {"x": 0, "y": 0, "z": 0, "w": 1},
    "fx": 500,
    "fy": 510.5,
    "cx": 320,
    "cy": 240,
    "k1": 0.1,
    "k2": 0,
    "p1": 0.01,
    "camera_model": "brown_conrady",
}

VERTICES = [G("Point", 1, 2), G("Point", 3.5, 4), G("Point", 5, 6)]
KEYPOINTS = [G("Keypoint", 1, 2), G("Keypoint", visible=False), G("Keypoint", 3.0, 4.0, True)]
SEGMENTS = [G("Segment", "grass", 1), G("Segment", "road", 2, {"wet": True})]

CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("Point", (1, 2.5), {}),
    ("Point3D", (1, 2, 3.5), {}),
    ("Quaternion", (0.1, 0.2, 0.3, 0.9), {}),
    ("Keypoint", (1, 2), {}),
    ("Keypoint", (), {"visible": False}),
    ("Segment", ("car", 3), {}),
    ("Segment", ("car", 3, {"a": 1}), {}),
    ("CameraParams", (G("Point3D", 1, 2, 3), G("Quaternion", 0, 0, 0, 1), 1, 2, 3, 4), {}),
    (
        "CameraParams",
        (G("Point3D", 1, 2, 3), G("Quaternion", 0, 0, 0, 1), 1, 2, 3, 4, "fisheye"),
        {"k1": 0.5, "k2": 0, "k3": 0.1, "k4": 0.2, "p1": 0.3, "p2": 0.4},
    ),
    ("BoxAnnotation", ("car", 0, 0, 10, 10, "img_1"), {}),
    ("BoxAnnotation", ("car", 1.5, 2.0, 10, 12.25, "img_1"), {}),
    (
        "BoxAnnotation",
        ("car", 0, 0, 10, 10, "img_1", "ann", {"color": "red"}, [0.1, 0.2], "track"),
        {"_task_id": "task_1"},
    ),
    ("BoxPrediction", ("car", 0, 0, 10, 10, "img_1"), {}),
    (
        "BoxPrediction",
        ("car", 0, 0, 10, 10, "img_1", 0.0, "ann", {"m": 1}, {"car": 0.7, "bus": 0.3}, [1.0], "t"),
        {},
    ),
    ("LineAnnotation", ("line", VERTICES, "img_1"), {}),
    (
        "LineAnnotation",
        ("line", [{"x": 1, "y": 2}], "img_1", "a", {"m": 1}, "t"),
        {"_task_id": "x"},
    ),
    ("LinePrediction", ("line", VERTICES, "img_1", 0.9, "a", {"m": 1}, {"line": 1.0}, "t"), {}),
    ("PolygonAnnotation", ("poly", VERTICES, "img_1"), {}),
    ("PolygonAnnotation", ("poly", VERTICES, "img_1", "a", {"m": 1}, [0.5], "t"), {}),
    ("PolygonPrediction", ("poly", VERTICES, "img_1", 0.5, "a", None, None, [0.1], "t"), {}),
    ("KeypointsAnnotation", ("face", KEYPOINTS, ["a", "b", "c"], "img_1"), {}),
    (
        "KeypointsAnnotation",
        ("face", KEYPOINTS, ["a", "b", "c"], "img_1", [[0, 1], [1, 2]], "k", {"m": 1}, "t"),
        {"_task_id": "x"},
    ),
    (
        "KeypointsPrediction",
        ("face", KEYPOINTS, ["a", "b", "c"], [[0, 2]], "img_1", 0.3, None, None, {"face": 1}),
        {},
    ),
    ("CuboidAnnotation", ("car", G("Point3D", 1, 2, 3), G("Point3D", 4, 5, 6), 0.5, "pc_1"), {}),
    (
        "CuboidAnnotation",
        ("car", G("Point3D", 1, 2, 3), G("Point3D", 4, 5, 6), 0, "pc_1", "c", {"m": 1}, "t"),
        {"_task_id": "x"},
    ),
    (
        "CuboidPrediction",
        ("car", G("Point3D", 1, 2, 3), G("Point3D", 4, 5, 6), 1, "pc_1", 0.1, "c", {}, {"car": 1}),
        {},
    ),
    ("CategoryAnnotation", ("dress", "img_1"), {}),
    ("CategoryAnnotation", ("dress", "img_1", "clothing", {"m": 1}, "t"), {"_task_id": "x"}),
    ("CategoryPrediction", ("dress", "img_1", "clothing", 0.8, {"m": 1}, {"dress": 1}, "t"), {}),
    ("CategoryPrediction", ("dress", "img_1"), {}),
    ("MultiCategoryAnnotation", (["a", "b"], "img_1"), {}),
    ("MultiCategoryAnnotation", (["a"], "img_1", "tax", {"m": 1}, "t"), {"_task_id": "x"}),
    ("SceneCategoryAnnotation", ("running", "scene_1"), {}),
    ("SceneCategoryAnnotation", ("running", "scene_1", "action", {"w": "clear"}), {}),
    # metadata given: the official prediction sends "metadata": null when it is omitted
    # (see test_scene_category_prediction_without_metadata_sends_empty_dict).
    ("SceneCategoryPrediction", ("running", "scene_1", "action", 0.4, {"w": "clear"}), {}),
    ("SegmentationAnnotation", ("s3://bucket/mask.png", SEGMENTS, "img_1"), {}),
    ("SegmentationAnnotation", ("https://x/mask.png", SEGMENTS, "img_1", "seg_1"), {}),
    ("SegmentationPrediction", ("s3://bucket/mask.png", SEGMENTS, "img_1", "seg_1"), {}),
    ("DatasetItem", ("https://x/1.jpg", "img_1"), {}),
    ("DatasetItem", ("s3://b/1.jpg", "img_1", {"a": 1}), {"width": 640, "height": 480}),
    ("DatasetItem", ("/local/1.jpg", "img_1", {"camera_params": CAMERA}), {}),
]


def _ids(case: tuple[str, tuple[Any, ...], dict[str, Any]]) -> str:
    return case[0]


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_payload_matches_official(case: tuple[str, tuple[Any, ...], dict[str, Any]]) -> None:
    name, args, kwargs = case
    mine, theirs = _both(name, *args, **kwargs)
    assert mine.to_payload() == theirs.to_payload()
    assert list(mine.to_payload()) == list(theirs.to_payload())  # key order as emitted


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in CASES
        if c[0] not in {"Point", "Point3D", "Keypoint", "Segment", "Quaternion", "CameraParams"}
    ],
    ids=_ids,
)
def test_to_json_matches_official(case: tuple[str, tuple[Any, ...], dict[str, Any]]) -> None:
    name, args, kwargs = case
    mine, theirs = _both(name, *args, **kwargs)
    assert json.loads(mine.to_json()) == json.loads(theirs.to_json())
    assert mine.to_json() == theirs.to_json()


def test_scene_category_prediction_without_metadata_sends_empty_dict() -> None:
    # Deliberate difference: 0.18.4 sends null here; the reference (and every other type)
    # sends {} for metadata=None.
    mine, theirs = _both("SceneCategoryPrediction", "running", "scene_1")
    assert theirs.to_payload()["metadata"] is None
    assert mine.to_payload() == {**theirs.to_payload(), "metadata": {}}


def _items(module: Any) -> dict[str, Any]:
    item = module.DatasetItem
    return {
        "lidar": item(pointcloud_location="s3://b/0.json", reference_id="pc_0", metadata={"t": 0}),
        "cam": item(
            image_location="s3://b/0.jpg",
            reference_id="cam_0",
            metadata={"camera_params": CAMERA},
            width=10,
            height=20,
        ),
    }


@pytest.mark.parametrize("is_scene", [False, True])
def test_dataset_item_payload_both_forms(is_scene: bool) -> None:
    mine, theirs = _items(ours)["cam"], _items(nucleus)["cam"]
    assert mine.to_payload(is_scene=is_scene) == theirs.to_payload(is_scene=is_scene)
    assert list(mine.to_payload(is_scene=is_scene)) == list(theirs.to_payload(is_scene=is_scene))


def test_pointcloud_item_scene_payload() -> None:
    mine, theirs = _items(ours)["lidar"], _items(nucleus)["lidar"]
    assert mine.to_payload(is_scene=True) == theirs.to_payload(is_scene=True)


def _lidar_scene(module: Any) -> Any:
    frames = []
    for i in range(3):
        frames.append(
            module.Frame(
                lidar=module.DatasetItem(
                    pointcloud_location=f"s3://b/{i}.json", reference_id=f"pc_{i}"
                ),
                cam=module.DatasetItem(
                    image_location=f"s3://b/{i}.jpg",
                    reference_id=f"cam_{i}",
                    metadata={"camera_params": CAMERA},
                ),
            )
        )
    return module.LidarScene("scene_1", frames, {"weather": "sunny"})


def test_frame_payload_matches_official() -> None:
    assert (
        _lidar_scene(ours).get_frame(1).to_payload()
        == _lidar_scene(nucleus).get_frame(1).to_payload()
    )


def test_lidar_scene_payload_matches_official() -> None:
    mine, theirs = _lidar_scene(ours), _lidar_scene(nucleus)
    assert mine.to_payload() == theirs.to_payload()
    assert json.loads(mine.to_json()) == json.loads(theirs.to_json())
    assert mine.info() == theirs.info()


def test_lidar_scene_built_by_add_frame_matches_official() -> None:
    payloads = []
    for module in (ours, nucleus):
        scene = _lidar_scene(module)
        extra = module.Frame(
            lidar=module.DatasetItem(pointcloud_location="s3://b/9.json", reference_id="pc_9")
        )
        scene.add_frame(extra, 3)
        scene.add_item(
            3, "cam", module.DatasetItem(image_location="s3://b/9.jpg", reference_id="c9")
        )
        payloads.append(scene.to_payload())
    assert payloads[0] == payloads[1]


@pytest.mark.parametrize("privacy", [False, True])
def test_video_scene_with_items_matches_official(privacy: bool) -> None:
    payloads = []
    for module in (ours, nucleus):
        items = [
            module.DatasetItem(
                image_location=f"s3://b/{i}.jpg", reference_id=f"f_{i}", width=4, height=3
            )
            for i in range(3)
        ]
        scene = module.VideoScene(
            "video_1",
            frame_rate=24,
            video_location="s3://b/v.mp4" if privacy else None,
            items=items,
            metadata={"m": 1},
            use_privacy_mode=privacy,
        )
        payloads.append((scene.to_payload(), json.loads(scene.to_json()), scene.info()))
    assert payloads[0] == payloads[1]


def test_video_scene_with_location_matches_official() -> None:
    mine = ours.VideoScene("video_2", video_location="s3://b/v.mp4")
    theirs = nucleus.VideoScene("video_2", video_location="s3://b/v.mp4")
    assert mine.to_payload() == theirs.to_payload()
    assert mine.info() == theirs.info()


def test_from_json_matches_official_for_server_shapes() -> None:
    server_item = {
        "ref_id": "img_9",
        "reference_id": "ignored",
        "original_image_url": "s3://b/9.jpg",
        "metadata": {"a": 1},
        "id": "di_1",
        "phash": "0101",
    }
    mine = ours.DatasetItem.from_json(dict(server_item))
    theirs = nucleus.DatasetItem.from_json(dict(server_item))
    assert mine.to_payload() == theirs.to_payload()
    box = {"type": "box", "label": "car", "reference_id": "img_9", "geometry": {"x": 1, "y": 2}}
    assert (
        ours.BoxAnnotation.from_json(box).to_payload()
        == nucleus.BoxAnnotation.from_json(box).to_payload()
    )


def test_a_box_without_label_reads_back_with_an_empty_string_label() -> None:
    # Deliberate difference: the official client defaults a missing label to the integer 0,
    # which this SDK refuses (labels are strings), so the default is "" (and the default id
    # follows it).
    box = {"type": "box", "reference_id": "img_9", "geometry": {"x": 1, "y": 2}}
    mine = ours.BoxAnnotation.from_json(box).to_payload()
    theirs = nucleus.BoxAnnotation.from_json(box).to_payload()
    assert (mine["label"], theirs["label"]) == ("", 0)
    assert (mine["annotation_id"], theirs["annotation_id"]) == ("-1-2-0-0-img_9", "0-1-2-0-0-img_9")
    differing = {k for k in mine if mine[k] != theirs[k]}
    assert differing == {"label", "annotation_id"}


def test_default_ids_match_official() -> None:
    for args in [("car", 0, 0, 10, 10, "image_1"), ("car", 1.0, None, 10, 10, "image_1")]:
        theirs = nucleus.BoxAnnotation(*args)
        if None in args:
            continue  # ours refuses a None coordinate
        assert ours.BoxAnnotation(*args).annotation_id == theirs.annotation_id
    assert (
        ours.BoxAnnotation("car", 0, 0, 10, 10, "image_1").annotation_id == "car-0-0-10-10-image_1"
    )
