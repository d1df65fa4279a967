"""Read leniently, write strictly: what the service sends is read; what code builds is checked."""

from __future__ import annotations

from typing import Any

import pytest

import nucleus_async as nucleus

BOX = {"type": "box", "geometry": {"x": 0, "y": 0, "width": 10, "height": 5}, "reference_id": "r"}


@pytest.mark.parametrize(
    ("cls", "payload"),
    [
        (nucleus.BoxPrediction, {**BOX, "label": "car", "confidence": 1.5}),
        (nucleus.BoxAnnotation, {**BOX, "label": 7}),
        (nucleus.CategoryPrediction, {"label": 3, "reference_id": "r", "confidence": 2}),
        (nucleus.DatasetItem, {"image_url": "s3://b/1.jpg", "reference_id": "r", "width": 10.5}),
    ],
    ids=["confidence above 1", "numeric label", "numeric category", "float width"],
)
def test_service_data_the_official_client_reads_is_read(cls: Any, payload: Any) -> None:
    assert isinstance(cls.from_json(payload), cls)


def test_an_empty_embedding_info_reads_as_none() -> None:
    item = nucleus.DatasetItem.from_json(
        {"image_url": "s3://b/1.jpg", "reference_id": "r", "embedding_info": {}}
    )
    assert item.embedding_info is None


def test_an_unknown_annotation_type_is_kept() -> None:
    unknown = nucleus.annotation_from_json({"type": "hologram", "label": "x", "reference_id": "r"})
    assert isinstance(unknown, nucleus.UnknownAnnotation)


def test_objects_built_in_code_are_still_checked() -> None:
    with pytest.raises(nucleus.ValidationError, match="confidence"):
        nucleus.BoxPrediction("car", 0, 0, 10, 5, "r", confidence=1.5)
    with pytest.raises(nucleus.ValidationError, match="label"):
        nucleus.BoxAnnotation(7, 0, 0, 10, 5, "r")  # type: ignore[arg-type]


def test_a_read_object_can_be_checked_explicitly() -> None:
    read = nucleus.BoxPrediction.from_json({**BOX, "label": "car", "confidence": 1.5})
    with pytest.raises(nucleus.ValidationError, match="confidence"):
        read.validate()


def test_export_rows_group_by_type_in_a_defaultdict() -> None:
    from nucleus_async._exports import convert_export_row

    row = convert_export_row({"item": {"image_url": "s3://b/1.jpg", "reference_id": "r"}})
    assert row["annotations"]["box"] == []
