"""``upload_to_scale``, the reference's privacy-mode flag, on ``DatasetItem`` and ``VideoScene``.

The official client 0.18.4 names the scene's flag ``use_privacy_mode`` and sends its inverse as
``upload_to_scale``; items have no flag there. Payloads are compared with the official client's.
"""

from __future__ import annotations

import json
from typing import Any

import nucleus
import pytest

import nucleus_async.types as ours
from nucleus_async import ValidationError


def _frames(module: Any) -> list[Any]:
    return [
        module.DatasetItem(
            image_location=f"s3://b/{i}.jpg", reference_id=f"f_{i}", width=4, height=3
        )
        for i in range(2)
    ]


def _scene_payloads(mine: ours.VideoScene, theirs: nucleus.VideoScene) -> None:
    assert json.dumps(mine.to_payload()) == json.dumps(theirs.to_payload())
    assert mine.to_json() == theirs.to_json()


@pytest.mark.parametrize("upload_to_scale", [False, True])
def test_a_scene_built_with_upload_to_scale_sends_the_official_privacy_payload(
    upload_to_scale: bool,
) -> None:
    video = "s3://b/v.mp4" if not upload_to_scale else None
    mine = ours.VideoScene(
        "v",
        24,
        video,
        _frames(ours),
        upload_to_scale=upload_to_scale,
    )
    theirs = nucleus.VideoScene(
        "v", 24, video, _frames(nucleus), use_privacy_mode=not upload_to_scale
    )
    _scene_payloads(mine, theirs)


def test_upload_to_scale_false_is_privacy_mode() -> None:
    scene = ours.VideoScene("v", video_location="s3://b/v.mp4", upload_to_scale=False)
    assert scene.use_privacy_mode is True
    assert scene.upload_to_scale is False


def test_upload_to_scale_follows_use_privacy_mode_set_later() -> None:
    scene = ours.VideoScene("v", video_location="s3://b/v.mp4")
    assert scene.upload_to_scale is True
    scene.use_privacy_mode = True  # what Dataset.append does for a privacy-mode dataset
    assert scene.upload_to_scale is False
    assert scene.to_payload()["upload_to_scale"] is False


def test_setting_upload_to_scale_sets_use_privacy_mode() -> None:
    scene = ours.VideoScene("v", video_location="s3://b/v.mp4")
    scene.upload_to_scale = False
    assert scene.use_privacy_mode is True


def test_a_scene_with_use_privacy_mode_still_matches_the_official_payload() -> None:
    mine = ours.VideoScene("v", 24, "s3://b/v.mp4", _frames(ours), use_privacy_mode=True)
    theirs = nucleus.VideoScene("v", 24, "s3://b/v.mp4", _frames(nucleus), use_privacy_mode=True)
    _scene_payloads(mine, theirs)


def test_contradicting_flags_are_refused() -> None:
    with pytest.raises(ValidationError, match="upload_to_scale"):
        ours.VideoScene(
            "v", video_location="s3://b/v.mp4", use_privacy_mode=True, upload_to_scale=True
        )


def test_upload_to_scale_does_not_change_scene_equality() -> None:
    plain = ours.VideoScene("v", video_location="s3://b/v.mp4")
    private = ours.VideoScene("v", video_location="s3://b/v.mp4", upload_to_scale=False)
    assert plain == private


def test_an_item_without_upload_to_scale_sends_the_official_payload() -> None:
    mine = ours.DatasetItem("s3://b/1.jpg", "1", {"k": 1}, width=4, height=3)
    theirs = nucleus.DatasetItem("s3://b/1.jpg", "1", {"k": 1}, width=4, height=3)
    assert mine.upload_to_scale is None
    for is_scene in (False, True):
        assert json.dumps(mine.to_payload(is_scene)) == json.dumps(theirs.to_payload(is_scene))
    assert mine.to_json() == theirs.to_json()


@pytest.mark.parametrize("flag", [False, True])
def test_an_item_with_upload_to_scale_sends_it(flag: bool) -> None:
    item = ours.DatasetItem("s3://b/1.jpg", "1", width=4, height=3, upload_to_scale=flag)
    assert item.to_payload() == {
        "metadata": {},
        "reference_id": "1",
        "width": 4,
        "height": 3,
        "upload_to_scale": flag,
        "image_url": "s3://b/1.jpg",
    }


def test_an_item_kept_from_scale_needs_its_size() -> None:
    with pytest.raises(ValidationError, match="width and height") as caught:
        ours.DatasetItem("s3://b/1.jpg", "1", upload_to_scale=False)
    assert caught.value.field == "upload_to_scale"


def test_only_images_can_skip_the_upload_to_scale() -> None:
    with pytest.raises(ValidationError, match="only implemented for images"):
        ours.DatasetItem(
            pointcloud_location="s3://b/1.json", reference_id="1", upload_to_scale=False
        )


def test_upload_to_scale_must_be_a_bool() -> None:
    with pytest.raises(ValidationError, match="must be a bool"):
        ours.DatasetItem("s3://b/1.jpg", "1", upload_to_scale="no")  # type: ignore[arg-type]


def test_upload_to_scale_does_not_change_item_equality() -> None:
    kept = ours.DatasetItem("s3://b/1.jpg", "1", width=4, height=3, upload_to_scale=False)
    assert kept == ours.DatasetItem("s3://b/1.jpg", "1", width=4, height=3)
