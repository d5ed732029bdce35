"""Classification of store errors, redaction of their messages, and their translation."""

from __future__ import annotations

import errno
import socket
from typing import Any

import paramiko
import pytest
from botocore import exceptions as boto

from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.store_errors import (
    BadEndpoint,
    BucketNotFound,
    CredentialsRejected,
    InvalidStoreSetting,
    StoreAccessDenied,
    StoreContext,
    StoreError,
    StoreRejected,
    StoreUnavailable,
    classify_store_error,
)
from aspectfile_core.domain.errors import ConfigurationError, TransientError
from aspectfile_core.i18n import translation
from aspectfile_core.redaction import redact

CONTEXT = StoreContext(
    operation="uploading",
    location="s3://dialer/out/a.txt",
    bucket="dialer",
    endpoint="http://minio.internal:9000",
)


def client_error(code: str, status: int, message: str = "", **extra: str) -> boto.ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message, **extra},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return boto.ClientError(response, "PutObject")  # type: ignore[arg-type]  # botocore's own response shape


def wrapped(cause: BaseException) -> OSError:
    """Return the OSError that s3fs raises for *cause*, with *cause* as its cause."""
    error = OSError(errno.EIO, str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "kind", "transient"),
    [
        pytest.param(
            client_error("NoSuchBucket", 404, BucketName="dialer"),
            BucketNotFound,
            False,
            id="no-such-bucket",
        ),
        pytest.param(
            client_error("AccessDenied", 403), StoreAccessDenied, False, id="access-denied"
        ),
        pytest.param(
            client_error("InvalidAccessKeyId", 403), CredentialsRejected, False, id="unknown-key"
        ),
        pytest.param(
            client_error("SignatureDoesNotMatch", 403),
            CredentialsRejected,
            False,
            id="bad-signature",
        ),
        pytest.param(
            client_error("ExpiredToken", 400), CredentialsRejected, False, id="expired-token"
        ),
        pytest.param(client_error("PermanentRedirect", 301), BadEndpoint, False, id="wrong-region"),
        pytest.param(client_error("SlowDown", 503), StoreUnavailable, True, id="slow-down"),
        pytest.param(
            client_error("InternalError", 500), StoreUnavailable, True, id="internal-error"
        ),
        pytest.param(client_error("", 502), StoreUnavailable, True, id="bad-gateway"),
        pytest.param(client_error("Throttling", 400), StoreUnavailable, True, id="throttling"),
        pytest.param(
            client_error("RequestTimeout", 400), StoreUnavailable, True, id="request-timeout"
        ),
        pytest.param(client_error("404", 404), BadEndpoint, False, id="bare-404"),
        pytest.param(
            client_error("EntityTooLarge", 400), StoreRejected, False, id="entity-too-large"
        ),
        pytest.param(
            wrapped(client_error("NoSuchBucket", 404)), BucketNotFound, False, id="s3fs-wrapped"
        ),
        pytest.param(
            boto.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
            StoreUnavailable,
            True,
            id="connection-refused",
        ),
        pytest.param(
            boto.ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"),
            StoreUnavailable,
            True,
            id="connect-timeout",
        ),
        pytest.param(
            boto.ReadTimeoutError(endpoint_url="http://127.0.0.1:9"),
            StoreUnavailable,
            True,
            id="read-timeout",
        ),
        pytest.param(boto.NoCredentialsError(), CredentialsRejected, False, id="no-credentials"),
        pytest.param(
            boto.SSLError(endpoint_url="https://x", error="CERTIFICATE_VERIFY_FAILED"),
            BadEndpoint,
            False,
            id="untrusted-certificate",
        ),
        pytest.param(
            ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
            StoreUnavailable,
            True,
            id="os-refused",
        ),
        pytest.param(
            TimeoutError(errno.ETIMEDOUT, "timed out"), StoreUnavailable, True, id="os-timeout"
        ),
        pytest.param(
            OSError(errno.ENOSPC, "No space left on device"), StoreUnavailable, True, id="disk-full"
        ),
        pytest.param(
            OSError(errno.ESTALE, "Stale file handle"), StoreUnavailable, True, id="stale-nfs"
        ),
        pytest.param(
            PermissionError(errno.EACCES, "Permission denied"),
            StoreAccessDenied,
            False,
            id="permission",
        ),
        pytest.param(
            OSError(errno.EROFS, "Read-only file system"), StoreAccessDenied, False, id="read-only"
        ),
        pytest.param(
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            BadEndpoint,
            False,
            id="unknown-host",
        ),
        pytest.param(
            socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
            StoreUnavailable,
            True,
            id="dns-down",
        ),
        pytest.param(
            paramiko.AuthenticationException("Authentication failed."),
            CredentialsRejected,
            False,
            id="ssh-login",
        ),
        pytest.param(
            paramiko.SSHException("Error reading SSH protocol banner"),
            StoreUnavailable,
            True,
            id="ssh-broken",
        ),
    ],
)
def test_error_classified(error: BaseException, kind: type[StoreError], transient: bool) -> None:
    """Each vendor error maps to one store error, transient or configuration."""
    classified = classify_store_error(error, CONTEXT)

    assert type(classified) is kind
    assert isinstance(classified, TransientError) is transient
    assert isinstance(classified, ConfigurationError) is not transient


