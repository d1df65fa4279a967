"""Scenes and frames: local structure methods and their validation."""

from __future__ import annotations

import pytest

from nucleus_async._errors import ValidationError
from nucleus_async.types import DatasetItem, Frame, LidarScene, VideoScene


def _pc(i: int) -> DatasetItem:
    return DatasetItem(pointcloud_location=f"s3://b/{i}.json", reference_id=f"pc{i}")


def _img(i: int) -> DatasetItem:
    return DatasetItem(f"s3://b/{i}.jpg", f"img{i}")


def test_frame_access() -> None:
    frame = Frame(lidar=_pc(0), cam=_img(0))
    assert frame.get_sensors() == ["lidar", "cam"]
    assert frame.get_item("cam") == _img(0)
    assert frame.get_items() == [_pc(0), _img(0)]
    with pytest.raises(ValidationError, match="does not have a radar sensor"):
        frame.get_item("radar")


def test_frame_refuses_duplicate_reference_ids_and_non_items() -> None:
    with pytest.raises(ValidationError, match="Duplicate reference IDs"):
        Frame(a=_img(0), b=_img(0))
    with pytest.raises(ValidationError, match="DatasetItems"):
        Frame(a="s3://x.jpg")  # type: ignore[arg-type]


def test_empty_scene_can_be_filled_later() -> None:
    scene = LidarScene("s")
    scene.add_item(0, "lidar", _pc(0))
    scene.add_frame(Frame(lidar=_pc(1), cam=_img(1)), 1)
    scene.add_frame(Frame(lidar=_pc(9)), 1)  # ignored without update
    assert scene.get_item(1, "lidar") == _pc(1)
    scene.add_frame(Frame(lidar=_pc(2)), 1, update=True)
    assert scene.get_item(1, "lidar") == _pc(2)
    assert scene.info() == {"reference_id": "s", "length": 2, "num_sensors": 2}
    assert scene.get_items_from_sensor("cam") == [None, None]
    assert [f.get_sensors() for f in scene.get_frames()] == [["lidar"], ["lidar"]]
    assert scene.frames == scene.get_frames()
    scene.validate()


def test_get_items_from_unknown_sensor() -> None:
    scene = LidarScene("s", [Frame(lidar=_pc(0))])
    with pytest.raises(ValidationError, match="radar"):
        scene.get_items_from_sensor("radar")
    with pytest.raises(ValidationError, match="index 5"):
        scene.get_frame(5)


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ([Frame(cam=_img(0))], "exactly 1 pointcloud"),
        ([Frame(a=_pc(0), b=_pc(1))], "exactly 1 pointcloud"),
        ([Frame(a=_pc(0)), Frame(b=_pc(1))], "exactly one lidar sensor"),
        ([Frame(a=_pc(0), c=_img(0)), Frame(a=_pc(1), c=_img(0))], "Duplicate reference IDs"),
    ],
)
def test_lidar_scene_rules(frames: list[Frame], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        LidarScene("s", frames)
    assert info.value.obj == "s"
    LidarScene("s", frames, skip_validate=True)  # allowed, checked before upload


def test_lidar_scene_needs_frames_and_contiguous_indexes() -> None:
    with pytest.raises(ValidationError, match="at least 1 frame"):
        LidarScene("s").validate()
    scene = LidarScene("s", [Frame(lidar=_pc(0))])
    scene.add_frame(Frame(lidar=_pc(2)), 2)
    with pytest.raises(ValidationError, match="continuous"):
        scene.to_payload()


def test_video_scene_items() -> None:
    video = VideoScene("v", 10)
    video.add_item(_img(0))
    video.add_item(_img(1))
    video.add_item(_img(2), 1, update=True)
    assert video.get_items() == [_img(0), _img(2)]
    assert video.get_item(1) == _img(2)
    assert video.info() == {"reference_id": "v", "frame_rate": 10, "length": 2}
    with pytest.raises(ValidationError, match="contiguous"):
        video.add_item(_img(5), 7)
    with pytest.raises(ValidationError, match="index 2"):
        video.get_item(2)


@pytest.mark.parametrize(
    ("scene", "field"),
    [
        (VideoScene("v"), "items"),
        (VideoScene("v", None, items=[DatasetItem("s3://b/1.jpg", "a")]), "frame_rate"),
        (VideoScene("v", 0, items=[DatasetItem("s3://b/1.jpg", "a")]), "frame_rate"),
        (VideoScene("v", 5, "s3://v.mp4", [DatasetItem("s3://b/1.jpg", "a")]), "video_location"),
        (VideoScene("v", 5, items=[_pc(0)]), "items[0]"),
        (VideoScene("v", 5, "s3://v.mp4"), "frame_rate"),
    ],
)
def test_video_scene_rules(scene: VideoScene, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        scene.to_payload()
    assert info.value.field == field


def test_video_location_blocks_items_outside_privacy_mode() -> None:
    with pytest.raises(ValidationError, match="without items"):
        VideoScene("v", video_location="s3://v.mp4").add_item(_img(0))
    private = VideoScene("v", 5, "s3://v.mp4", use_privacy_mode=True)
    private.add_item(_img(0))
    assert private.to_payload()["upload_to_scale"] is False


def test_attachment_type_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning):
        VideoScene("v", video_location="s3://v.mp4", attachment_type="video")
