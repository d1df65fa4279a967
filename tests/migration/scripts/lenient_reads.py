"""A script written for the official client 0.18.4 that reads service-shaped data it stored."""

import os

import nucleus
from observe import observe

client = nucleus.NucleusClient(os.environ["NUCLEUS_API_KEY"])

# Shapes the service sends and the official client reads without complaint.
box = nucleus.BoxPrediction.from_json(
    {
        "label": "car",
        "type": "box",
        "geometry": {"x": 1, "y": 2, "width": 3.5, "height": 4},
        "reference_id": "r1",
        "annotation_id": "a1",
        "confidence": 1.25,
        "metadata": {},
    }
)
observe("confidence above 1", [box.confidence, box.width])
numeric = nucleus.BoxAnnotation.from_json(
    {
        "label": 7,
        "type": "box",
        "geometry": {"x": 0, "y": 0, "width": 1, "height": 1},
        "reference_id": "r1",
    }
)
observe("numeric label", numeric.label)
item = nucleus.DatasetItem.from_json(
    {
        "image_url": "https://example.com/1.jpg",
        "reference_id": "r1",
        "metadata": {"k": 1},
        "embedding_info": {},
    }
)
observe("item with empty embedding", [item.reference_id, item.metadata])
mask = nucleus.SegmentationAnnotation.from_json(
    {
        "mask_url": "https://example.com/m.png",
        "annotations": [{"label": "road", "index": 1}],
        "reference_id": "r1",
        "annotation_id": "m1",
    }
)
# The official class has no ``metadata`` attribute: generic code reads it with a default.
observe("segmentation", [getattr(mask, "metadata", None) or {}, mask.annotations[0].label])

# Stored and read back: a segmentation reads back whole.
dataset = client.create_dataset("masks", is_scene=False)
dataset.append([nucleus.DatasetItem(image_location="https://example.com/1.jpg", reference_id="r1")])
dataset.annotate([mask])
rows = dataset.items_and_annotations()
segmentation = rows[0]["annotations"]["segmentation"]
observe(
    "stored segmentation",
    [type(segmentation).__name__, [a.label for a in segmentation.annotations]],
)
