"""The object store over fsspec: local and network folders, S3/MinIO, SFTP and more.

Delivering a file takes these steps, each of which can fail without leaving
anything at the file's final name:

1. compress the local file when the delivery options ask for gzip;
2. choose the name: the frozen name, or with ``if_exists = "suffix"`` the
   first free suffixed one. An object that already contains exactly this file
   is kept instead of uploaded again;
3. publish it through the publisher of the filesystem (temporary name and
   rename for folders and SFTP, one PUT or a multipart upload for S3);
4. verify it, read fresh from the store: size, and SHA-256 or checksum;
5. write the completion marker, when one is configured.

A failure in steps 4 and 5 removes what the call put at the final name. Vendor
errors are classified once, in :mod:`aspectfile_core.adapters.store_errors`.
"""

from __future__ import annotations

import logging
import posixpath
import tempfile
import urllib.parse
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import fsspec
from fsspec.implementations.local import LocalFileSystem

from aspectfile_core.adapters.folder_publisher import FolderPublisher
from aspectfile_core.adapters.fsspec_publisher import FsspecPublisher, SftpPublisher
from aspectfile_core.adapters.publishing import (
    Existing,
    NameTaken,
    Payload,
    Progress,
    Publisher,
    candidate_paths,
    compress,
    marker_content,
    marker_path,
    read_payload,
)
from aspectfile_core.adapters.s3_publisher import S3Publisher
from aspectfile_core.adapters.store_errors import (
    EmptyFile,
    InvalidStoreSetting,
    NoFreeName,
    ObjectExists,
    StoreContext,
    StoreError,
    StoreRejected,
    classify_store_error,
    vendor_errors,
)
from aspectfile_core.adapters.store_settings import (
    StoreSettings,
    check_no_credentials,
    effective_part_size,
)
from aspectfile_core.i18n import N_
from aspectfile_core.ports import Compression, DeliveryOptions, IfExists, StoredFile
from aspectfile_core.redaction import redact

logger = logging.getLogger(__name__)

S3_PROTOCOLS = ("s3", "s3a")
SFTP_PROTOCOLS = ("sftp", "ssh")
STORE_URL_VARIABLE = N_("store URL (--store or ASPECTFILE_STORE_URL)")
"""The store URL setting as errors name it: the CLI option and the variable that set it."""
CHECK_CONTENT = b"aspectfile-core store check\n"

UPLOADING = N_("uploading")
CHECKING = N_("checking")
VERIFYING = N_("verifying")
WRITING_MARKER = N_("writing the completion marker")
CONNECTING = N_("connecting for")
REMOVING = N_("removing")


def _ignore_progress(sent: int, total: int) -> None:
    """Ignore a progress report; the default when no hook is set."""


@attrs.define
class _Step:
    """The operation in progress and its path, named in the error if it fails."""

    operation: str
    path: str


