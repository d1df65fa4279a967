"""Exact wire payloads of every data type (reference section 3), pinned as literal dicts."""

from __future__ import annotations

from nucleus_async.types import (
    BoxAnnotation,
    BoxPrediction,
    CameraParams,
    CategoryAnnotation,
    CategoryPrediction,
    CuboidAnnotation,
    CuboidPrediction,
    DatasetItem,
    Keypoint,
    KeypointsAnnotation,
    KeypointsPrediction,
    LidarPoint,
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
)


def test_geometry_payloads() -> None:
    assert Point(1, 2.5).to_payload() == {"x": 1, "y": 2.5}
    assert Point3D(1, 2, 3).to_payload() == {"x": 1, "y": 2, "z": 3}
    assert LidarPoint(1, 2, 3, 0.5).to_payload() == {"x": 1, "y": 2, "z": 3, "i": 0.5}
    assert Quaternion(0, 0, 0, 1).to_payload() == {"x": 0, "y": 0, "z": 0, "w": 1}
    assert Keypoint(1, 2).to_payload() == {"x": 1, "y": 2, "visible": True}
    assert Keypoint(visible=False).to_payload() == {"x": None, "y": None, "visible": False}


def test_segment_sends_metadata_only_when_set() -> None:
    assert Segment("car").to_payload() == {"label": "car", "index": None}
    assert Segment("car", 1, {}).to_payload() == {"label": "car", "index": 1, "metadata": {}}


def test_camera_params_omits_falsy_coefficients() -> None:
    params = CameraParams(Point3D(1, 2, 3), Quaternion(0, 0, 0, 1), 5, 6, 7, 8, "fisheye", 0.1, 0)
    assert params.to_payload() == {
        "position": {"x": 1, "y": 2, "z": 3},
        "heading": {"x": 0, "y": 0, "z": 0, "w": 1},
        "fx": 5,
        "fy": 6,
        "cx": 7,
        "cy": 8,
        "k1": 0.1,
        "camera_model": "fisheye",
    }


def test_box_payload_with_default_id() -> None:
    assert BoxAnnotation("car", 0, 0, 10, 10, "img_1").to_payload() == {
        "label": "car",
        "type": "box",
        "geometry": {"x": 0, "y": 0, "width": 10, "height": 10},
        "reference_id": "img_1",
        "annotation_id": "car-0-0-10-10-img_1",
        "metadata": {},
        "embedding_vector": None,
        "track_reference_id": None,
        "task_id": None,
    }


def test_box_default_id_uses_python_str_of_floats() -> None:
    assert BoxAnnotation("car", 10.0, 0, 1, 2, "i").annotation_id == "car-10.0-0-1-2-i"


def test_box_task_id_round_trips_in_payload() -> None:
    box = BoxAnnotation("car", 0, 0, 1, 1, "img", "a", _task_id="task_1")
    assert box.to_payload()["task_id"] == "task_1"
    assert box.task_id == "task_1"


def test_box_prediction_appends_confidence_and_class_pdf() -> None:
    payload = BoxPrediction("car", 0, 0, 1, 1, "img", 0.0, "a", class_pdf={"car": 1.0}).to_payload()
    assert list(payload)[-3:] == ["task_id", "confidence", "class_pdf"]
    assert payload["confidence"] == 0.0
    assert payload["task_id"] is None
    assert "confidence" not in BoxPrediction("car", 0, 0, 1, 1, "img").to_payload()


def test_line_and_polygon_payloads() -> None:
    line = LineAnnotation("l", [Point(1, 2), {"x": 3, "y": 4}], "img").to_payload()
    assert line == {
        "label": "l",
        "type": "line",
        "geometry": {"vertices": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]},
        "reference_id": "img",
        "annotation_id": None,
        "metadata": {},
        "track_reference_id": None,
        "task_id": None,
    }
    polygon = PolygonAnnotation("p", [Point(1, 2)], "img", embedding_vector=[1.0]).to_payload()
    assert list(polygon) == [
        "label",
        "type",
        "geometry",
        "reference_id",
        "annotation_id",
        "metadata",
        "embedding_vector",
        "track_reference_id",
        "task_id",
    ]
    assert polygon["type"] == "polygon"
    assert LinePrediction("l", [], "img", 0.5).to_payload()["confidence"] == 0.5
    assert PolygonPrediction("p", [], "img", class_pdf={}).to_payload()["class_pdf"] == {}


