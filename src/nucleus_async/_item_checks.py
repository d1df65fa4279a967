"""Checks of items before an asynchronous append: remote locations, sizes in privacy mode."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ._errors import ValidationError
from ._iterables import AnyIterable, map_each
from ._upload import LineEncoding, check_duplicate_reference_ids, is_local_item
from ._wire.item_text import plain_items_lines
from ._wire.payloads import bulk_payload
from .types import DatasetItem
from .types.base import seen_keys

__all__ = ["async_item_lines", "async_items", "check_async_items"]


def check_async_items(items: Iterable[Any], *, privacy_mode: bool) -> list[DatasetItem]:
    """The items as a list, each valid, remote, sized if ``privacy_mode``, ids unique.

    An asynchronous append hands the service a file of item payloads to fetch from: it has
    no way to receive local files, and cannot measure images it may not read.
    """
    item_list = list(items)
    for item in item_list:
        _check_async_item(item, privacy_mode)
    check_duplicate_reference_ids(item_list)
    return item_list


def _check_async_item(item: Any, privacy_mode: bool) -> None:
    if not isinstance(item, DatasetItem):
        raise ValidationError(f"expected DatasetItem, got {type(item).__name__}", field="items")
    item.validate()
    if is_local_item(item):
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


def async_items(items: AnyIterable[Any], *, privacy_mode: bool) -> AnyIterable[DatasetItem]:
    """The items of an asynchronous append, each checked as :func:`check_async_items`.

    A list is checked whole before the first line; a stream item by item as it is read
    (a sync stream stays sync: no async generator step per item), remembering the hash of each
    reference id (not the id: a million ids would be ~60 MB, their hashes ~30 MB), so a
    repeated id is refused without keeping the stream's items alive. (Two distinct ids share
    a 64-bit hash with odds of ~1 in 30 million for a million items.)
    """
    if isinstance(items, Sequence):
        return check_async_items(items, privacy_mode=privacy_mode)
    seen = seen_keys()

    def checked(item: Any) -> DatasetItem:
        _check_async_item(item, privacy_mode)
        key = hash(item.reference_id)
        if key in seen:
            raise _repeated(item)
        seen[key] = None
        return item  # type: ignore[no-any-return]

    return map_each(checked, items)


def async_item_lines() -> LineEncoding:
    """How checked items become the lines of an asynchronous append: plain items written
    directly (:func:`~._wire.item_text.plain_items_lines`), any other through its payload."""
    return LineEncoding(payload=bulk_payload(), text=plain_items_lines)


def _repeated(item: DatasetItem) -> ValidationError:
    return ValidationError(
        "Duplicate reference IDs found among dataset_items",
        field="reference_id",
        obj=item.reference_id,
    )
