"""Local files as multipart request bodies: checked and read off the event loop, a batch a hop."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import anyio

from .._errors import ValidationError
from .._transport import FilePart

__all__ = [
    "MAX_LOCAL_FILES_PER_REQUEST",
    "check_files_per_request",
    "missing_files",
    "multipart_parts",
    "read_files",
]

#: The service accepts at most this many files in one multipart request.
MAX_LOCAL_FILES_PER_REQUEST = 10


def check_files_per_request(value: int) -> None:
    """Refuse a ``local_files_per_upload_request`` the service would refuse."""
    if not 1 <= value <= MAX_LOCAL_FILES_PER_REQUEST:
        raise ValidationError(
            f"must be between 1 and {MAX_LOCAL_FILES_PER_REQUEST}, got {value}",
            field="local_files_per_upload_request",
        )


def read_files(paths: Sequence[str]) -> list[bytes]:
    """The contents of the files, in order (run in a worker thread)."""
    contents = []
    for path in paths:
        with open(path, "rb") as f:
            contents.append(f.read())
    return contents


async def missing_files(paths: Sequence[str | None]) -> list[int]:
    """The positions of the paths that are not existing files (one worker-thread call)."""

    def missing() -> list[int]:
        return [i for i, path in enumerate(paths) if path is None or not os.path.isfile(path)]

    return await anyio.to_thread.run_sync(missing)


async def multipart_parts(
    request_field: str,
    request: bytes,
    file_field: str,
    paths: Sequence[str],
    content_type: Callable[[str], str],
) -> list[FilePart]:
    """A JSON part ``request_field`` followed by one ``file_field`` part per file, in order."""
    # All of the batch's files in one worker-thread call (a thread hop per file, or three
    # with aiofiles, costs more than reading 20 KB).
    contents = await anyio.to_thread.run_sync(read_files, paths)
    parts: list[FilePart] = [(request_field, (None, request, "application/json"))]
    for path, content in zip(paths, contents, strict=True):
        parts.append((file_field, (path, content, content_type(path))))
    return parts
