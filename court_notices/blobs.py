"""Content-addressed storage for raw messages and captured documents.

A blob's name is the sha256 of its bytes, so storing the same message or PDF
twice keeps one copy and a name proves the content.
"""

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

__all__ = ["BlobStore", "BlobTooLargeError"]


class BlobTooLargeError(ValueError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"content is larger than the limit of {limit} bytes")


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its sha256."""
        digest = hashlib.sha256(data).hexdigest()
        if not self.exists(digest):
            self._write(digest, [data])
        return digest

    async def put_stream(self, chunks: AsyncIterator[bytes], *, limit: int) -> str:
        """Store a stream and return its sha256; raise BlobTooLargeError past limit.

        The stream goes to a temporary file first, so a stream cut short or
        over the limit leaves nothing under its name.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise BlobTooLargeError(limit)
                    digest.update(chunk)
                    file.write(chunk)
            name = digest.hexdigest()
            target = self.path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
            return name
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def _write(self, digest: str, parts: list[bytes]) -> None:
        target = self.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                for part in parts:
                    file.write(part)
            # Atomic, so a reader never sees half a blob under its final name.
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
