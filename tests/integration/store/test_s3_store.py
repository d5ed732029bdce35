"""The S3 store against moto's server over HTTP on 127.0.0.1, through s3fs and endpoint_url."""

from __future__ import annotations

import base64
import hashlib
import http.server
import random
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.publishing import read_payload
from aspectfile_core.adapters.s3_publisher import S3Publisher
from aspectfile_core.adapters.store_errors import (
    BadEndpoint,
    BucketNotFound,
    CredentialsRejected,
    InvalidStoreSetting,
    StoreAccessDenied,
    StoreUnavailable,
    VerificationFailed,
)
from aspectfile_core.adapters.store_settings import MIB
from aspectfile_core.domain.errors import ConfigurationError, TransientError
from aspectfile_core.ports import CompletionMarker, DeliveryOptions
from tests.integration.store.conftest import PART_SIZE, MotoS3, free_port, s3_settings, write_file

StoreFactory = Callable[..., FsspecObjectStore]


def content(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize(
    ("size", "parts"),
    [
        pytest.param(1024, 0, id="1KiB-one-put"),
        pytest.param(5 * MIB, 0, id="5MiB-one-put"),
        pytest.param(5 * MIB + 1, 2, id="5MiB+1-two-parts"),
        pytest.param(12 * MIB, 3, id="12MiB-three-parts"),
    ],
)
def test_upload_matches_local_file(
    moto: MotoS3, s3_store: StoreFactory, tmp_path: Path, size: int, parts: int
) -> None:
    """Files of every size arrive whole, with the size and SHA-256 of the local file."""
    bucket = moto.new_bucket()
    data = content(size)
    local = write_file(tmp_path, "calls.txt", data)

    stored = s3_store().store(local, bucket=bucket, file_path="out/calls.txt", record_count=1)

    assert stored.path == f"s3://{bucket}/out/calls.txt"
    assert stored.size == size
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert moto.read(bucket, "out/calls.txt") == data
    head = moto.client().head_object(Bucket=bucket, Key="out/calls.txt", ChecksumMode="ENABLED")
    assert head["ContentLength"] == size
    reported_parts = head["ETag"].strip('"').partition("-")[2]
    assert reported_parts == (str(parts) if parts else "")
    assert "ChecksumSHA256" in head
    assert moto.pending_uploads(bucket) == []


@pytest.mark.parametrize(
    "size", [pytest.param(1024, id="one-put"), pytest.param(6 * MIB, id="parts")]
)
def test_md5_mode_verifies_etag(
    moto: MotoS3, s3_store: StoreFactory, tmp_path: Path, size: int
) -> None:
    """With checksum = md5 the requests carry Content-MD5 and the ETag is compared."""
    bucket = moto.new_bucket()
    data = content(size)
    local = write_file(tmp_path, "calls.txt", data)

    stored = s3_store(checksum="md5").store(local, bucket=bucket, file_path="a.txt", record_count=1)

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    head = moto.client().head_object(Bucket=bucket, Key="a.txt", ChecksumMode="ENABLED")
    assert "ChecksumSHA256" not in head
    assert moto.read(bucket, "a.txt") == data


def test_missing_bucket_names_bucket(s3_store: StoreFactory, moto: MotoS3, tmp_path: Path) -> None:
    """A missing bucket is a configuration error that names the bucket and the endpoint."""
    local = write_file(tmp_path, "a.txt", b"data\n")

    with pytest.raises(
        BucketNotFound, match=r"S3 bucket 'no-such-bucket' not found at http://127\.0\.0\.1"
    ) as raised:
        s3_store().store(local, bucket="no-such-bucket", file_path="a.txt", record_count=1)

    assert isinstance(raised.value, ConfigurationError)
    assert "file not found" not in str(raised.value).lower()


def test_stopped_server_is_transient(own_moto: MotoS3, tmp_path: Path) -> None:
    """A server that refuses connections gives a transient error."""
    bucket = own_moto.new_bucket()
    store = FsspecObjectStore("s3://", settings=s3_settings(own_moto.url))
    local = write_file(tmp_path, "a.txt", b"data\n")
    own_moto.stop()

    with pytest.raises(StoreUnavailable, match=r"uploading s3://.*/a\.txt failed") as raised:
        store.store(local, bucket=bucket, file_path="a.txt", record_count=1)

    assert isinstance(raised.value, TransientError)


def test_failing_progress_aborts_multipart(
    moto: MotoS3, s3_store: StoreFactory, tmp_path: Path
) -> None:
    """An error between parts aborts the multipart upload and leaves no object."""
    bucket = moto.new_bucket()
    local = write_file(tmp_path, "big.txt", content(12 * MIB))

    def fail_after_first_part(sent: int, total: int) -> None:
        raise OSError(5, "source disk failed")

    store = s3_store(on_progress=fail_after_first_part)
    with pytest.raises(TransientError, match="source disk failed"):
        store.store(local, bucket=bucket, file_path="big.txt", record_count=1)

    assert moto.keys(bucket) == []
    assert moto.pending_uploads(bucket) == []


def test_server_lost_mid_upload_recovers(own_moto: MotoS3, tmp_path: Path) -> None:
    """A server lost between parts leaves no object; the next attempt aborts the leftover upload."""
    bucket = own_moto.new_bucket()
    local = write_file(tmp_path, "big.txt", content(11 * MIB))
    parts_sent: list[int] = []

    def stop_server_once(sent: int, total: int) -> None:
        parts_sent.append(sent)
        if len(parts_sent) == 1:
            own_moto.stop()

    store = FsspecObjectStore(
        "s3://", settings=s3_settings(own_moto.url), on_progress=stop_server_once
    )
    with pytest.raises(TransientError, match="uploading"):
        store.store(local, bucket=bucket, file_path="big.txt", record_count=1)
    own_moto.start()

    assert own_moto.keys(bucket) == []
    assert own_moto.pending_uploads(bucket) == ["big.txt"]

    stored = store.store(local, bucket=bucket, file_path="big.txt", record_count=1)

    assert stored.size == 11 * MIB
    assert own_moto.keys(bucket) == ["big.txt"]
    assert own_moto.pending_uploads(bucket) == []


def test_verify_rejects_other_content(moto: MotoS3, s3_store: StoreFactory, tmp_path: Path) -> None:
    """Verification compares the checksum read fresh from the server with the local file."""
    bucket = moto.new_bucket()
    stored_file = write_file(tmp_path, "stored.txt", b"one content\n")
    other_file = write_file(tmp_path, "other.txt", b"two content\n")
    s3_store().store(stored_file, bucket=bucket, file_path="a.txt", record_count=1)
    publisher = S3Publisher(s3_store()._open_publisher().fs, checksum="sha256")  # type: ignore[attr-defined]  # the S3 publisher has fs

    with pytest.raises(VerificationFailed, match="the checksum differs"):
        publisher.verify(f"{bucket}/a.txt", read_payload(other_file, PART_SIZE))


def test_marker_failure_removes_file(moto: MotoS3, s3_store: StoreFactory, tmp_path: Path) -> None:
    """When the marker cannot be written, the data file is removed as well."""
    bucket = moto.new_bucket()
    local = write_file(tmp_path, "a.txt", b"data\n")
    user = "writer-without-markers"
    iam = moto.client("iam")
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="no-markers",
        PolicyDocument=_policy(
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*.done",
            },
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    store = s3_store(delivery=DeliveryOptions(completion_marker=CompletionMarker.DONE))

    with (
        _credentials(moto, key["AccessKeyId"], key["SecretAccessKey"]),
        pytest.raises(StoreAccessDenied, match="writing the completion marker"),
    ):
        store.store(local, bucket=bucket, file_path="a.txt", record_count=1)

    assert moto.keys(bucket) == []


@pytest.mark.parametrize(
    ("key_id", "secret_kind", "error", "message"),
    [
        pytest.param(
            "AKIAUNKNOWN000000000",
            "right",
            CredentialsRejected,
            "InvalidAccessKeyId",
            id="unknown-key",
        ),
        pytest.param(
            None, "wrong", CredentialsRejected, "SignatureDoesNotMatch", id="wrong-secret"
        ),
    ],
)
def test_rejected_credentials_are_configuration(
    moto: MotoS3,
    s3_store: StoreFactory,
    tmp_path: Path,
    key_id: str | None,
    secret_kind: str,
    error: type[Exception],
    message: str,
) -> None:
    """An unknown access key or a wrong secret is a configuration error, and no key is shown."""
    bucket = moto.new_bucket()
    local = write_file(tmp_path, "a.txt", b"data\n")
    real = _writer(moto, "writer-" + secret_kind)
    secret = real["SecretAccessKey"] if secret_kind == "right" else "not-the-secret-0000000000"

    with (
        _credentials(moto, key_id or real["AccessKeyId"], secret),
        pytest.raises(error, match=message) as raised,
    ):
        s3_store().store(local, bucket=bucket, file_path="a.txt", record_count=1)

    assert isinstance(raised.value, ConfigurationError)
    assert "AKIA" not in str(raised.value)
    assert secret not in str(raised.value)


def test_denied_user_is_configuration(moto: MotoS3, s3_store: StoreFactory, tmp_path: Path) -> None:
    """Credentials without s3:PutObject give an access-denied configuration error."""
    bucket = moto.new_bucket()
    local = write_file(tmp_path, "a.txt", b"data\n")
    iam = moto.client("iam")
    iam.create_user(UserName="reader")
    key = iam.create_access_key(UserName="reader")["AccessKey"]

    with (
        _credentials(moto, key["AccessKeyId"], key["SecretAccessKey"]),
        pytest.raises(StoreAccessDenied, match="access denied uploading"),
    ):
        s3_store().store(local, bucket=bucket, file_path="a.txt", record_count=1)


class _FixedResponse(http.server.BaseHTTPRequestHandler):
    """Responds to every request with the class's status, headers and body."""

    status = 503
    body = b""
    content_type = "application/xml"

    def _respond(self) -> None:
        # The request body is not read: botocore may wait for "100 Continue" before sending it.
        self.close_connection = True
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _respond

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


def _s3_error(code: str, message: str) -> bytes:
    return f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()


@pytest.fixture
def fixed_response_server() -> Iterator[Callable[[int, bytes, str], str]]:
    """Start HTTP servers on 127.0.0.1 that send one fixed response, and return their URLs."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(status: int, body: bytes, content_type: str) -> str:
        handler = type(
            "Handler",
            (_FixedResponse,),
            {"status": status, "body": body, "content_type": content_type},
        )
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error", "message"),
    [
        pytest.param(
            503,
            _s3_error("SlowDown", "Please reduce your request rate."),
            "application/xml",
            StoreUnavailable,
            "SlowDown",
            id="throttled",
        ),
        pytest.param(
            500,
            _s3_error("InternalError", "We encountered an internal error."),
            "application/xml",
            StoreUnavailable,
            "InternalError",
            id="internal-error",
        ),
        pytest.param(429, b"", "text/plain", StoreUnavailable, "429", id="too-many-requests"),
        pytest.param(
            404,
            b"<html><body>Not Found</body></html>",
            "text/html",
            BadEndpoint,
            "ASPECTFILE_S3_ENDPOINT_URL",
            id="not-an-s3-server",
        ),
    ],
)
def test_server_answers_are_classified(
    fixed_response_server: Callable[[int, bytes, str], str],
    tmp_path: Path,
    status: int,
    body: bytes,
    content_type: str,
    error: type[Exception],
    message: str,
) -> None:
    """Throttling and 5xx responses are transient, and a server that is not S3 is a bad endpoint."""
    url = fixed_response_server(status, body, content_type)
    store = FsspecObjectStore("s3://", settings=s3_settings(url))
    local = write_file(tmp_path, "a.txt", b"data\n")

    with pytest.raises(error, match=message):
        store.store(local, bucket="dialer", file_path="a.txt", record_count=1)


def test_silent_server_times_out(tmp_path: Path) -> None:
    """A server that accepts the connection but never answers gives a transient timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        store = FsspecObjectStore("s3://", settings=s3_settings(url, read_timeout=0.2))
        local = write_file(tmp_path, "a.txt", b"data\n")

        with pytest.raises(StoreUnavailable, match="timeout"):
            store.store(local, bucket="dialer", file_path="a.txt", record_count=1)


def test_unused_port_is_transient(tmp_path: Path) -> None:
    """Connection refused (nothing listens on the port) is transient."""
    store = FsspecObjectStore("s3://", settings=s3_settings(f"http://127.0.0.1:{free_port()}"))
    local = write_file(tmp_path, "a.txt", b"data\n")

    with pytest.raises(StoreUnavailable, match="Could not connect"):
        store.store(local, bucket="dialer", file_path="a.txt", record_count=1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"key": "AKIAIOSFODNN7EXAMPLE"}, "key", id="key"),
        pytest.param({"secret": "wJalrXUtnFEMI/K7MDENG"}, "secret", id="secret"),
        pytest.param({"token": "FwoGZXIvYXdzE"}, "token", id="token"),
    ],
)
def test_credentials_in_options_rejected(options: dict[str, str], message: str) -> None:
    """Credentials in the storage options are rejected at start-up, and not echoed back."""
    with pytest.raises(
        InvalidStoreSetting, match=f"ASPECTFILE_STORE_OPTIONS '{message}'"
    ) as raised:
        FsspecObjectStore("s3://dialer", options, settings=s3_settings("http://127.0.0.1:9"))

    assert next(iter(options.values())) not in str(raised.value)


