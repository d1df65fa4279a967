"""Items from a folder: the dataset items of every image file found below a directory."""

from __future__ import annotations

import os
from pathlib import Path

import anyio

from ._errors import ValidationError
from .types import DatasetItem

__all__ = ["GLOB_SIZE_THRESHOLD_CHECK", "existing_dirname", "folder_items"]

#: More files than this in one crawl needs ``skip_size_warning=True`` (a typo in a path can
#: otherwise upload a whole disk), as in the official client.
GLOB_SIZE_THRESHOLD_CHECK = 500


def existing_dirname(dirname: str) -> str:
    """``dirname`` with ``~`` expanded and a trailing separator; ``ValueError`` if missing."""
    path = os.path.join(os.path.expanduser(dirname), "")
    if not os.path.exists(path):
        raise ValueError(f"Given directory name: {dirname} does not exists. Searched in {path}")
    return path


def _relative_paths(dirname: str, allowed_file_types: tuple[str, ...]) -> list[str]:
    root = Path(dirname)
    found: list[str] = []
    for file_type in allowed_file_types:
        found += sorted(
            p.relative_to(root).as_posix() for p in root.rglob(f"*.{file_type}") if p.is_file()
        )
    return list(dict.fromkeys(found))


async def folder_items(
    dirname: str,
    allowed_file_types: tuple[str, ...],
    *,
    use_privacy_mode: bool,
    privacy_mode_proxy: str,
    skip_size_warning: bool,
) -> list[DatasetItem]:
    """One item per image file below ``dirname``, its path relative to it as reference id.

    The crawl runs in a worker thread (it reads the disk). In privacy mode the item points at
    ``privacy_mode_proxy`` joined with the relative path; the official client then reads each
    image's size with Pillow, which this SDK does not depend on, so privacy mode is refused.
    """
    if use_privacy_mode:
        raise ValidationError(
            "adding a folder to a privacy-mode dataset needs each image's width and height;"
            " build the DatasetItems with width, height and the proxy URL and append them",
            field="use_privacy_mode",
        )
    del privacy_mode_proxy  # only meaningful in privacy mode
    paths = await anyio.to_thread.run_sync(_relative_paths, dirname, allowed_file_types)
    if len(paths) > GLOB_SIZE_THRESHOLD_CHECK and not skip_size_warning:
        raise ValueError(
            f"Found over {GLOB_SIZE_THRESHOLD_CHECK} items in {dirname}. If this is intended,"
            " set skip_size_warning=True when calling this function."
        )
    return [
        DatasetItem(image_location=os.path.join(dirname, path), reference_id=path) for path in paths
    ]
