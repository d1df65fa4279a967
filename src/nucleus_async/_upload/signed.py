"""The presigned-URL NDJSON round trip behind every ``asynchronous=True`` upload."""

from __future__ import annotations

import os
from typing import Any
from urllib.request import pathname2url

from .._iterables import AnyIterable, iterate
from .._json import dumps
from .._transport import Transport

__all__ = ["MAX_NDJSON_BYTES", "upload_ndjson"]

#: The service refuses payloads larger than this (0x1FFFFFE8 bytes).
MAX_NDJSON_BYTES = 0x1FFFFFE8


async def upload_ndjson(
    transport: Transport,
    dataset_id: str,
    payloads: AnyIterable[dict[str, Any]],
) -> str:
    """Upload one JSON line per payload to a fresh signed URL; return its request id.

    The caller then starts the job with ``{"requestId": <id>, ...}`` on its ``?async=1`` route.
    """
    chunks: list[bytes] = []
    size = 0
    async for payload in iterate(payloads):
        line = dumps(payload) + b"\n"
        size += len(line)
        if size > MAX_NDJSON_BYTES:
            raise ValueError(
                f"Asynchronous upload is larger than {MAX_NDJSON_BYTES} bytes; split it into "
                "several uploads."
            )
        chunks.append(line)
    if not chunks:
        raise ValueError("Nothing to upload: the asynchronous upload got no items.")
    import uuid  # here: one upload's cost, not every import's

    request_id = uuid.uuid4().hex
    route = f"dataset/{dataset_id}/signedUrl/{request_id}"
    s3_endpoint = os.environ.get("S3_ENDPOINT")
    if s3_endpoint:
        route += f"?s3Endpoint={pathname2url(s3_endpoint)}"
    response = await transport.request("GET", route)
    await transport.put_signed_url(response["signed_url"], b"".join(chunks))
    return request_id
