"""Rows become SDK objects through the documented column mapping, and bad rows are named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nucleus_async import (
    BoxAnnotation,
    BoxPrediction,
    CategoryAnnotation,
    DatasetItem,
    PolygonAnnotation,
    ValidationError,
)
from nucleus_ray._mapping import RowMapper


def one(mapper: RowMapper, row: dict[str, Any]) -> Any:
    seen: list[str] = []
    (unit,) = mapper.map([row], seen)
    return unit


def test_item_columns_make_a_dataset_item_with_json_metadata() -> None:
    row = {"reference_id": "a", "image_location": "s3://b/a.jpg", "metadata": '{"k": 1}'}

    assert one(RowMapper("items"), row) == DatasetItem("s3://b/a.jpg", "a", {"k": 1})


def test_columns_rename_fields() -> None:
    mapper = RowMapper("items", columns={"reference_id": "key", "image_location": "url"})

    item = one(mapper, {"key": "a", "url": "s3://b/a.jpg", "width": 4, "height": 3})

    assert (item.reference_id, item.image_location, item.width) == ("a", "s3://b/a.jpg", 4)


def test_box_columns_make_a_box_annotation() -> None:
    row = {"reference_id": "a", "label": "car", "x": 1, "y": 2, "width": 3, "height": 4}
    row["annotation_id"] = "b1"

    assert one(RowMapper("annotations"), row) == BoxAnnotation("car", 1, 2, 3, 4, "a", "b1")


def test_prediction_box_columns_carry_confidence() -> None:
    row = {"reference_id": "a", "label": "car", "x": 1, "y": 2, "width": 3, "height": 4}

    prediction = one(RowMapper("predictions"), {**row, "confidence": 0.5})

    assert isinstance(prediction, BoxPrediction) and prediction.confidence == 0.5


def test_category_columns_make_a_category_annotation() -> None:
    row = {"type": "category", "reference_id": "a", "label": "day", "taxonomy_name": "time"}

    assert one(RowMapper("annotations"), row) == CategoryAnnotation("day", "a", "time")


def test_payload_column_takes_any_type_in_wire_json() -> None:
    polygon = PolygonAnnotation("lake", [], "a", annotation_id="p1")

    assert one(RowMapper("annotations"), {"payload": polygon.to_json()}) == polygon


def test_row_mapper_function_replaces_the_mapping() -> None:
    mapper = RowMapper("items", row_mapper=lambda r: DatasetItem(f"s3://b/{r['n']}", str(r["n"])))

    assert one(mapper, {"n": 7}).reference_id == "7"


def test_map_records_every_reference_id_in_order() -> None:
    seen: list[str] = []
    rows = [{"reference_id": r, "image_location": "s3://b/x.jpg"} for r in "abc"]

    list(RowMapper("items").map(rows, seen))

    assert seen == ["a", "b", "c"]


def test_invalid_row_raises_the_sdk_error_naming_row_and_reference_id() -> None:
    rows = [
        {"reference_id": "ok", "image_location": "s3://b/1.jpg"},
        {"reference_id": "bad", "image_location": "s3://b/2.jpg", "width": -1},
    ]

    with pytest.raises(ValidationError) as caught:
        list(RowMapper("items").map(rows, []))

    assert "row 1 of the block" in str(caught.value)
    assert "bad" in str(caught.value) and "width" in str(caught.value)


def test_missing_required_column_names_the_row() -> None:
    with pytest.raises(ValidationError, match=r"\[r9\] row 0 of the block: .*label"):
        one(RowMapper("annotations"), {"reference_id": "r9", "x": 1})


def test_polygon_without_annotation_id_is_refused_as_not_retry_safe() -> None:
    polygon = PolygonAnnotation("lake", [], "a")

    with pytest.raises(ValidationError, match=r"annotation_id.*idempotent"):
        one(RowMapper("annotations"), {"payload": json.loads(polygon.to_json())})


def test_unknown_flat_type_points_to_payload_or_row_mapper() -> None:
    with pytest.raises(ValidationError, match=r"payload.*row_mapper"):
        one(RowMapper("annotations"), {"type": "cuboid", "reference_id": "a"})


def test_an_annotation_is_refused_in_a_predictions_write() -> None:
    box = BoxAnnotation("car", 1, 2, 3, 4, "a", "b1")

    with pytest.raises(ValidationError, match="needs Prediction objects"):
        one(RowMapper("predictions", row_mapper=lambda r: box), {"reference_id": "a"})


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind must be"):
        RowMapper("scenes")  # type: ignore[arg-type]
