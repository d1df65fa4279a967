"""Client-side validation: each rule raises ValidationError naming the field and the object."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nucleus_async._errors import DuplicateIDError, ValidationError
from nucleus_async.types import (
    BoxAnnotation,
    BoxPrediction,
    CameraParams,
    CategoryPrediction,
    CuboidAnnotation,
    DatasetItem,
    Keypoint,
    KeypointsAnnotation,
    LineAnnotation,
    Point,
    Point3D,
    PolygonAnnotation,
    Quaternion,
    Segment,
    SegmentationAnnotation,
    SegmentationPrediction,
    check_duplicate_ids,
    is_local_path,
)

CASES: list[tuple[str, Callable[[], Any], str, str | None]] = [
    ("box string x", lambda: BoxAnnotation("c", "0", 0, 1, 1, "img"), "x", "img"),
    ("box bool y", lambda: BoxAnnotation("c", 0, True, 1, 1, "img"), "y", "img"),
    ("box nan width", lambda: BoxAnnotation("c", 0, 0, math.nan, 1, "img"), "width", "img"),
    ("box inf height", lambda: BoxAnnotation("c", 0, 0, 1, math.inf, "img"), "height", "img"),
    (
        "box no reference id",
        lambda: BoxAnnotation("c", 0, 0, 1, 1, None),
        "reference_id",
        "BoxAnnotation(label='c')",
    ),  # type: ignore[arg-type]
    (
        "box nan embedding",
        lambda: BoxAnnotation("c", 0, 0, 1, 1, "img", embedding_vector=[math.nan]),
        "embedding_vector[0]",
        "img",
    ),
    (
        "box metadata list",
        lambda: BoxAnnotation("c", 0, 0, 1, 1, "img", metadata=[1]),
        "metadata",
        "img",
    ),  # type: ignore[arg-type]
    ("confidence > 1", lambda: BoxPrediction("c", 0, 0, 1, 1, "img", 1.5), "confidence", "img"),
    (
        "confidence < 0",
        lambda: CategoryPrediction("c", "img", confidence=-0.1),
        "confidence",
        "img",
    ),
    (
        "confidence nan",
        lambda: BoxPrediction("c", 0, 0, 1, 1, "img", math.nan),
        "confidence",
        "img",
    ),
    ("point nan", lambda: Point(math.nan, 1), "x", None),
    ("point3d string", lambda: Point3D(1, 2, "3"), "z", None),
    ("quaternion inf", lambda: Quaternion(0, 0, 0, -math.inf), "w", None),
    ("vertex dict without y", lambda: LineAnnotation("l", [{"x": 1}], "img"), "vertices[0]", "img"),
    ("vertex wrong type", lambda: PolygonAnnotation("p", [(1, 2)], "img"), "vertices[0]", "img"),  # type: ignore[list-item]
    ("visible keypoint without y", lambda: Keypoint(1, None), "visible", None),
    (
        "keypoints/names length",
        lambda: KeypointsAnnotation("k", [Keypoint(1, 2)], ["a", "b"], "img"),
        "names",
        "img",
    ),
    (
        "repeated keypoint name",
        lambda: KeypointsAnnotation("k", [Keypoint(1, 2), Keypoint(3, 4)], ["a", "a"], "img"),
        "names",
        "img",
    ),
    (
        "skeleton edge of 3",
        lambda: KeypointsAnnotation("k", [Keypoint(1, 2)], ["a"], "img", [[0, 0, 0]]),
        "skeleton",
        "img",
    ),
    (
        "skeleton index out of range",
        lambda: KeypointsAnnotation("k", [Keypoint(1, 2)], ["a"], "img", [[0, 1]]),
        "skeleton",
        "img",
    ),
    (
        "cuboid position",
        lambda: CuboidAnnotation("c", "p", Point3D(1, 2, 3), 0, "pc"),
        "position",
        "pc",
    ),  # type: ignore[arg-type]
    (
        "cuboid yaw nan",
        lambda: CuboidAnnotation("c", Point3D(1, 2, 3), Point3D(1, 2, 3), math.nan, "pc"),
        "yaw",
        "pc",
    ),
    ("empty mask_url", lambda: SegmentationAnnotation("", [], "img"), "mask_url", "img"),
    ("empty mask_url prediction", lambda: SegmentationPrediction("", [], "img"), "mask_url", "img"),
    (
        "item without reference id",
        lambda: DatasetItem("s3://b/1.jpg"),
        "reference_id",
        "s3://b/1.jpg",
    ),
    ("item without location", lambda: DatasetItem(reference_id="r"), "image_location", "r"),
    (
        "item with both locations",
        lambda: DatasetItem("s3://b/1.jpg", "r", pointcloud_location="s3://b/1.json"),
        "image_location",
        "r",
    ),
    (
        "pointcloud with embedding",
        lambda: DatasetItem(
            reference_id="r",
            pointcloud_location="s3://b/1.json",
            embedding_info={"index_id": "i", "embedding_vector": [1]},
        ),
        "embedding_info",
        "r",
    ),
    (
        "item with bad camera params",
        lambda: DatasetItem("s3://b/1.jpg", "r", {"camera_params": {"fx": 1}}),
        "metadata.camera_params.position",
        "r",
    ),
    (
        "camera model",
        lambda: CameraParams(Point3D(0, 0, 0), Quaternion(0, 0, 0, 1), 1, 1, 1, 1, "pinhole"),
        "camera_model",
        None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_validation_error_names_field_and_object(
    case: tuple[str, Callable[[], Any], str, str | None],
) -> None:
    _, build, field, obj = case
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.field == field
    assert info.value.obj == obj
    assert field in str(info.value)
    assert isinstance(info.value, ValueError)


def test_validate_rechecks_after_mutation() -> None:
    box = BoxAnnotation("car", 0, 0, 1, 1, "img")
    box.x = math.nan
    with pytest.raises(ValidationError, match="x"):
        box.validate()
    item = DatasetItem("s3://b/1.jpg", "img")
    item.reference_id = None  # type: ignore[assignment]
    with pytest.raises(ValidationError, match="reference_id"):
        item.validate()


def test_metadata_reset_to_none_is_sent_as_empty_dict() -> None:
    box = BoxAnnotation("car", 0, 0, 1, 1, "img")
    box.metadata = None  # type: ignore[assignment]
    box.validate()
    assert box.to_payload()["metadata"] == {}


def test_numpy_like_numbers_are_converted() -> None:
    class Real(float):
        pass

    box = BoxAnnotation("car", Real(1.5), 0, 1, 1, "img")
    assert type(box.x) is float


def test_segment_from_dict_is_converted() -> None:
    seg = SegmentationAnnotation("s3://m.png", [{"label": "a", "index": 1}], "img")  # type: ignore[list-item]
    assert seg.annotations == [Segment("a", 1)]


def test_local_mask_must_exist(tmp_path: Path) -> None:
    missing = SegmentationAnnotation(str(tmp_path / "nope.png"), [], "img")
    with pytest.raises(FileNotFoundError):
        missing.has_local_files_to_upload()
    present = tmp_path / "mask.png"
    present.write_bytes(b"png")
    assert SegmentationAnnotation(str(present), [], "img").has_local_files_to_upload()
    assert not SegmentationAnnotation("s3://b/m.png", [], "img").has_local_files_to_upload()
    assert not BoxAnnotation("car", 0, 0, 1, 1, "img").has_local_files_to_upload()


@pytest.mark.parametrize(
    ("location", "local"),
    [
        ("https://x/1.jpg", False),
        ("http://x/1.jpg", False),
        ("s3://b/1.jpg", False),
        ("gs://b/1.jpg", False),
        ("gcs://b/1.jpg", True),
        ("az://c/1.jpg", True),
        ("/tmp/1.jpg", True),
        ("1.jpg", True),
        ("C:\\images\\1.jpg", True),
    ],
)
def test_is_local(location: str, local: bool) -> None:
    assert is_local_path(location) is local
    assert DatasetItem(location, "r").is_local is local


def test_duplicate_annotations_are_refused() -> None:
    boxes = [BoxAnnotation("car", 0, 0, 1, 1, "img"), BoxAnnotation("car", 0, 0, 1, 1, "img")]
    with pytest.raises(DuplicateIDError) as info:
        check_duplicate_ids(boxes)
    assert info.value.obj == "img"
    # the task id is part of an annotation's identity
    check_duplicate_ids(
        [
            BoxAnnotation("c", 0, 0, 1, 1, "img", "a", _task_id="1"),
            BoxAnnotation("c", 0, 0, 1, 1, "img", "a"),
        ]
    )


def test_duplicate_predictions_use_annotation_and_reference_id() -> None:
    predictions = [
        BoxPrediction("car", 0, 0, 1, 1, "img", 0.1),
        BoxPrediction("car", 0, 0, 1, 1, "img", 0.2),
    ]
    assert predictions[0].duplicate_key() == ("car-0-0-1-1-img", "img")
    with pytest.raises(DuplicateIDError):
        check_duplicate_ids(predictions, predictions=True)


def test_categories_are_never_duplicates() -> None:
    cats = [CategoryPrediction("a", "img"), CategoryPrediction("a", "img")]
    check_duplicate_ids(cats, predictions=True)


def test_duplicate_ids_are_found_beside_an_id_that_is_not_a_string() -> None:
    from nucleus_async._upload.items import check_duplicate_reference_ids

    # Found by test_bad_input_properties: a list id crashed the count with a TypeError. It is
    # left to the per-item check, which names its field; string duplicates are still found.
    odd = DatasetItem(image_location="s3://b/x.jpg", reference_id="x")
    odd.reference_id = ["r"]  # type: ignore[assignment]  # changed after it was checked
    twice = [DatasetItem(image_location=f"s3://b/{i}.jpg", reference_id="a") for i in range(2)]
    with pytest.raises(DuplicateIDError, match="'a'"):
        check_duplicate_reference_ids([odd, *twice])
