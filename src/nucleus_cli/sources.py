"""Ingest sources: the items of a folder of images or a JSONL manifest, each with its place.

A source is counted before it is read (a folder listing, a count of a manifest's lines), so
the progress bar can show a total; every item carries where it came from (``file:line`` for
a manifest row, the file for an image), so an error names the row to fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nucleus_async import DatasetItem, ValidationError

__all__ = [
    "IMAGE_SUFFIXES",
    "FolderSource",
    "LocatedItem",
    "ManifestSource",
    "SourceError",
    "open_source",
]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"})


class SourceError(ValueError):
    """A row of a source that is not a valid item; the message starts with ``file:line``."""


@dataclass(frozen=True)
class LocatedItem:
    """An item and where it came from (``manifest.jsonl:12`` or ``images/a.png``)."""

    item: DatasetItem
    where: str


class FolderSource:
    """The images under a folder (recursively, sorted); reference id = path relative to it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Listing first is what makes a total possible, and a listing is cheap.
        self._files = sorted(
            file
            for file in folder.rglob("*")
            if file.is_file() and file.suffix.lower() in IMAGE_SUFFIXES
        )

    def __len__(self) -> int:
        return len(self._files)

    def __iter__(self) -> Iterator[LocatedItem]:
        for file in self._files:
            item = DatasetItem(
                image_location=str(file), reference_id=file.relative_to(self.folder).as_posix()
            )
            yield LocatedItem(item, str(file))


class ManifestSource:
    """A JSONL manifest: one item payload a line, blank lines skipped.

    A line is ``{"reference_id": …, "image_url": …, "metadata": …}`` (``image_location`` is
    accepted for ``image_url``). A line that is not JSON, not a valid item, or repeats an
    earlier line's reference id raises :class:`SourceError` naming ``file:line``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as lines:
            self._count = sum(1 for line in lines if line.strip())

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[LocatedItem]:
        first_line: dict[str, int] = {}
        with self.path.open("rb") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                where = f"{self.path}:{number}"
                item = _parse_row(line, where)
                earlier = first_line.setdefault(item.reference_id, number)
                if earlier != number:
                    raise SourceError(
                        f"{where}: reference_id {item.reference_id!r} already on line {earlier}"
                    )
                yield LocatedItem(item, where)


def _parse_row(line: bytes, where: str) -> DatasetItem:
    try:
        entry = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{where}: not JSON ({exc})") from None
    if isinstance(entry, dict) and "image_location" in entry and "image_url" not in entry:
        entry["image_url"] = entry.pop("image_location")
    try:
        return DatasetItem.from_json(entry)
    except ValidationError as exc:
        raise SourceError(f"{where}: {exc}") from None


def open_source(path: Path) -> FolderSource | ManifestSource:
    """The source at ``path``: a folder of images, or else a JSONL manifest."""
    return FolderSource(path) if path.is_dir() else ManifestSource(path)
