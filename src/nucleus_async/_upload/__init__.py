"""Bulk uploads: the one pipeline and the kinds it carries (items, annotations, scenes, NDJSON).

The resources call only the names exported here.
"""

from __future__ import annotations

from .annotations import AnnotationUploader
from .items import ItemUploader, check_duplicate_reference_ids
from .scenes import upload_scenes, validate_scenes
from .signed import upload_ndjson

__all__ = [
    "AnnotationUploader",
    "ItemUploader",
    "check_duplicate_reference_ids",
    "upload_ndjson",
    "upload_scenes",
    "validate_scenes",
]
