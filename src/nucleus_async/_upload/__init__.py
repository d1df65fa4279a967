"""Bulk uploads: the one pipeline and the kinds it carries (items, annotations, scenes, NDJSON).

The resources call only the names re-exported here. They are re-exported with ``as`` rather
than listed in ``__all__``: ``tools/generate_sync.py`` takes the ``__all__`` of every
subpackage as public API, and these are internals.
"""

from __future__ import annotations

from .annotations import AnnotationUploader as AnnotationUploader
from .items import ItemUploader as ItemUploader
from .items import check_duplicate_reference_ids as check_duplicate_reference_ids
from .items import is_local_item as is_local_item
from .journal import BatchJournal as BatchJournal
from .scenes import upload_scenes as upload_scenes
from .scenes import validate_scenes as validate_scenes
from .signed import LineEncoding as LineEncoding
from .signed import upload_ndjson as upload_ndjson