def test_keypoints_payload_and_default_id() -> None:
    payload = KeypointsAnnotation(
        "face", [Keypoint(1, 2), Keypoint(visible=False)], ["a", "b"], "img", [[0, 1]]
    ).to_payload()
    assert payload == {
        "label": "face",
        "type": "keypoints",
        "geometry": {
            "keypoints": [
                {"x": 1, "y": 2, "visible": True},
                {"x": None, "y": None, "visible": False},
            ],
            "names": ["a", "b"],
            "skeleton": [[0, 1]],
        },
        "reference_id": "img",
        "annotation_id": "face-img-keypoints",
        "metadata": {},
        "track_reference_id": None,
        "task_id": None,
    }
    prediction = KeypointsPrediction("face", [Keypoint(1, 2)], ["a"], None, "img", 0.9)
    assert prediction.to_payload()["confidence"] == 0.9


def test_cuboid_omits_falsy_optional_keys() -> None:
    cuboid = CuboidAnnotation("car", Point3D(1, 2, 3), Point3D(4, 5, 6), 0.5, "pc")
    assert cuboid.to_payload() == {
        "label": "car",
        "type": "cuboid",
        "geometry": {
            "position": {"x": 1, "y": 2, "z": 3},
            "dimensions": {"x": 4, "y": 5, "z": 6},
            "yaw": 0.5,
        },
        "reference_id": "pc",
    }
    full = CuboidAnnotation(
        "car", Point3D(1, 2, 3), Point3D(4, 5, 6), 0, "pc", "c", {"m": 1}, "t", _task_id="x"
    ).to_payload()
    assert list(full)[4:] == ["annotation_id", "metadata", "track_reference_id", "task_id"]
    prediction = CuboidPrediction("car", Point3D(1, 2, 3), Point3D(4, 5, 6), 0, "pc", 0.2)
    assert prediction.to_payload()["confidence"] == 0.2


def test_category_payloads() -> None:
    assert CategoryAnnotation("dress", "img").to_payload() == {
        "label": "dress",
        "type": "category",
        "geometry": {},
        "reference_id": "img",
        "metadata": {},
        "track_reference_id": None,
        "task_id": None,
    }
    assert CategoryAnnotation("dress", "img", "tax").to_payload()["taxonomy_name"] == "tax"
    prediction = CategoryPrediction("dress", "img", "tax", 0.5, None, {"dress": 1.0})
    assert list(prediction.to_payload())[-3:] == ["taxonomy_name", "confidence", "class_pdf"]


def test_multicategory_payload() -> None:
    assert MultiCategoryAnnotation(["a", "b"], "img", "tax").to_payload() == {
        "labels": ["a", "b"],
        "type": "multicategory",
        "geometry": {},
        "reference_id": "img",
        "metadata": {},
        "track_reference_id": None,
        "task_id": None,
        "taxonomy_name": "tax",
    }


def test_scene_category_is_sent_as_category() -> None:
    assert SceneCategoryAnnotation("run", "scene_1").to_payload() == {
        "label": "run",
        "type": "category",
        "geometry": {},
        "reference_id": "scene_1",
        "metadata": {},
        "task_id": None,
    }
    prediction = SceneCategoryPrediction("run", "scene_1", confidence=0.1).to_payload()
    assert prediction["confidence"] == 0.1
    assert "class_pdf" not in prediction


def test_segmentation_is_sent_as_mask() -> None:
    payload = SegmentationAnnotation("s3://b/m.png", [Segment("car", 1)], "img").to_payload()
    assert payload == {
        "type": "mask",
        "mask_url": "s3://b/m.png",
        "annotations": [{"label": "car", "index": 1}],
        "annotation_id": None,
        "reference_id": "img",
    }
    assert SegmentationPrediction("s3://b/m.png", [], "img", "s").to_payload()["type"] == "mask"


def test_dataset_item_payload_forms() -> None:
    item = DatasetItem("https://x/1.jpg", "img", None, width=640, height=0)
    assert item.to_payload() == {
        "metadata": {},
        "reference_id": "img",
        "width": 640,
        "image_url": "https://x/1.jpg",
    }
    assert item.to_payload(is_scene=True) == {
        "metadata": {},
        "reference_id": "img",
        "width": 640,
        "url": "https://x/1.jpg",
        "type": "image",
    }
    pointcloud = DatasetItem(pointcloud_location="s3://b/p.json", reference_id="pc")
    assert pointcloud.to_payload(is_scene=True) == {
        "metadata": {},
        "reference_id": "pc",
        "url": "s3://b/p.json",
        "type": "pointcloud",
    }


def test_dataset_item_embedding_info_payload() -> None:
    item = DatasetItem(
        "s3://b/1.jpg", "img", embedding_info={"index_id": "idx", "embedding_vector": [0.5]}
    )
    assert item.to_payload()["embedding_info"] == {"index_id": "idx", "embedding_vector": [0.5]}


def test_metadata_passes_through_untouched() -> None:
    metadata = {"nested": {"a": [1, 2]}, "n": 1}
    box = BoxAnnotation("car", 0, 0, 1, 1, "img", metadata=metadata)
    assert box.to_payload()["metadata"] is metadata
