"""mkdocs hook: a resource's methods on its reference page, the most used first, the rest by topic.

A page asks for the layout with a marker line, which this hook replaces by one heading per
topic and one mkdocstrings directive per method::

    <!-- methods-by-topic nucleus_async.Dataset heading_level=2 -->

``heading_level`` is the topics' level; methods sit one level below. The same table serves
``nucleus_async`` and ``nucleus_sync``, whose classes have the same method names.
``tests/docs/`` checks that every public method of each class lands on its page.
"""

from __future__ import annotations

import re
from typing import Any

#: Per class name: topic title → method names, in reading order. The first topic holds what
#: most users call; the rest follow the order of the official client's documentation.
TOPICS: dict[str, dict[str, list[str]]] = {
    "Dataset": {
        "Most used": [
            "append",
            "annotate",
            "upload_predictions",
            "items_generator",
            "info",
            "create_slice",
        ],
        "Items": [
            "refloc",
            "iloc",
            "loc",
            "query_items",
            "update_item_metadata",
            "delete_item",
        ],
        "Scenes": [
            "get_scene",
            "get_scene_from_item_ref_id",
            "update_scene_metadata",
            "delete_scene",
        ],
        "Ground truth": [
            "ground_truth_loc",
            "items_and_annotations",
            "items_and_annotation_generator",
            "delete_annotations",
            "delete_tracks",
            "add_taxonomy",
            "delete_taxonomy",
        ],
        "Predictions and evaluation": [
            "prediction_loc",
            "predictions_iloc",
            "predictions_refloc",
            "export_predictions",
            "calculate_evaluation_metrics",
        ],
        "Slices": ["build_slice", "get_slices", "slices"],
        "Indexes and embeddings": [
            "create_image_index",
            "create_object_index",
            "get_image_indexing_status",
            "get_object_indexing_status",
            "create_custom_index",
            "delete_custom_index",
            "set_primary_index",
            "set_continuous_indexing",
            "export_embeddings",
        ],
        "Autotags": ["list_autotags", "autotag_items", "autotag_training_items", "update_autotag"],
        "Jobs and Scale tasks": ["jobs", "ingest_tasks", "export_scale_task_info"],
    },
}

MARKER = re.compile(
    r"^<!-- methods-by-topic (?P<path>[\w.]+) heading_level=(?P<level>[1-5]) -->$", re.MULTILINE
)


class UnknownClassError(ValueError):
    """A marker names a class the topic table does not list."""


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace each ``methods-by-topic`` marker by the class's methods, grouped by topic."""
    return MARKER.sub(lambda match: _layout(match["path"], int(match["level"])), markdown)


def _layout(path: str, level: int) -> str:
    class_name = path.rsplit(".", 1)[-1]
    if class_name not in TOPICS:
        raise UnknownClassError(f"no topics for {path}: add them to TOPICS in {__file__}")
    blocks = []
    for title, methods in TOPICS[class_name].items():
        blocks.append(f"{'#' * level} {title}\n")
        blocks.extend(
            f"::: {path}.{method}\n    options:\n      heading_level: {level + 1}\n"
            for method in methods
        )
    return "\n".join(blocks)