def test_no_bucket_is_rejected(s3_store: StoreFactory, tmp_path: Path) -> None:
    """An S3 store URL without a bucket and a batch without one leave no place for the file."""
    local = write_file(tmp_path, "a.txt", b"data\n")

    with pytest.raises(ConfigurationError, match="no bucket"):
        s3_store().store(local, bucket="", file_path="a.txt", record_count=1)


def test_prefix_in_store_url(moto: MotoS3, tmp_path: Path) -> None:
    """``s3://bucket/prefix`` puts files under the prefix of that bucket."""
    bucket = moto.new_bucket()
    store = FsspecObjectStore(f"s3://{bucket}/outbox", settings=s3_settings(moto.url))
    local = write_file(tmp_path, "a.txt", b"data\n")

    stored = store.store(local, bucket="", file_path="day/a.txt", record_count=1)

    assert stored.path == f"s3://{bucket}/outbox/day/a.txt"
    assert moto.keys(bucket) == ["outbox/day/a.txt"]


def test_store_check_leaves_nothing(moto: MotoS3, s3_store: StoreFactory) -> None:
    """The store check writes, verifies and deletes a probe object."""
    bucket = moto.new_bucket()

    where = s3_store().check(bucket=bucket)

    assert where.startswith(f"s3://{bucket}/.aspectfile-check-")
    assert moto.keys(bucket) == []


