"""The console tests' upload (images stored in the emulator, remote items, ground truth of
every drawable kind, one model's predictions, a slice, a mask, metadata) and their keys."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

import nucleus_sync as nucleus
from nucleus_emulator import Emulator

KEY = "console-owner-key"
OTHER_KEY = "console-other-key"

#: The stored image every drawing test looks at, and its size.
STREET = "street"
STREET_SIZE = (320, 240)
#: Ground-truth boxes on STREET: (label, x, y, width, height).
TRUTH_BOXES = [("car", 40, 120, 110, 60), ("person", 210, 60, 36, 110)]
#: Predicted boxes on STREET (model "detector").
PREDICTED_BOXES = [("car", 46, 116, 104, 66), ("person", 204, 66, 40, 100)]
LOCAL_REFS = [STREET, "park", "square", "bridge"]
REMOTE_REFS = ["remote-1", "remote-2"]
SLICE_REFS = [STREET, "park", "remote-1"]


@dataclass(frozen=True)
class Sample:
    dataset_id: str
    model_id: str
    slice_id: str
    items: int
    annotations: int
    predictions: int


def _image(path: Path, hue: int) -> Path:
    image = Image.new("RGB", STREET_SIZE, (90 + hue % 60, 110, 130 + hue % 90))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 170, 320, 240), fill=(70, 70, 75))  # a road
    draw.rectangle((42, 122, 148, 178), fill=(200, 40 + hue % 100, 40))  # a car
    draw.ellipse((214, 62, 240, 88), fill=(240, 200, 160))  # a head
    draw.rectangle((216, 88, 238, 168), fill=(40, 60, 160))  # a body
    image.save(path)
    return path


def _mask(path: Path) -> Path:
    mask = Image.new("L", STREET_SIZE, 0)
    ImageDraw.Draw(mask).rectangle((0, 170, 320, 240), fill=1)  # segment 1: the road
    mask.save(path)
    return path


def upload_sample(client: nucleus.NucleusClient, folder: Path) -> Sample:
    """Upload the sample through the SDK; returns its ids and expected counts."""
    dataset = client.create_dataset("street scenes", is_scene=False)
    items = [
        nucleus.DatasetItem(
            image_location=str(_image(folder / f"{ref}.png", 37 * i)),
            reference_id=ref,
            metadata={"camera": "front" if i % 2 == 0 else "rear", "index": i},
        )
        for i, ref in enumerate(LOCAL_REFS)
    ]
    items += [
        nucleus.DatasetItem(image_location=f"s3://bucket/{ref}.jpg", reference_id=ref)
        for ref in REMOTE_REFS
    ]
    dataset.append(items)
    truth: list[object] = [
        nucleus.BoxAnnotation(label, x, y, w, h, STREET, annotation_id=f"gt-{label}")
        for label, x, y, w, h in TRUTH_BOXES
    ]
    truth += [
        nucleus.PolygonAnnotation(
            "sign",
            [nucleus.Point(270, 20), nucleus.Point(300, 20), nucleus.Point(285, 50)],
            STREET,
            annotation_id="gt-sign",
        ),
        nucleus.LineAnnotation(
            "lane",
            [nucleus.Point(0, 205), nucleus.Point(160, 200), nucleus.Point(320, 210)],
            STREET,
            annotation_id="gt-lane",
        ),
        nucleus.KeypointsAnnotation(
            "pose",
            [nucleus.Keypoint(227, 75), nucleus.Keypoint(227, 120), nucleus.Keypoint(220, 165)],
            ["head", "hip", "foot"],
            STREET,
            skeleton=[[0, 1], [1, 2]],
            annotation_id="gt-pose",
        ),
        nucleus.CategoryAnnotation("daytime", STREET),
        nucleus.BoxAnnotation("car", 30, 100, 90, 70, "park", annotation_id="gt-car"),
        nucleus.SegmentationAnnotation(
            str(_mask(folder / "street-mask.png")), [nucleus.Segment("road", 1)], STREET
        ),
    ]
    dataset.annotate(truth)
    model = client.create_model("detector", "detector-v1")
    dataset.upload_predictions(
        model,
        [
            nucleus.BoxPrediction(
                label, x, y, w, h, STREET, confidence=0.9, annotation_id=f"p-{label}"
            )
            for label, x, y, w, h in PREDICTED_BOXES
        ],
    )
    created = dataset.create_slice("first picks", SLICE_REFS)
    return Sample(
        dataset_id=dataset.id,
        model_id=model.id,
        slice_id=created.id,
        items=len(items),
        annotations=len(truth),
        predictions=len(PREDICTED_BOXES),
    )


@dataclass(frozen=True)
class Uploaded:
    """A served emulator after KEY's upload of the sample."""

    emulator: Emulator
    endpoint: str
    console: str
    sample: Sample


def screenshots_folder(default: Path) -> Path:
    """Where the browser tests save their screenshots: `NUCLEUS_CONSOLE_SCREENSHOTS` when set
    (docs/emulator.md says how to refresh the docs' copies), else `default`."""
    chosen = os.environ.get("NUCLEUS_CONSOLE_SCREENSHOTS")
    return Path(chosen) if chosen else default
