"""Every public member of the official client's classes that users touch exists in nucleus_sync.

The official client 0.18.4 is installed as a dev dependency; its classes are read at test time,
so a member it has and ``nucleus_sync`` lacks fails here, unless listed in ``EXCLUDED`` with
the reason it cannot or should not be offered.
"""

from __future__ import annotations

import dataclasses

import attrs
import pytest

import nucleus_sync

nucleus = pytest.importorskip("nucleus")

#: The classes users touch: the client, the resources, and the data types.
CLASSES = [
    "NucleusClient",
    "Dataset",
    "Model",
    "ModelRun",
    "Slice",
    "AsyncJob",
    "DatasetItem",
    "DatasetInfo",
    "LidarScene",
    "VideoScene",
    "Frame",
    "Segment",
    "Point",
    "Point3D",
    "Quaternion",
    "CameraParams",
    "Keypoint",
    "BoxAnnotation",
    "LineAnnotation",
    "PolygonAnnotation",
    "KeypointsAnnotation",
    "CuboidAnnotation",
    "CategoryAnnotation",
    "MultiCategoryAnnotation",
    "SceneCategoryAnnotation",
    "SegmentationAnnotation",
    "BoxPrediction",
    "LinePrediction",
    "PolygonPrediction",
    "KeypointsPrediction",
    "CuboidPrediction",
    "CategoryPrediction",
    "SceneCategoryPrediction",
    "SegmentationPrediction",
]

#: Members deliberately not offered, each with its reason (keep this list short).
EXCLUDED = {
    # Other Scale products or services the SDK does not wrap.
    ("NucleusClient", "download_pointcloud_task"): "Scale labeling tasks (another product)",
    ("NucleusClient", "download_pointcloud_tasks"): "Scale labeling tasks (another product)",
    ("Dataset", "deduplicate"): "the deduplication service (not in the protocol reference)",
    ("Dataset", "deduplicate_by_ids"): "the deduplication service (not in the protocol reference)",
    ("Dataset", "upload_lidar_semseg_predictions"): "lidar semantic segmentation service",
    ("Dataset", "items_and_annotation_chip_generator"): "image chipping service",
    ("Dataset", "query_objects"): "object search service (not in the protocol reference)",
    ("Dataset", "query_scenes"): "scene search service (not in the protocol reference)",
    ("Dataset", "scene_and_annotation_generator"): "scene export pages (not in the reference)",
    ("Slice", "export_raw_json"): "object-slice JSON export (not in the protocol reference)",
    # Shapes of the official implementation, not of its API.
    ("AsyncJob", "client"): "resources hold the client's session, never the client itself",
    ("DatasetInfo", "*pydantic"): "pydantic model machinery (Config, dict, json, parse_obj, …)",
}

#: The pydantic ``BaseModel`` members ``DatasetInfo`` inherits in the official client.
PYDANTIC = {
    "Config",
    "coerce_null_tags",
    "construct",
    "copy",
    "dict",
    "from_orm",
    "json",
    "parse_file",
    "parse_obj",
    "parse_raw",
    "schema",
    "schema_json",
    "update_forward_refs",
    "validate",
}


def official_members(cls: type) -> set[str]:
    names = {name for name in dir(cls) if not name.startswith("_")}
    if dataclasses.is_dataclass(cls):
        names |= {f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")}
    names |= {name for name in getattr(cls, "__fields__", {}) if not name.startswith("_")}
    return names


def our_members(cls: type) -> set[str]:
    names = set(dir(cls))
    if attrs.has(cls):
        names |= set(attrs.fields_dict(cls))
    return names


@pytest.mark.parametrize("name", CLASSES)
def test_every_official_member_exists_in_nucleus_sync(name: str) -> None:
    theirs = getattr(nucleus, name)
    ours = getattr(nucleus_sync, name, None)
    assert isinstance(ours, type), f"nucleus_sync.{name} is missing"
    excluded = {member for (cls, member) in EXCLUDED if cls == name}
    if (name, "*pydantic") in EXCLUDED:
        excluded |= PYDANTIC
    missing = sorted(official_members(theirs) - our_members(ours) - excluded)
    assert not missing, f"nucleus_sync.{name} lacks {missing}"


def test_the_exclusions_name_members_the_official_client_has() -> None:
    for cls, member in EXCLUDED:
        if member.startswith("*"):
            continue
        assert member in official_members(getattr(nucleus, cls)), (cls, member)