def test_unknown_host_behind_botocore() -> None:
    """An endpoint whose host name does not resolve is a bad endpoint, not an outage."""
    error = boto.EndpointConnectionError(endpoint_url="http://minio.internal:9000")
    error.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    classified = classify_store_error(error, CONTEXT)

    assert isinstance(classified, BadEndpoint)
    assert "ASPECTFILE_S3_ENDPOINT_URL" in str(classified)


def test_bucket_message_names_bucket() -> None:
    """The missing-bucket message names the bucket and the endpoint, not a file."""
    classified = classify_store_error(
        client_error("NoSuchBucket", 404, BucketName="dialer"), CONTEXT
    )

    assert str(classified) == (
        "S3 bucket 'dialer' not found at http://minio.internal:9000; create it, or fix the "
        "bucket in ASPECTFILE_STORE_URL or in the batch"
    )


def test_messages_are_redacted() -> None:
    """Secrets in a vendor message or a location never reach the store error's message."""
    context = StoreContext(
        operation="uploading",
        location="sftp://dialer:hunter2@files.example/outbox/a.txt",
    )
    cause = OSError(
        errno.EIO, "failed: X-Amz-Signature=deadbeef&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"
    )

    message = str(classify_store_error(cause, context))

    assert "hunter2" not in message
    assert "deadbeef" not in message
    assert "AKIAIOSFODNN7EXAMPLE" not in message


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        pytest.param(
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260504/us-east-1/s3/aws4_request, Signature=abc123",
            "abc123",
            id="authorization-header",
        ),
        pytest.param('{"password": "hunter2", "user": "dialer"}', "hunter2", id="json-password"),
        pytest.param(
            "{'aws_secret_access_key': 'wJalrXUtnFEMI/K7MDENG'}",
            "wJalrXUtnFEMI",
            id="python-dict-secret",
        ),
        pytest.param(
            "x-amz-security-token: FwoGZXIvYXdzEJr", "FwoGZXIvYXdzEJr", id="security-token-header"
        ),
        pytest.param(
            "Credential=AKIDEXAMPLE/20260504, Signature=ff00ff", "ff00ff", id="bare-signature"
        ),
    ],
)
def test_redact_store_secrets(text: str, secret: str) -> None:
    """Credentials as S3 and SFTP errors print them are masked."""
    assert secret not in redact(text)


def test_message_translated_to_portuguese() -> None:
    """A store error renders in Brazilian Portuguese, operation included."""
    classified = classify_store_error(
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), CONTEXT
    )

    message = classified.translated(translation("pt_BR").gettext)

    assert message.startswith("falha ao enviar s3://dialer/out/a.txt: Connection refused")
    assert "Connection refused" in message


def test_setting_error_translated() -> None:
    """An invalid setting names the variable, and its reason is translated too."""
    error = InvalidStoreSetting(
        setting="ASPECTFILE_S3_PART_SIZE",
        value=1024,
        reason="S3 parts must be between 5 MiB and 5 GiB",
    )

    message = error.translated(translation("pt_BR").gettext)

    assert (
        str(error)
        == "ASPECTFILE_S3_PART_SIZE '1024' is invalid: S3 parts must be between 5 MiB and 5 GiB"
    )
    assert message.startswith("ASPECTFILE_S3_PART_SIZE: o valor '1024' é inválido")
    assert "5 MiB" in message


def test_store_url_error_names_option_and_variable() -> None:
    """An unusable store URL names both places it can come from, in the operator's language."""
    with pytest.raises(InvalidStoreSetting) as caught:
        FsspecObjectStore("nosuchprotocol://bucket")

    assert str(caught.value).startswith(
        "store URL (--store or ASPECTFILE_STORE_URL) 'nosuchprotocol://bucket' is invalid"
    )
    assert caught.value.translated(translation("pt_BR").gettext).startswith(
        "a URL do armazenamento (--store ou ASPECTFILE_STORE_URL): o valor"
    )
