"""Parts shared by every publisher: the payload and its digests, names, markers and compression.

A publisher puts one local file at one path of one kind of filesystem (a
folder, S3, SFTP or another fsspec target) without ever showing a partial
file at that path. :class:`~aspectfile_core.adapters.fsspec_store.FsspecObjectStore`
picks the publisher and runs the delivery steps; the in-memory test store
uses the same naming and manifest rules.
"""

from __future__ import annotations

import base64
import enum
import gzip
import hashlib
import json
import posixpath
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

import attrs

from aspectfile_core.ports import CompletionMarker, Compression, DeliveryOptions, IfExists

BLOCK_BYTES = 1024 * 1024
"""Bytes read or written at a time when copying or hashing files."""
MAX_SUFFIX = 999
"""The highest number that ``if_exists = "suffix"`` tries before giving up."""
GZIP_LEVEL = 6
"""zlib's default trade-off between speed and size."""
TEMPORARY_SUFFIX = ".part"

Progress = Callable[[int, int], None]
"""Called with (bytes sent, bytes in the file) as an upload advances; an exception it raises
stops the upload, which is then cleaned up like any failed upload."""


class Existing(enum.Enum):
    """The content at a path, compared with the payload about to be stored there."""

    ABSENT = "absent"
    """Nothing is at the path."""
    SAME = "same"
    """An object with the payload's exact size and content."""
    DIFFERENT = "different"
    """An object with other content."""