def test_sha256_checksum_sent_with_request(
    moto: MotoS3, s3_store: StoreFactory, tmp_path: Path
) -> None:
    """The checksum the server stores is the SHA-256 computed from the local file."""
    bucket = moto.new_bucket()
    data = b"id;phone\n1;11987654321\n"
    local = write_file(tmp_path, "a.txt", data)

    s3_store().store(local, bucket=bucket, file_path="a.txt", record_count=1)

    head = moto.client().head_object(Bucket=bucket, Key="a.txt", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()


def _policy(*statements: dict[str, object]) -> str:
    import json

    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _writer(moto: MotoS3, user: str) -> dict[str, str]:
    """Create an IAM user allowed everything in S3 and return its access key."""
    iam = moto.client("iam")
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="s3-all",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    )
    key: dict[str, str] = iam.create_access_key(UserName=user)["AccessKey"]
    return key


class _credentials:
    """Switch moto's credential checks on and put the given key in the environment."""

    def __init__(self, moto: MotoS3, key_id: str, secret: str) -> None:
        self.moto = moto
        self.key_id = key_id
        self.secret = secret
        self.patch = pytest.MonkeyPatch()

    def __enter__(self) -> None:
        self.patch.setenv("AWS_ACCESS_KEY_ID", self.key_id)
        self.patch.setenv("AWS_SECRET_ACCESS_KEY", self.secret)
        self.moto.require_credentials(True)

    def __exit__(self, *exc: object) -> None:
        self.moto.require_credentials(False)
        self.patch.undo()
