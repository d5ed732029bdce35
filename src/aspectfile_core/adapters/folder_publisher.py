"""Publishing to a local or mounted network folder: temporary name, fsync, rename."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import uuid
from collections.abc import Callable
from typing import BinaryIO

from aspectfile_core.adapters.publishing import (
    Existing,
    NameTaken,
    Payload,
    Progress,
    is_temporary_of,
    iter_blocks,
    sha256_of,
    temporary_name,
)
from aspectfile_core.adapters.store_errors import StoreFolderNotFound, VerificationFailed

logger = logging.getLogger(__name__)

_NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}
)
"""Errors of link(2) on filesystems without hard links, such as some SMB/CIFS mounts."""


class FolderPublisher:
    """Writes each file under a hidden temporary name in its target folder, flushes and
    fsyncs it, then renames it, so the final name shows the whole file or nothing.

    A worker killed mid-write leaves only the hidden ``.<name>.<token>.part``
    file, which the next publish of the same name removes.
    """

    def __init__(self, root: str, *, create_root: bool) -> None:
        self.root = root
        self.create_root = create_root

    def display(self, path: str) -> str:
        return path

    def compare(self, path: str, payload: Payload) -> Existing:
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return Existing.ABSENT
        if os.path.isdir(path) or size != payload.size:
            return Existing.DIFFERENT
        with open(path, "rb") as stored:
            return Existing.SAME if sha256_of(stored) == payload.sha256 else Existing.DIFFERENT

    def publish(self, payload: Payload, path: str, *, replace: bool, progress: Progress) -> None:
        def copy(sink: BinaryIO) -> None:
            sent = 0
            with payload.path.open("rb") as source:
                for block in iter_blocks(source):
                    sink.write(block)
                    sent += len(block)
                    progress(sent, payload.size)

        self._write(path, copy, replace=replace)

    def publish_bytes(self, data: bytes, path: str) -> None:
        self._write(path, lambda sink: sink.write(data), replace=True)

    def verify(self, path: str, payload: Payload) -> None:
        with open(path, "rb") as stored:
            size = os.fstat(stored.fileno()).st_size
            if size != payload.size:
                raise VerificationFailed(
                    location=path, detail=f"{size} bytes stored, {payload.size} expected"
                )
            if sha256_of(stored) != payload.sha256:
                raise VerificationFailed(location=path, detail="the SHA-256 differs")

    def remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)

    def close(self) -> None:
        """Keep nothing open: a folder needs no connection."""

    def _write(self, path: str, fill: Callable[[BinaryIO], object], *, replace: bool) -> None:
        folder, name = os.path.split(path)
        self._prepare_folder(folder)
        self._remove_stale_temporaries(folder, name)

        temporary = os.path.join(folder, temporary_name(name, uuid.uuid4().hex))
        try:
            with open(temporary, "xb") as sink:
                fill(sink)
                sink.flush()
                os.fsync(sink.fileno())
            _place(temporary, path, replace=replace)
            _fsync_folder(folder)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(temporary)

    def _prepare_folder(self, folder: str) -> None:
        if not self.create_root and not os.path.isdir(self.root):
            raise StoreFolderNotFound(location=self.root)
        os.makedirs(folder, exist_ok=True)

    @staticmethod
    def _remove_stale_temporaries(folder: str, name: str) -> None:
        for entry in os.scandir(folder):
            if is_temporary_of(entry.name, name):
                logger.info(
                    "AspectFile: Removing %s, left by an interrupted upload",
                    entry.path,
                    extra={"action": "store_stale_removed"},
                )
                with contextlib.suppress(FileNotFoundError):
                    os.remove(entry.path)


def _place(temporary: str, path: str, *, replace: bool) -> None:
    """Rename *temporary* to *path*; without *replace*, raise :class:`NameTaken` if *path* exists."""
    if replace:
        os.replace(temporary, path)
        return

    try:
        os.link(temporary, path)
    except FileExistsError:
        raise NameTaken(path) from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        # NOTE: without hard links the check and the rename are two steps, so a writer
        # that creates the same name between them is overwritten.
        if os.path.lexists(path):
            raise NameTaken(path) from None
        os.replace(temporary, path)


def _fsync_folder(folder: str) -> None:
    """Persist a rename on filesystems that need the folder synced; skip where unsupported."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        logger.debug("Folder %s does not support fsync", folder)
    finally:
        os.close(descriptor)
