"""Publishing to other fsspec filesystems (SFTP, SMB…): upload under a temporary name, check
its size, then rename."""

from __future__ import annotations

import logging
import posixpath
import uuid
from typing import Any

from aspectfile_core.adapters.publishing import (
    Existing,
    NameTaken,
    Payload,
    Progress,
    is_temporary_of,
    sha256_of,
    temporary_name,
)
from aspectfile_core.adapters.store_errors import (
    StoreFolderNotFound,
    VerificationFailed,
    vendor_errors,
)

logger = logging.getLogger(__name__)


class FsspecPublisher:
    """Puts payloads on any fsspec filesystem that can upload a file and rename it.

    The upload goes to a hidden temporary name in the target folder, its size
    is read back, and only then is it renamed to the final name, so a cut
    connection never leaves a truncated file there. Verification reads the
    stored file back and compares its SHA-256, because these filesystems
    report no checksum.
    """

    def __init__(self, fs: Any, root: str, *, create_root: bool, url_prefix: str) -> None:
        self.fs = fs
        self.root = root
        self.create_root = create_root
        self.url_prefix = url_prefix
        """``scheme://user@host:port`` without a password, put before paths in messages."""

    def display(self, path: str) -> str:
        return f"{self.url_prefix}{path}" if path.startswith("/") else f"{self.url_prefix}/{path}"

    def compare(self, path: str, payload: Payload) -> Existing:
        info = self._fresh_info(path)
        if info is None:
            return Existing.ABSENT
        if info.get("type") == "directory" or info.get("size") != payload.size:
            return Existing.DIFFERENT
        with self.fs.open(path, "rb") as stored:
            return Existing.SAME if sha256_of(stored) == payload.sha256 else Existing.DIFFERENT

    def publish(self, payload: Payload, path: str, *, replace: bool, progress: Progress) -> None:
        temporary = self._temporary_for(path)
        try:
            self.fs.put_file(str(payload.path), temporary)
            info = self._fresh_info(temporary)
            stored_size = None if info is None else info.get("size")
            if stored_size != payload.size:
                raise VerificationFailed(
                    location=self.display(temporary),
                    detail=f"{stored_size} bytes uploaded, {payload.size} expected",
                )
            self._rename(temporary, path, replace=replace)
        finally:
            self._discard(temporary)
        progress(payload.size, payload.size)

    def publish_bytes(self, data: bytes, path: str) -> None:
        temporary = self._temporary_for(path)
        try:
            self.fs.pipe_file(temporary, data)
            self._rename(temporary, path, replace=True)
        finally:
            self._discard(temporary)

    def verify(self, path: str, payload: Payload) -> None:
        info = self._fresh_info(path)
        location = self.display(path)
        if info is None:
            raise VerificationFailed(location=location, detail="the file is missing after upload")
        if info.get("size") != payload.size:
            raise VerificationFailed(
                location=location,
                detail=f"{info.get('size')} bytes stored, {payload.size} expected",
            )
        with self.fs.open(path, "rb") as stored:
            if sha256_of(stored) != payload.sha256:
                raise VerificationFailed(location=location, detail="the SHA-256 differs")

    def remove(self, path: str) -> None:
        if self._fresh_info(path) is not None:
            self.fs.rm_file(path)

    def close(self) -> None:
        """Keep the filesystem: fsspec says nothing of closing it in general."""

    def _temporary_for(self, path: str) -> str:
        folder, name = posixpath.split(path)
        self._prepare_folder(folder)
        self._remove_stale_temporaries(folder, name)
        return posixpath.join(folder, temporary_name(name, uuid.uuid4().hex))

    def _prepare_folder(self, folder: str) -> None:
        if not self.create_root and self._fresh_info(self.root) is None:
            raise StoreFolderNotFound(location=self.display(self.root))
        self.fs.makedirs(folder, exist_ok=True)

    def _remove_stale_temporaries(self, folder: str, name: str) -> None:
        self.fs.invalidate_cache(folder)
        for entry in self.fs.ls(folder, detail=False):
            if is_temporary_of(posixpath.basename(entry), name):
                logger.info(
                    "AspectFile: Removing %s, left by an interrupted upload",
                    self.display(entry),
                    extra={"action": "store_stale_removed"},
                )
                self.fs.rm_file(entry)

    def _rename(self, temporary: str, path: str, *, replace: bool) -> None:
        exists = self._fresh_info(path) is not None
        if exists and not replace:
            raise NameTaken(path)
        if exists:
            # NOTE: fsspec does not say whether mv replaces an existing file on every
            # filesystem, so the old file is removed first; readers briefly see no file.
            self.fs.rm_file(path)
        self.fs.mv(temporary, path)

    def _fresh_info(self, path: str) -> dict[str, Any] | None:
        self.fs.invalidate_cache(path)
        try:
            info: dict[str, Any] = self.fs.info(path)
        except FileNotFoundError:
            return None
        return info

    def _discard(self, temporary: str) -> None:
        try:
            if self._fresh_info(temporary) is not None:
                self.fs.rm_file(temporary)
        except vendor_errors() as error:
            logger.warning(
                "AspectFile: Removing temporary file %s failed: %s; the next upload of "
                "this file removes it",
                self.display(temporary),
                type(error).__name__,
                extra={"action": "store_cleanup_failed"},
            )


class SftpPublisher(FsspecPublisher):
    """SFTP: renames with the server's own semantics, so replacing is one atomic step.

    The OpenSSH ``posix-rename`` extension replaces an existing file
    atomically; the standard SFTP rename fails when the name is taken, which
    makes a no-replace publish atomic too.
    """

    def close(self) -> None:
        """Close the SSH connection, so the next publisher opens a new one."""
        self.fs.client.close()

    def _rename(self, temporary: str, path: str, *, replace: bool) -> None:
        client = self.fs.ftp
        if replace:
            client.posix_rename(temporary, path)
            return
        try:
            client.rename(temporary, path)
        except OSError:
            if self._fresh_info(path) is not None:
                raise NameTaken(path) from None
            raise
