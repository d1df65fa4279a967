"""Binary payloads (uploaded images, masks, NDJSON bodies) as files under one folder."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

#: A blob key is `/`-separated segments of these characters; nothing else reaches the disk.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


class BlobError(ValueError):
    """A blob key that is malformed or would leave the blob folder."""


class BlobStore:
    """Files addressed by keys such as `images/ds_x/<uuid>.png`; paths never escape `root`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """The file of `key`, after checking every segment and the resolved location."""
        segments = key.split("/")
        if not segments or any(not _SEGMENT.match(s) or s in {".", ".."} for s in segments):
            raise BlobError(f"Invalid blob key: {key!r}")
        path = (self.root / Path(*segments)).resolve()
        if not path.is_relative_to(self.root):
            raise BlobError(f"Blob key escapes the blob folder: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> str:
        """Write `data` atomically under `key`; returns the key."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return key

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except BlobError:
            return False

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    @staticmethod
    def new_key(folder: str, extension: str = "") -> str:
        """A fresh unique key in `folder`, keeping a sane file extension."""
        ext = extension.lower() if _EXTENSION.match(extension) else ""
        return f"{folder}/{uuid.uuid4().hex}{ext}"

    @staticmethod
    def is_valid_segment(value: str) -> bool:
        return bool(_SEGMENT.match(value))
