"""Publishing to S3 and S3-compatible stores (MinIO) through s3fs.

A file of at most the part size goes in one PUT; a larger one in a multipart
upload. S3 shows an object only once its PUT or its multipart completion
succeeds, so the final name never shows a partial file. Each request carries
the SHA-256 (or the MD5) of its bytes, computed from the local file before the
upload, so the server rejects bytes that changed on the way.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from aspectfile_core.adapters.publishing import Existing, NameTaken, Payload, Progress, sha256_of
from aspectfile_core.adapters.store_errors import VerificationFailed, s3_error_code, vendor_errors

logger = logging.getLogger(__name__)

_ENCRYPTED_ETAG = frozenset({"aws:kms", "aws:kms:dsse"})
"""Server-side encryption values whose ETag is not the MD5 of the object."""


class S3Publisher:
    """Puts payloads into ``bucket/key`` paths of an s3fs filesystem."""

    def __init__(self, fs: Any, *, checksum: str) -> None:
        self.fs = fs
        self.checksum = checksum
        """``sha256`` or ``md5``: which digest each request carries."""

    def display(self, path: str) -> str:
        return f"s3://{path}"

    def compare(self, path: str, payload: Payload) -> Existing:
        bucket, key = _split(path)
        head = self._head(bucket, key)
        if head is None:
            return Existing.ABSENT
        if head["ContentLength"] != payload.size:
            return Existing.DIFFERENT

        same = _digest_matches(head, payload)
        if same is None:
            same = self._download_sha256(bucket, key) == payload.sha256
        return Existing.SAME if same else Existing.DIFFERENT

    def publish(self, payload: Payload, path: str, *, replace: bool, progress: Progress) -> None:
        bucket, key = _split(path)
        condition = {} if replace else {"IfNoneMatch": "*"}
        if payload.multipart:
            self._put_parts(payload, bucket, key, condition, progress)
            return

        with payload.path.open("rb") as source:
            body = source.read()
        digest = self._digest_arguments(bytes.fromhex(payload.sha256), bytes.fromhex(payload.md5))
        try:
            self.fs.call_s3("put_object", Bucket=bucket, Key=key, Body=body, **digest, **condition)
        except OSError as error:
            if _is_precondition_failure(error):
                raise NameTaken(path) from error
            raise
        progress(payload.size, payload.size)

    def publish_bytes(self, data: bytes, path: str) -> None:
        bucket, key = _split(path)
        payload_sha256 = _sha256(data)
        payload_md5 = _md5(data)
        self.fs.call_s3(
            "put_object",
            Bucket=bucket,
            Key=key,
            Body=data,
            **self._digest_arguments(payload_sha256, payload_md5),
        )

    def verify(self, path: str, payload: Payload) -> None:
        bucket, key = _split(path)
        head = self._head(bucket, key)
        location = self.display(path)
        if head is None:
            raise VerificationFailed(location=location, detail="the object is missing after upload")
        if head["ContentLength"] != payload.size:
            raise VerificationFailed(
                location=location,
                detail=f"{head['ContentLength']} bytes stored, {payload.size} expected",
            )

        matches = _digest_matches(head, payload)
        if matches is False:
            raise VerificationFailed(location=location, detail="the checksum differs")
        if matches is None:
            logger.debug(
                "AspectFile: %s reports no comparable checksum; verified its size only",
                location,
                extra={"action": "store_verify_size_only"},
            )

    def remove(self, path: str) -> None:
        bucket, key = _split(path)
        self.fs.call_s3("delete_object", Bucket=bucket, Key=key)

    def close(self) -> None:
        """Keep the client: s3fs opens HTTP connections per request as needed."""

    def pending_uploads(self, path: str) -> list[str]:
        """Return the ids of unfinished multipart uploads to exactly *path*."""
        bucket, key = _split(path)
        listing = self.fs.call_s3("list_multipart_uploads", Bucket=bucket, Prefix=key)
        return [upload["UploadId"] for upload in listing.get("Uploads", []) if upload["Key"] == key]

    def _put_parts(
        self,
        payload: Payload,
        bucket: str,
        key: str,
        condition: Mapping[str, str],
        progress: Progress,
    ) -> None:
        self._abort_stale_uploads(bucket, key)
        algorithm = {"ChecksumAlgorithm": "SHA256"} if self.checksum == "sha256" else {}
        created = self.fs.call_s3("create_multipart_upload", Bucket=bucket, Key=key, **algorithm)
        upload_id = created["UploadId"]

        try:
            parts = self._upload_parts(payload, bucket, key, upload_id, progress)
        except BaseException:
            self._abort(bucket, key, upload_id)
            raise

        try:
            self.fs.call_s3(
                "complete_multipart_upload",
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                **condition,
            )
        except BaseException as error:
            self._abort(bucket, key, upload_id)
            if isinstance(error, OSError) and _is_precondition_failure(error):
                raise NameTaken(f"{bucket}/{key}") from error
            if self._completed_anyway(bucket, key, payload):
                # The completion was applied before its response was lost. The object
                # is whole, so it is kept rather than uploaded a second time.
                logger.warning(
                    "AspectFile: Completing the upload of s3://%s/%s reported %s, but the "
                    "object is complete and verified; keeping it",
                    bucket,
                    key,
                    type(error).__name__,
                    extra={"action": "store_completed_anyway"},
                )
                return
            raise

    def _upload_parts(
        self, payload: Payload, bucket: str, key: str, upload_id: str, progress: Progress
    ) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        sent = 0
        with payload.path.open("rb") as source:
            for number, (part_sha256, part_md5) in enumerate(
                zip(payload.part_sha256, payload.part_md5, strict=True), start=1
            ):
                body = source.read(payload.part_size)
                digest = self._digest_arguments(part_sha256, part_md5)
                answer = self.fs.call_s3(
                    "upload_part",
                    Bucket=bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=body,
                    **digest,
                )
                part = {"PartNumber": number, "ETag": answer["ETag"]}
                if "ChecksumSHA256" in digest:
                    part["ChecksumSHA256"] = answer.get("ChecksumSHA256", digest["ChecksumSHA256"])
                parts.append(part)
                sent += len(body)
                progress(sent, payload.size)
        return parts

    def _digest_arguments(self, sha256: bytes, md5: bytes) -> dict[str, str]:
        if self.checksum == "sha256":
            # With both arguments botocore sends this value instead of computing its own.
            return {
                "ChecksumAlgorithm": "SHA256",
                "ChecksumSHA256": base64.b64encode(sha256).decode("ascii"),
            }
        return {"ContentMD5": base64.b64encode(md5).decode("ascii")}

    def _abort(self, bucket: str, key: str, upload_id: str) -> None:
        try:
            self.fs.call_s3("abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id)
        except vendor_errors() as error:
            # The upload's own error matters more; the next upload of this key aborts leftovers.
            if s3_error_code(error) == "NoSuchUpload":
                return
            logger.warning(
                "AspectFile: Aborting multipart upload %s of s3://%s/%s failed: %s; "
                "the next upload of this file aborts it",
                upload_id,
                bucket,
                key,
                type(error).__name__,
                extra={"action": "store_abort_failed"},
            )

    def _abort_stale_uploads(self, bucket: str, key: str) -> None:
        """Abort unfinished uploads to this key left by an earlier, interrupted attempt."""
        try:
            stale = self.pending_uploads(f"{bucket}/{key}")
        except vendor_errors() as error:
            # Listing needs s3:ListBucketMultipartUploads, which the credentials may lack.
            logger.debug(
                "AspectFile: Listing unfinished uploads of s3://%s/%s failed: %s",
                bucket,
                key,
                type(error).__name__,
                extra={"action": "store_list_uploads_failed"},
            )
            return
        for upload_id in stale:
            logger.info(
                "AspectFile: Aborting multipart upload %s of s3://%s/%s, left by an interrupted attempt",
                upload_id,
                bucket,
                key,
                extra={"action": "store_stale_removed"},
            )
            self._abort(bucket, key, upload_id)

    def _completed_anyway(self, bucket: str, key: str, payload: Payload) -> bool:
        try:
            head = self._head(bucket, key)
        except vendor_errors():
            # The store is still failing, so as far as we know the completion did not land.
            return False
        if head is None or head["ContentLength"] != payload.size:
            return False
        return _digest_matches(head, payload) is True

    def _head(self, bucket: str, key: str) -> Mapping[str, Any] | None:
        """Return the object's metadata read from the server, or None when it does not exist."""
        try:
            head: Mapping[str, Any] = self.fs.call_s3(
                "head_object", Bucket=bucket, Key=key, ChecksumMode="ENABLED"
            )
        except FileNotFoundError as error:
            if s3_error_code(error) == "NoSuchBucket":
                raise
            return None
        return head

    def _download_sha256(self, bucket: str, key: str) -> str:
        path = f"{bucket}/{key}"
        self.fs.invalidate_cache(path)
        with self.fs.open(path, "rb", cache_type="none") as stored:
            return sha256_of(stored)


