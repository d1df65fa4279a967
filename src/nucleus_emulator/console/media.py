"""Images the console serves from the blob folder: thumbnails, sizes and coloured masks (Pillow).

Derived images are cached as blobs under `console/`, named after the source blob (whose key is
unique per upload), so a re-uploaded image gets a new thumbnail and a page of 100 thumbnails
costs 100 file reads after the first visit.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Sequence

from PIL import Image, UnidentifiedImageError

from nucleus_emulator.blobs import BlobError, BlobStore
from nucleus_emulator.console.overlays import rgb_of

#: Longest side of a grid thumbnail, in pixels (twice the grid cell, for sharp HiDPI screens).
THUMBNAIL_SIDE = 320
#: Opacity (0-255) of a segment of a mask overlay.
MASK_ALPHA = 140

_UNREADABLE = (OSError, UnidentifiedImageError, BlobError, ValueError)


class MediaError(Exception):
    """A stored file that is missing or is not an image Pillow can read."""


class Media:
    """Reads stored images and writes the console's derived images next to them."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        self._sizes: dict[str, tuple[int, int] | None] = {}
        self._lock = threading.Lock()

    def original(self, key: str) -> bytes:
        try:
            return self._blobs.get(key)
        except (OSError, BlobError) as exc:
            raise MediaError(f"stored image {key} cannot be read: {exc}") from None

    def size(self, key: str) -> tuple[int, int] | None:
        """`(width, height)` of a stored image (read from its header once), or None."""
        with self._lock:
            if key in self._sizes:
                return self._sizes[key]
        try:
            with Image.open(self._blobs.path(key)) as image:
                found: tuple[int, int] | None = image.size
        except _UNREADABLE:
            found = None
        with self._lock:
            self._sizes[key] = found
        return found

    def thumbnail(self, key: str) -> bytes:
        """A JPEG of the stored image at most `THUMBNAIL_SIDE` pixels on its longest side."""
        cached = "console/thumbnails/" + _derived_name(key) + ".jpg"
        if self._blobs.exists(cached):
            return self._blobs.get(cached)
        try:
            with Image.open(self._blobs.path(key)) as image:
                image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=80)
        except _UNREADABLE as exc:
            raise MediaError(f"stored image {key} is not a readable image: {exc}") from None
        data = out.getvalue()
        self._blobs.put(cached, data)
        return data

    def coloured_mask(self, key: str, segments: Sequence[tuple[int, str]]) -> bytes:
        """A transparent PNG of a stored mask: each segment index painted in its colour.

        `segments` are `(index, "#rrggbb")`; pixels of other indices stay transparent.
        """
        palette = "".join(f"{index}{colour}" for index, colour in sorted(segments))
        digest = hashlib.sha256(palette.encode()).hexdigest()[:12]
        cached = f"console/masks/{_derived_name(key)}-{digest}.png"
        if self._blobs.exists(cached):
            return self._blobs.get(cached)
        tables = [[0] * 256 for _ in range(4)]
        for index, colour in segments:
            if 0 <= index < 256:
                for channel, value in enumerate((*rgb_of(colour), MASK_ALPHA)):
                    tables[channel][index] = value
        try:
            with Image.open(self._blobs.path(key)) as image:
                indices = image.convert("L")
        except _UNREADABLE as exc:
            raise MediaError(f"stored mask {key} is not a readable image: {exc}") from None
        coloured = Image.merge("RGBA", [indices.point(table) for table in tables])
        out = io.BytesIO()
        coloured.save(out, "PNG", optimize=True)
        data = out.getvalue()
        self._blobs.put(cached, data)
        return data


def _derived_name(key: str) -> str:
    """A blob segment naming a derived file of `key` (keys are unique per upload)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]
