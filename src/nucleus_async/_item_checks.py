"""Checks of items before an asynchronous append: remote locations, sizes in privacy mode."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._errors import ValidationError
from ._upload import check_duplicate_reference_ids
from .types import DatasetItem

__all__ = ["check_async_items"]


def check_async_items(items: Iterable[Any], *, privacy_mode: bool) -> list[DatasetItem]:
    """The items as a list, each valid, remote, sized if ``privacy_mode``, ids unique.

    An asynchronous append hands the service a file of item payloads to fetch from: it has
    no way to receive local files, and cannot measure images it may not read.
    """
    item_list = list(items)
    for item in item_list:
        if not isinstance(item, DatasetItem):
            raise ValidationError(f"expected DatasetItem, got {type(item).__name__}", field="items")
        item.validate()
        if item.is_local:
            raise ValidationError(
                "asynchronous uploads need remote locations (http, https, s3, gs); "
                f"{item.image_location!r} is a local path",
                field="image_location",
                obj=item.reference_id,
            )
        if privacy_mode and (not item.width or not item.height):
            raise ValidationError(
                "privacy-mode datasets need width and height",
                field="width/height",
                obj=item.reference_id,
            )
    check_duplicate_reference_ids(item_list)
    return item_list
