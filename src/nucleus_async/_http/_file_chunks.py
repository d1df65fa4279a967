"""A :class:`~._interface.FileBody`'s bytes, read in chunks off the event loop."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator

import anyio

__all__ = ["file_chunks"]

#: Bytes read from a file body at a time.
FILE_CHUNK = 256 * 1024


async def file_chunks(path: str | os.PathLike[str]) -> AsyncGenerator[bytes, None]:
    """The file's bytes from the start (opened afresh: each attempt sends it whole)."""
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(FILE_CHUNK):
            yield chunk
