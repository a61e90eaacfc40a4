"""Write bodies: read whole before anything is sent upstream, so their SHA-256 can be signed.

The identity the gateway signs is bound to the body's digest (services/common/identity.py),
which must be known before the first byte goes upstream. Bodies up to
``inspect_body_bytes`` stay in memory (and small JSON ones are parsed for the region and
facility checks); larger ones (bulk imports, up to ``max_write_body_bytes``) are spooled to
a temporary file, written and read in the threadpool, then streamed upstream from it. Reading
the whole body first also means an oversized or broken upload is refused (413) before the
service sees any of it, and upload time never counts against the upstream timeout.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Any

import anyio
import orjson

from services.common.errors import InvalidInput, PayloadTooLarge

#: Bytes read from a spooled body per thread hop when sending it upstream.
SEND_CHUNK_BYTES = 256 * 1024


@dataclass
class SpooledBody:
    """A large body in a temporary file; :meth:`chunks` sends it once and closes the file."""

    file: IO[bytes]
    size: int

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            await anyio.to_thread.run_sync(self.file.seek, 0)
            while chunk := await anyio.to_thread.run_sync(self.file.read, SEND_CHUNK_BYTES):
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        self.file.close()


@dataclass
class WriteBody:
    """A write's body: in memory or spooled, its SHA-256, and its parsed JSON when small."""

    content: bytes | SpooledBody
    sha256: str
    parsed: Any = None

    def for_upstream(self) -> bytes | AsyncIterator[bytes]:
        return self.content if isinstance(self.content, bytes) else self.content.chunks()


async def read_body(
    chunks: AsyncIterator[bytes],
    *,
    declared_length: str | None,
    content_type: str,
    cap_bytes: int,
    window_bytes: int,
) -> WriteBody:
    """Read a whole request body (413 past ``cap_bytes``, by Content-Length or while reading)."""
    if declared_length and declared_length.isdigit() and int(declared_length) > cap_bytes:
        raise PayloadTooLarge(
            f"request body of {declared_length} bytes exceeds {cap_bytes} bytes",
            limit_bytes=cap_bytes,
        )
    digest = hashlib.sha256()
    head: list[bytes] = []
    size = 0
    spool: IO[bytes] | None = None
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > cap_bytes:
                raise PayloadTooLarge(
                    f"request body exceeds {cap_bytes} bytes", limit_bytes=cap_bytes
                )
            digest.update(chunk)
            head.append(chunk)
            if size > window_bytes:
                if spool is None:
                    spool = await anyio.to_thread.run_sync(tempfile.TemporaryFile)
                await anyio.to_thread.run_sync(spool.write, b"".join(head))
                head.clear()
        if spool is not None:
            if head:
                await anyio.to_thread.run_sync(spool.write, b"".join(head))
            return WriteBody(SpooledBody(spool, size), digest.hexdigest())
    except BaseException:
        if spool is not None:
            spool.close()
        raise
    body = b"".join(head)
    parsed: Any = None
    if body and "json" in content_type:
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"request body is not valid JSON: {exc}", field="body") from exc
    return WriteBody(body, digest.hexdigest(), parsed)