class NameTaken(Exception):
    """A publish that must not replace an existing object found one at its path."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path} already exists")


@attrs.frozen
class Payload:
    """The local file to store, with the digests every kind of verification needs."""

    path: Path
    size: int
    sha256: str
    """Hex SHA-256 of the whole file."""
    md5: str
    """Hex MD5 of the whole file, for S3 ETags."""
    part_size: int
    """Bytes per part when the file is uploaded in parts; a file of at most this size goes in one request."""
    part_sha256: tuple[bytes, ...]
    part_md5: tuple[bytes, ...]

    @property
    def multipart(self) -> bool:
        return self.size > self.part_size

    @property
    def part_count(self) -> int:
        return len(self.part_sha256)

    def s3_checksum(self) -> str:
        """Return the ChecksumSHA256 that S3 reports for this file uploaded with :attr:`part_size`.

        One request gives the base64 SHA-256 of the file. Parts give the
        base64 SHA-256 of the parts' concatenated SHA-256 digests, then
        ``-<part count>``.
        """
        if not self.multipart:
            return _base64(bytes.fromhex(self.sha256))
        combined = hashlib.sha256(b"".join(self.part_sha256)).digest()
        return f"{_base64(combined)}-{self.part_count}"

    def s3_etag(self) -> str:
        """Return the ETag that S3 reports for this file when it is not encrypted with KMS or SSE-C."""
        if not self.multipart:
            return self.md5
        combined = hashlib.md5(b"".join(self.part_md5), usedforsecurity=False)
        return f"{combined.hexdigest()}-{self.part_count}"


def _base64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def read_payload(path: Path, part_size: int) -> Payload:
    """Read *path* once and return it with its whole-file and per-part digests."""
    whole_sha256 = hashlib.sha256()
    whole_md5 = hashlib.md5(usedforsecurity=False)
    part_sha256: list[bytes] = []
    part_md5: list[bytes] = []
    size = 0

    with path.open("rb") as source:
        while True:
            part = hashlib.sha256()
            part_hash_md5 = hashlib.md5(usedforsecurity=False)
            part_bytes = 0
            for block in iter_blocks(source, limit=part_size):
                whole_sha256.update(block)
                whole_md5.update(block)
                part.update(block)
                part_hash_md5.update(block)
                part_bytes += len(block)
            if part_bytes == 0:
                break
            size += part_bytes
            part_sha256.append(part.digest())
            part_md5.append(part_hash_md5.digest())

    return Payload(
        path=path,
        size=size,
        sha256=whole_sha256.hexdigest(),
        md5=whole_md5.hexdigest(),
        part_size=part_size,
        part_sha256=tuple(part_sha256),
        part_md5=tuple(part_md5),
    )


def iter_blocks(source: BinaryIO, *, limit: int | None = None) -> Iterator[bytes]:
    """Yield blocks of at most :data:`BLOCK_BYTES` from *source*, *limit* bytes in all when given."""
    remaining = limit
    while remaining is None or remaining > 0:
        wanted = BLOCK_BYTES if remaining is None else min(BLOCK_BYTES, remaining)
        block = source.read(wanted)
        if not block:
            return
        if remaining is not None:
            remaining -= len(block)
        yield block


def sha256_of(source: BinaryIO) -> str:
    """Return the hex SHA-256 of what remains in *source*."""
    digest = hashlib.sha256()
    for block in iter_blocks(source):
        digest.update(block)
    return digest.hexdigest()


def compress(source: Path, target: Path) -> Path:
    """Write *source* gzip-compressed to *target* and return *target*.

    The gzip header carries no name and a zero time stamp, so the same input
    gives the same bytes on every retry with the same zlib.
    """
    with (
        source.open("rb") as raw,
        target.open("wb") as sink,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=sink, compresslevel=GZIP_LEVEL, mtime=0
        ) as compressed,
    ):
        shutil.copyfileobj(raw, compressed, BLOCK_BYTES)
    return target


def stored_path(path: str, compression: Compression) -> str:
    """Return the path the file is stored at: *path*, plus ``.gz`` when compressed."""
    return f"{path}.gz" if compression is Compression.GZIP else path


def suffixed_path(path: str, number: int) -> str:
    """Return *path* with ``_<number>`` before its last extension: ``out/a.csv`` -> ``out/a_2.csv``."""
    folder, name = posixpath.split(path)
    stem, dot, extension = name.rpartition(".")
    renamed = f"{stem}_{number}.{extension}" if dot and stem else f"{name}_{number}"
    return posixpath.join(folder, renamed) if folder else renamed


def candidate_paths(path: str, options: DeliveryOptions) -> Iterator[str]:
    """Yield the paths to try in order: the path itself, then suffixed ones for ``suffix``."""
    yield stored_path(path, options.compression)
    if options.if_exists is not IfExists.SUFFIX:
        return
    for number in range(1, MAX_SUFFIX + 1):
        yield stored_path(suffixed_path(path, number), options.compression)


def marker_path(path: str, marker: CompletionMarker) -> str | None:
    """Return the path of the completion marker of the file at *path*, or None without one."""
    if marker is CompletionMarker.DONE:
        return f"{path}.done"
    if marker is CompletionMarker.MANIFEST:
        return f"{path}.manifest.json"
    return None


def marker_content(
    marker: CompletionMarker,
    *,
    path: str,
    size: int,
    sha256: str,
    record_count: int,
    compression: Compression,
) -> bytes:
    """Return the bytes of the completion marker: nothing for ``.done``, JSON for a manifest."""
    if marker is not CompletionMarker.MANIFEST:
        return b""
    manifest = {
        "name": posixpath.basename(path),
        "size": size,
        "sha256": sha256,
        "record_count": record_count,
        "compression": compression.value,
    }
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def temporary_name(name: str, token: str) -> str:
    """Return the hidden name a file is written under before it is renamed to *name*."""
    return f".{name}.{token}{TEMPORARY_SUFFIX}"


def is_temporary_of(candidate: str, name: str) -> bool:
    """Return True when *candidate* is a temporary name of *name* left by an earlier attempt."""
    return candidate.startswith(f".{name}.") and candidate.endswith(TEMPORARY_SUFFIX)


class Publisher(Protocol):
    """Puts payloads at paths of one filesystem without showing partial files."""

    def display(self, path: str) -> str:
        """Return *path* as an operator reads it: a local path or a URL without credentials."""
        ...

    def compare(self, path: str, payload: Payload) -> Existing:
        """Compare what *path* contains now, read fresh from the store, with the payload."""
        ...

    def publish(self, payload: Payload, path: str, *, replace: bool, progress: Progress) -> None:
        """Put the payload at *path*; raise :class:`NameTaken` when *replace* is False and
        something is there. Nothing partial is ever visible at *path*."""
        ...

    def publish_bytes(self, data: bytes, path: str) -> None:
        """Put a small file, such as a completion marker, at *path*, replacing what is there."""
        ...

    def verify(self, path: str, payload: Payload) -> None:
        """Raise :class:`~aspectfile_core.adapters.store_errors.VerificationFailed` unless
        *path* contains the payload, read fresh from the store."""
        ...

    def remove(self, path: str) -> None:
        """Delete *path*; a missing one is fine."""
        ...

    def close(self) -> None:
        """Close the connection, if the filesystem keeps one open."""
        ...