def _split(path: str) -> tuple[str, str]:
    bucket, _, key = path.partition("/")
    return bucket, key


def _digest_matches(head: Mapping[str, Any], payload: Payload) -> bool | None:
    """Compare the object's reported checksum or ETag with the payload's; None when neither
    can be compared (no checksum and an encrypted ETag, or a different part count)."""
    checksum = head.get("ChecksumSHA256")
    if checksum:
        if not _same_parts(checksum, payload):
            return None
        return bool(checksum == payload.s3_checksum())

    if head.get("ServerSideEncryption") in _ENCRYPTED_ETAG or head.get("SSECustomerAlgorithm"):
        return None
    etag = str(head.get("ETag", "")).strip('"')
    if not etag:
        return None
    if not _same_parts(etag, payload):
        return None
    return etag == payload.s3_etag()


def _same_parts(reported: str, payload: Payload) -> bool:
    """Return True when *reported* (``digest`` or ``digest-N``) has the payload's part layout."""
    _, dash, count = reported.rpartition("-")
    if not dash:
        return not payload.multipart
    return payload.multipart and count == str(payload.part_count)


def _is_precondition_failure(error: BaseException) -> bool:
    return isinstance(error, FileExistsError) or s3_error_code(error) in (
        "PreconditionFailed",
        "412",
    )


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


__all__ = ["S3Publisher"]