class FsspecObjectStore:
    """An :class:`~aspectfile_core.ports.ObjectStore` rooted at a folder or an fsspec URL.

    A batch's file goes to ``<root>/<bucket>/<file_path>``; an empty bucket
    leaves that segment out. For S3 the first segment after ``s3://`` is the
    bucket. The settings are checked here, at start-up; the filesystem itself
    (and an SFTP connection) is opened on first use and opened again after a
    failure.

    *on_progress* is called with (bytes sent, bytes in the file) while a file
    is uploaded; an exception it raises stops the upload, which is then
    cleaned up like any failed upload.
    """

    def __init__(
        self,
        root: str,
        storage_options: Mapping[str, Any] | None = None,
        *,
        settings: StoreSettings | None = None,
        on_progress: Progress | None = None,
    ) -> None:
        self.settings = settings or StoreSettings()
        self.root_url = root
        self._options = dict(storage_options or {})
        self._on_progress = on_progress or _ignore_progress
        if not root:
            raise InvalidStoreSetting(
                setting=STORE_URL_VARIABLE,
                value=root,
                reason=N_(
                    "the store URL is empty; give a folder or a URL such as s3://bucket/prefix"
                ),
            )

        self.protocol = fsspec.utils.get_protocol(root)
        try:
            self._filesystem_class = fsspec.get_filesystem_class(self.protocol)
        except (ValueError, ImportError) as error:
            raise InvalidStoreSetting(
                setting=STORE_URL_VARIABLE,
                value=root,
                reason=N_(
                    "unknown protocol, or its package is not installed: S3 needs "
                    "aspectfile-core[s3] and SFTP needs aspectfile-core[sftp]"
                ),
            ) from error

        if self.is_s3:
            check_no_credentials(self._options)
        elif self.settings.endpoint_url:
            raise InvalidStoreSetting(
                setting="ASPECTFILE_S3_ENDPOINT_URL",
                value=self.settings.endpoint_url,
                reason=N_("an S3 endpoint URL needs a store URL that starts with s3://"),
            )

        self.root = self._root_path()
        self._url_prefix = _url_prefix(root, self.protocol)
        self._publisher: Publisher | None = None

    @property
    def delivery(self) -> DeliveryOptions:
        """The destination's delivery options, from :attr:`settings`."""
        return self.settings.delivery

    @property
    def is_s3(self) -> bool:
        return self.protocol in S3_PROTOCOLS

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL or the remote host, as messages name it; empty for folders."""
        if self.is_s3:
            return self.settings.endpoint_url or "AWS S3"
        return self._url_prefix

    def describe(self) -> str:
        return redact(self.root_url)

    def location(self, *, bucket: str, file_path: str) -> str:
        """Return the full path in the filesystem of a batch's file.

        Raises :class:`StoreRejected` when the bucket or the path would leave
        the store's root (an absolute path or a ``..`` segment).
        """
        parts = [part for part in (self.root, bucket, file_path) if part]
        joined = posixpath.join(*parts)
        leaves_root = (
            "/" in bucket
            or file_path.startswith("/")
            or ".." in file_path.split("/")
            or ".." in bucket.split("/")
        )
        if leaves_root:
            raise StoreRejected(
                operation=CHECKING,
                location=f"{bucket}/{file_path}" if bucket else file_path,
                reason="the bucket or the file path leaves the store root; "
                "use a plain bucket name and a relative path",
            )
        if self.is_s3 and "/" not in joined.strip("/"):
            raise StoreRejected(
                operation=CHECKING,
                location=f"s3://{joined}",
                reason="no bucket: write the store URL as s3://BUCKET or give the batch a bucket",
            )
        return joined

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
        target = self.location(bucket=bucket, file_path=file_path)
        step = _Step(CHECKING, target)
        if local_path.stat().st_size == 0:
            raise EmptyFile(location=self._display(target))

        with tempfile.TemporaryDirectory(
            prefix="aspectfile-store-", dir=local_path.parent
        ) as scratch:
            source = local_path
            if options.compression is Compression.GZIP:
                source = compress(local_path, Path(scratch) / f"{local_path.name}.gz")
            size = source.stat().st_size
            payload = read_payload(source, effective_part_size(size, self.settings.part_size))

            try:
                return self._deliver(payload, target, options, record_count, step)
            except StoreError:
                self._forget_publisher()
                raise
            except vendor_errors() as error:
                self._forget_publisher()
                raise classify_store_error(error, self._context(step)) from error

    def check(self, *, bucket: str = "") -> str:
        """Write, verify and delete a small probe file in *bucket*; return where it was written.

        Raises the same errors as :meth:`store`, so an operator can test the
        settings and the credentials before any batch is processed.
        """
        target = self.location(bucket=bucket, file_path=f".aspectfile-check-{uuid.uuid4().hex}.txt")
        step = _Step(CONNECTING, target)
        with tempfile.TemporaryDirectory(prefix="aspectfile-check-") as scratch:
            probe = Path(scratch) / "probe.txt"
            probe.write_bytes(CHECK_CONTENT)
            payload = read_payload(probe, self.settings.part_size)
            try:
                publisher = self._open_publisher()
                step.operation = UPLOADING
                publisher.publish(payload, target, replace=False, progress=_ignore_progress)
                try:
                    step.operation = VERIFYING
                    publisher.verify(target, payload)
                finally:
                    step.operation = REMOVING
                    publisher.remove(target)
            except StoreError:
                self._forget_publisher()
                raise
            except vendor_errors() as error:
                self._forget_publisher()
                raise classify_store_error(error, self._context(step)) from error
        return self._display(target)

    def _deliver(
        self,
        payload: Payload,
        target: str,
        options: DeliveryOptions,
        record_count: int,
        step: _Step,
    ) -> StoredFile:
        step.operation = CONNECTING
        publisher = self._open_publisher()
        chosen = self._place(publisher, payload, target, options, step)
        marker = marker_path(chosen, options.completion_marker)
        placed = [chosen]

        try:
            step.operation, step.path = VERIFYING, chosen
            publisher.verify(chosen, payload)
            if marker is not None:
                step.operation, step.path = WRITING_MARKER, marker
                placed.append(marker)
                content = marker_content(
                    options.completion_marker,
                    path=chosen,
                    size=payload.size,
                    sha256=payload.sha256,
                    record_count=record_count,
                    compression=options.compression,
                )
                publisher.publish_bytes(content, marker)
        except BaseException:
            self._roll_back(publisher, placed)
            raise

        logger.info(
            "AspectFile: Stored %s (%s bytes, SHA-256 %s)",
            publisher.display(chosen),
            payload.size,
            payload.sha256,
            extra={"action": "store_stored"},
        )
        return StoredFile(
            path=publisher.display(chosen),
            size=payload.size,
            sha256=payload.sha256,
            marker_path=publisher.display(marker) if marker is not None else None,
        )

    def _place(
        self,
        publisher: Publisher,
        payload: Payload,
        target: str,
        options: DeliveryOptions,
        step: _Step,
    ) -> str:
        """Publish the payload at the first usable candidate name and return that name."""
        replace = options.if_exists is IfExists.OVERWRITE
        tried: list[str] = []
        for candidate in candidate_paths(target, options):
            tried.append(candidate)
            if not replace:
                step.operation, step.path = CHECKING, candidate
                existing = publisher.compare(candidate, payload)
                if existing is Existing.SAME:
                    logger.info(
                        "AspectFile: %s already contains this file; not uploading it again",
                        publisher.display(candidate),
                        extra={"action": "store_already_stored"},
                    )
                    return candidate
                if existing is Existing.DIFFERENT:
                    self._check_may_skip(options, publisher, candidate)
                    continue

            step.operation, step.path = UPLOADING, candidate
            try:
                publisher.publish(payload, candidate, replace=replace, progress=self._on_progress)
            except NameTaken:
                self._check_may_skip(options, publisher, candidate)
                continue
            return candidate

        raise NoFreeName(location=publisher.display(tried[0]), last=publisher.display(tried[-1]))

    @staticmethod
    def _check_may_skip(options: DeliveryOptions, publisher: Publisher, candidate: str) -> None:
        if options.if_exists is IfExists.FAIL:
            raise ObjectExists(location=publisher.display(candidate))

    def _roll_back(self, publisher: Publisher, paths: list[str]) -> None:
        for path in reversed(paths):
            try:
                publisher.remove(path)
            except vendor_errors() as error:
                logger.warning(
                    "AspectFile: Removing %s after a failed delivery failed: %s; "
                    "the next attempt replaces it",
                    publisher.display(path),
                    redact(str(error)) or type(error).__name__,
                    extra={"action": "store_rollback_failed"},
                )

    def _forget_publisher(self) -> None:
        """Drop the publisher after a failure, so the next call connects afresh."""
        publisher, self._publisher = self._publisher, None
        if publisher is None:
            return
        try:
            publisher.close()
        except vendor_errors() as error:
            logger.debug("Closing the store connection failed: %s", type(error).__name__)

    def _open_publisher(self) -> Publisher:
        if self._publisher is None:
            self._publisher = self._build_publisher()
        return self._publisher

    def _build_publisher(self) -> Publisher:
        options: dict[str, Any] = {**self._options, "skip_instance_cache": True}
        if self.is_s3:
            options = _s3_options(options, self.settings)
        fs, _ = fsspec.core.url_to_fs(self.root_url, **options)

        if self.is_s3:
            # botocore retries each request up to max_attempts; s3fs's own retry loop
            # would multiply that count.
            fs.retries = 1
            fs.s3.meta.events.register("before-sign.s3", _drop_expect_header)
            return S3Publisher(fs, checksum=self.settings.checksum)
        if isinstance(fs, LocalFileSystem):
            return FolderPublisher(self.root, create_root=self.settings.create_root)
        publisher = SftpPublisher if self.protocol in SFTP_PROTOCOLS else FsspecPublisher
        return publisher(
            fs, self.root, create_root=self.settings.create_root, url_prefix=self._url_prefix
        )

    def _root_path(self) -> str:
        stripped = str(self._filesystem_class._strip_protocol(self.root_url))
        if self.is_s3:
            return stripped.strip("/")
        return stripped.rstrip("/") or "/"

    def _display(self, path: str) -> str:
        if self.is_s3:
            return f"s3://{path}"
        if self.protocol in ("file", "local"):
            return path
        return f"{self._url_prefix}{path}" if path.startswith("/") else f"{self._url_prefix}/{path}"

    def _context(self, step: _Step) -> StoreContext:
        return StoreContext(
            operation=step.operation,
            location=self._display(step.path),
            bucket=step.path.split("/", 1)[0] if self.is_s3 else "",
            endpoint=self.endpoint,
        )


def _s3_options(options: dict[str, Any], settings: StoreSettings) -> dict[str, Any]:
    """Add the S3 settings to the storage options; keys the options set themselves stay."""
    config: dict[str, Any] = {
        "connect_timeout": settings.connect_timeout,
        "read_timeout": settings.read_timeout,
        "retries": {"mode": "standard", "total_max_attempts": settings.max_attempts},
        "s3": {"addressing_style": settings.resolved_addressing_style},
    }
    if settings.checksum == "md5":
        # Stores without x-amz-checksum support reject the CRC32 that botocore adds by default.
        config["request_checksum_calculation"] = "when_required"
        config["response_checksum_validation"] = "when_required"
    client: dict[str, Any] = {"region_name": settings.region} if settings.region else {}

    merged = dict(options)
    merged["config_kwargs"] = {**config, **options.get("config_kwargs", {})}
    merged["client_kwargs"] = {**client, **options.get("client_kwargs", {})}
    if settings.endpoint_url:
        merged.setdefault("endpoint_url", settings.endpoint_url)
    return merged


def _drop_expect_header(request: Any, **kwargs: Any) -> None:
    """Send request bodies without waiting for "100 Continue".

    With ``Expect: 100-continue``, aiohttp (3.14, under aiobotocore 3.10)
    waits for the interim answer with no time limit, so an endpoint that
    accepts the connection and never answers would hang the worker. Without
    the header the read timeout applies; the cost is that a rejected upload
    sends its body before the rejection arrives.
    """
    if "Expect" in request.headers:
        del request.headers["Expect"]


def _url_prefix(root: str, protocol: str) -> str:
    """Return ``scheme://user@host:port`` of *root* without its password, or ``""`` for folders."""
    if protocol in ("file", "local") or protocol in S3_PROTOCOLS:
        return ""
    parts = urllib.parse.urlsplit(root)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}"


__all__ = ["FsspecObjectStore"]
