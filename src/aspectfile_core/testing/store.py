"""Object stores for tests: one that keeps files in memory, one that fails on demand."""

from __future__ import annotations

import hashlib
from pathlib import Path

from aspectfile_core.domain.errors import AspectFileError
from aspectfile_core.ports import StoredFile


class MemoryObjectStore:
    """Keeps stored files in :attr:`objects` by ``bucket/file_path`` and counts every write."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.writes: list[str] = []

    def reset(self) -> None:
        self.objects.clear()
        self.writes.clear()

    def describe(self) -> str:
        return "memory://"

    def store(self, local_path: Path, *, bucket: str, file_path: str) -> StoredFile:
        key = f"{bucket}/{file_path}" if bucket else file_path
        data = local_path.read_bytes()
        self.objects[key] = data
        self.writes.append(key)
        return StoredFile(
            path=f"memory://{key}", size=len(data), sha256=hashlib.sha256(data).hexdigest()
        )


class FailingObjectStore(MemoryObjectStore):
    """Raises :attr:`error` on each of the next :attr:`failures` writes, then stores normally."""

    def __init__(self, error: AspectFileError, failures: int = 1) -> None:
        super().__init__()
        self.error = error
        self.failures = failures

    def store(self, local_path: Path, *, bucket: str, file_path: str) -> StoredFile:
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        return super().store(local_path, bucket=bucket, file_path=file_path)
