"""The object store over fsspec: local and network folders, S3/MinIO, SFTP and more."""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from aspectfile_core.domain.errors import ConfigurationError, TransientError
from aspectfile_core.ports import StoredFile
from aspectfile_core.redaction import redact

logger = logging.getLogger(__name__)

COPY_BUFFER_BYTES = 1024 * 1024


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of the file at *path*."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(COPY_BUFFER_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


class FsspecObjectStore:
    """An :class:`~aspectfile_core.ports.ObjectStore` rooted at any fsspec URL.

    A batch's file goes to ``<root>/<bucket>/<file_path>``; an empty bucket
    leaves that segment out. Local folders get the file under a temporary name
    that is flushed, fsynced and renamed, so the final name never shows a
    partial file.
    """

    def __init__(self, root: str, storage_options: Mapping[str, Any] | None = None) -> None:
        if not root:
            raise ConfigurationError("store URL is empty; pass a folder or an fsspec URL")
        self.root_url = root
        try:
            self.fs, self.root = fsspec.core.url_to_fs(root, **dict(storage_options or {}))
        except (ValueError, ImportError) as error:
            raise ConfigurationError(
                f"store URL {redact(root)!r} cannot be opened: {redact(str(error))}"
            ) from error
        self.root = self.root.rstrip("/") or "/"

    def describe(self) -> str:
        return redact(self.root_url)

    def location(self, *, bucket: str, file_path: str) -> str:
        """Return the full path in the filesystem of a batch's file."""
        parts = [self.root, bucket, file_path] if bucket else [self.root, file_path]
        return posixpath.join(*parts)

    def store(self, local_path: Path, *, bucket: str, file_path: str) -> StoredFile:
        target = self.location(bucket=bucket, file_path=file_path)
        size = local_path.stat().st_size
        sha256 = file_sha256(local_path)

        try:
            if isinstance(self.fs, LocalFileSystem):
                self._publish_local(local_path, target)
            else:
                self._publish_remote(local_path, target)
            self._verify(target, size)
        except (ConfigurationError, TransientError):
            raise
        except PermissionError as error:
            raise ConfigurationError(
                f"permission denied writing {redact(target)!r}: {redact(str(error))}"
            ) from error
        except (ConnectionError, TimeoutError) as error:
            raise TransientError(f"store unavailable writing {redact(target)!r}: {redact(str(error))}") from error
        except OSError as error:
            raise TransientError(
                f"storing {redact(target)!r} failed: {redact(str(error))}"
            ) from error

        shown = target if isinstance(self.fs, LocalFileSystem) else self.fs.unstrip_protocol(target)
        return StoredFile(path=shown, size=size, sha256=sha256)

    def _publish_local(self, local_path: Path, target: str) -> None:
        folder = os.path.dirname(target)
        os.makedirs(folder, exist_ok=True)
        temporary = os.path.join(folder, f".{os.path.basename(target)}.{uuid.uuid4().hex}.part")
        try:
            with local_path.open("rb") as source, open(temporary, "wb") as sink:
                for block in iter(lambda: source.read(COPY_BUFFER_BYTES), b""):
                    sink.write(block)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(temporary, target)
            _fsync_folder(folder)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)

    def _publish_remote(self, local_path: Path, target: str) -> None:
        # Object stores make a PUT visible only once it is complete.
        self.fs.makedirs(posixpath.dirname(target), exist_ok=True)
        self.fs.put_file(str(local_path), target)

    def _verify(self, target: str, size: int) -> None:
        self.fs.invalidate_cache(target)
        stored_size = self.fs.info(target)["size"]
        if stored_size != size:
            raise TransientError(
                f"stored file {redact(target)!r} has {stored_size} bytes, expected {size}"
            )


def _fsync_folder(folder: str) -> None:
    """Persist a rename on filesystems that need the folder synced; ignore where unsupported."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        logger.debug("folder %s does not support fsync", folder)
    finally:
        os.close(descriptor)
