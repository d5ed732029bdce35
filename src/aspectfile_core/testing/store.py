"""Object stores for tests: one that keeps files in memory, one that fails on demand.

:class:`MemoryObjectStore` follows the same delivery rules as the real store
(the policy for an existing object, gzip, completion markers, no empty file),
so service tests see the behaviour production has.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from aspectfile_core.adapters.publishing import (
    GZIP_LEVEL,
    candidate_paths,
    marker_content,
    marker_path,
)
from aspectfile_core.adapters.store_errors import EmptyFile, NoFreeName, ObjectExists
from aspectfile_core.domain.errors import AspectFileError
from aspectfile_core.ports import Compression, DeliveryOptions, IfExists, StoredFile


class MemoryObjectStore:
    """Keeps stored files in :attr:`objects` by ``bucket/file_path`` and counts every write."""

    def __init__(self, delivery: DeliveryOptions | None = None) -> None:
        self.delivery = delivery or DeliveryOptions()
        self.objects: dict[str, bytes] = {}
        self.writes: list[str] = []
        """Every key written, data files and markers, in order."""

    def reset(self) -> None:
        """Forget every stored object and write."""
        self.objects.clear()
        self.writes.clear()

    def describe(self) -> str:
        return "memory://"

    def store(
        self,
        local_path: Path,
        *,
        bucket: str,
        file_path: str,
        record_count: int,
        delivery: DeliveryOptions | None = None,
    ) -> StoredFile:
        options = delivery or self.delivery
        key = f"{bucket}/{file_path}" if bucket else file_path
        data = local_path.read_bytes()
        if not data:
            raise EmptyFile(location=f"memory://{key}")
        if options.compression is Compression.GZIP:
            data = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)

        chosen = self._choose(key, data, options)
        if options.if_exists is IfExists.OVERWRITE or self.objects.get(chosen) != data:
            self._write(chosen, data)
        sha256 = hashlib.sha256(data).hexdigest()

        marker = marker_path(chosen, options.completion_marker)
        if marker is not None:
            content = marker_content(
                options.completion_marker,
                path=chosen,
                size=len(data),
                sha256=sha256,
                record_count=record_count,
                compression=options.compression,
            )
            self._write(marker, content)

        return StoredFile(
            path=f"memory://{chosen}",
            size=len(data),
            sha256=sha256,
            marker_path=f"memory://{marker}" if marker is not None else None,
        )

    def _choose(self, key: str, data: bytes, options: DeliveryOptions) -> str:
        """Return the first candidate name that is free, contains *data* already, or may be replaced."""
        tried: list[str] = []
        for candidate in candidate_paths(key, options):
            tried.append(candidate)
            existing = self.objects.get(candidate)
            if existing is None or existing == data or options.if_exists is IfExists.OVERWRITE:
                return candidate
            if options.if_exists is IfExists.FAIL:
                raise ObjectExists(location=f"memory://{candidate}")
        raise NoFreeName(location=f"memory://{tried[0]}", last=f"memory://{tried[-1]}")

    def _write(self, key: str, data: bytes) -> None:
        self.objects[key] = data
        self.writes.append(key)


class FailingObjectStore(MemoryObjectStore):
    """Raises :attr:`error` on each of the next :attr:`failures` writes, then stores normally."""

    def __init__(self, error: AspectFileError, failures: int = 1) -> None:
        super().__init__()
        self.error = error
        self.failures = failures

    def store(
        self,
        local_path: Path,
        *,
        bucket: str,
        file_path: str,
        record_count: int,
        delivery: DeliveryOptions | None = None,
    ) -> StoredFile:
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        return super().store(
            local_path,
            bucket=bucket,
            file_path=file_path,
            record_count=record_count,
            delivery=delivery,
        )
