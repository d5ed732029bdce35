"""Errors of the object store, and the one place that classifies vendor errors.

:func:`classify_store_error` turns what botocore, s3fs, paramiko or the
operating system raised into a :class:`StoreError` that is either transient
(the batch goes back to PENDING with backoff) or a configuration error (the
batch is FAILED until an operator fixes the setup and reprocesses it).

Every :class:`StoreError` keeps an English message template marked for
translation and the values that fill it, so an operator screen can show it in
the operator's language with :meth:`StoreError.translated`. Every value is
redacted before it goes into a message.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import attrs

from aspectfile_core.domain.errors import AspectFileError, ConfigurationError, TransientError
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.redaction import redact


class StoreError(AspectFileError):
    """A failure of the object store; :attr:`template` and :attr:`params` make its message."""

    template: ClassVar[str] = N_("storing {location} failed: {reason}")
    translated_params: ClassVar[tuple[str, ...]] = ("operation",)
    """Parameters whose values are themselves messages marked for translation."""

    def __init__(self, **params: object) -> None:
        self.params: dict[str, str] = {key: redact(str(value)) for key, value in params.items()}
        values: dict[str, str | Message] = {
            key: Message(value) if key in self.translated_params else value
            for key, value in self.params.items()
        }
        super().__init__(Message(self.template, values))


class StoreUnavailable(StoreError, TransientError):
    """The store did not respond, timed out, was throttling or had an internal error."""

    template = N_("{operation} {location} failed: {reason}; the store may be down or busy")


class VerificationFailed(StoreError, TransientError):
    """The stored object does not match the local file; it was removed where possible."""

    template = N_(
        "stored file {location} does not match the generated file: {detail}; "
        "it is uploaded again on the next attempt"
    )


class BucketNotFound(StoreError, ConfigurationError):
    """The S3 bucket does not exist at the endpoint."""

    template = N_(
        "S3 bucket {bucket!r} not found at {endpoint}; create it, or fix the bucket "
        "in ASPECTFILE_STORE_URL or in the batch"
    )


class StoreAccessDenied(StoreError, ConfigurationError):
    """The credentials or the folder permissions do not allow the operation."""

    template = N_(
        "access denied {operation} {location}: {reason}; grant the worker's credentials "
        "or user read, write and delete access there"
    )


class CredentialsRejected(StoreError, ConfigurationError):
    """The store does not accept the credentials, or none were found."""

    template = N_(
        "the store rejected the credentials while {operation} {location}: {reason}; "
        "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role "
        "(for SFTP, the user in ASPECTFILE_STORE_URL and the key in ASPECTFILE_STORE_OPTIONS)"
    )


class BadEndpoint(StoreError, ConfigurationError):
    """The endpoint is not an S3 server, is unknown, or its certificate is not trusted."""

    template = N_(
        "the store endpoint {endpoint} cannot be used while {operation} {location}: {reason}; "
        "check ASPECTFILE_S3_ENDPOINT_URL (or the host in ASPECTFILE_STORE_URL)"
    )


class StoreFolderNotFound(StoreError, ConfigurationError):
    """The store's root folder does not exist and may not be created."""

    template = N_(
        "store folder {location} does not exist; create it or mount the share, "
        "or set ASPECTFILE_STORE_CREATE_ROOT=true"
    )


class StoreRejected(StoreError, ConfigurationError):
    """The store refused the request for a reason that a retry will not change."""

    template = N_("{operation} {location} was rejected by the store: {reason}")


class ObjectExists(StoreError, ConfigurationError):
    """An object with other content is at the file's name, and the policy forbids replacing it."""

    template = N_(
        "{location} already exists with different content and if_exists is 'fail'; "
        "move the object away or set if_exists to 'overwrite' or 'suffix', then reprocess the batch"
    )


class NoFreeName(StoreError, ConfigurationError):
    """Every suffixed name that if_exists = 'suffix' tries is taken."""

    template = N_(
        "{location} and its suffixed names up to {last} already exist; "
        "clean up the folder or the bucket, then reprocess the batch"
    )


class EmptyFile(StoreError, ConfigurationError):
    """The generated file has no bytes; an empty object looks like a failed upload to a dialer."""

    template = N_(
        "the generated file for {location} is empty (0 bytes) and is not delivered; "
        "add a header record to the schema or set empty_batch = 'fail'"
    )


class InvalidStoreSetting(StoreError, ConfigurationError, ValueError):
    """A store setting has an invalid value; raised when the configuration is read."""

    template = N_("{setting} {value!r} is invalid: {reason}")
    translated_params = ("reason", "setting")
    """Setting names are variables, left as they are by gettext, or phrases marked for it."""

    def __init__(self, *, setting: str, value: object, reason: str) -> None:
        self.setting = setting
        super().__init__(setting=setting, value=value, reason=reason)


@attrs.frozen
class StoreContext:
    """The operation in progress and its location, for the message of the error it may raise."""

    operation: str
    """A verb phrase such as ``"uploading"`` or ``"checking"``."""
    location: str
    """The object's URL or path, without credentials."""
    bucket: str = ""
    endpoint: str = ""
    """The S3 endpoint URL or the SFTP host; empty for local folders."""


# S3 error codes as botocore reports them in ClientError.response["Error"]["Code"].
_S3_TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestThrottled",
        "TooManyRequestsException",
        "RequestTimeout",
        "RequestTimeoutException",
        "OperationAborted",
        "NoSuchUpload",
        "BadDigest",
        "XAmzContentSHA256Mismatch",
        "IncompleteBody",
    }
)
_S3_CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "RequestTimeTooSkewed",
        "AuthorizationHeaderMalformed",
        "MissingSecurityHeader",
        "CredentialsNotSupported",
    }
)
_S3_ACCESS_CODES = frozenset(
    {"AccessDenied", "AllAccessDisabled", "AccountProblem", "InvalidObjectState", "NotSignedUp"}
)
_S3_ENDPOINT_CODES = frozenset(
    {"PermanentRedirect", "Redirect", "TemporaryRedirect", "IllegalLocationConstraintException"}
)

_TRANSIENT_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.ETIMEDOUT,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EPIPE,
        errno.ESTALE,
        errno.EIO,
        errno.EAGAIN,
        errno.EBUSY,
        errno.ENOSPC,
        errno.EDQUOT,
    }
)
_ACCESS_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def _chain(error: BaseException) -> Iterator[BaseException]:
    """Yield *error* and its causes and contexts, each once, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _find(error: BaseException, kind: type[BaseException] | tuple[type[BaseException], ...]) -> Any:
    return next((item for item in _chain(error) if isinstance(item, kind)), None)


def _make(kind: type[StoreError], context: StoreContext, **values: object) -> StoreError:
    """Build *kind* from the context's fields and *values*; templates use the fields they need."""
    return kind(**{**attrs.asdict(context), **values})


def _s3_response(error: BaseException) -> Mapping[str, Any] | None:
    """Return the parsed S3 error response of a botocore ClientError in the chain, if any."""
    for item in _chain(error):
        response = getattr(item, "response", None)
        if isinstance(response, Mapping) and isinstance(response.get("Error"), Mapping):
            return response
    return None


def s3_error_code(error: BaseException) -> str | None:
    """Return the S3 error code (``NoSuchBucket``, ``404``…) carried by *error* or its causes."""
    response = _s3_response(error)
    if response is None:
        return None
    return str(response["Error"].get("Code") or "") or None


def _classify_s3(response: Mapping[str, Any], context: StoreContext) -> StoreError:
    details = response["Error"]
    code = str(details.get("Code") or "")
    message = str(details.get("Message") or "")
    raw_status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    status = int(raw_status) if raw_status is not None else None
    if status is None and code.isdigit():
        status = int(code)
    label = code or f"HTTP {status}"
    if code and status and code != str(status):
        label = f"{code} (HTTP {status})"
    reason = f"{label}: {message}" if message and message != code else label

    if code == "NoSuchBucket":
        bucket = details.get("BucketName") or context.bucket
        return _make(BucketNotFound, context, bucket=bucket, endpoint=context.endpoint or "AWS S3")
    if code in _S3_CREDENTIAL_CODES:
        return _make(CredentialsRejected, context, reason=reason)
    if code in _S3_ACCESS_CODES or status == 403:
        return _make(StoreAccessDenied, context, reason=reason)
    if code in _S3_ENDPOINT_CODES or status in (301, 307):
        return _make(BadEndpoint, context, reason=reason)
    if code in _S3_TRANSIENT_CODES or status == 429 or (status is not None and status >= 500):
        return _make(StoreUnavailable, context, reason=reason)
    if (not code or code.isdigit()) and status in (400, 404, 405):
        # A bare HTTP status without an S3 error document: the endpoint is not an S3 server.
        return _make(BadEndpoint, context, reason=f"HTTP {status} without an S3 error response")
    return _make(StoreRejected, context, reason=reason)


_UNKNOWN_HOST_ERRNOS = frozenset(
    {getattr(socket, "EAI_NONAME", -2), getattr(socket, "EAI_NODATA", -5)}
)


def _classify_botocore(error: BaseException, context: StoreContext) -> StoreError | None:
    try:
        from botocore import exceptions as boto
    except ImportError:  # without the s3 extra no botocore error can occur
        return None

    found = _find(error, boto.BotoCoreError)
    if found is None:
        return None
    reason = str(found)

    credentials = (
        boto.NoCredentialsError,
        boto.PartialCredentialsError,
        boto.ProfileNotFound,
        boto.NoRegionError,
    )
    if isinstance(found, credentials):
        return _make(CredentialsRejected, context, reason=reason)
    if isinstance(found, boto.SSLError) and "CERTIFICATE_VERIFY_FAILED" in reason:
        return _make(BadEndpoint, context, reason=reason)
    if isinstance(found, boto.EndpointConnectionError):
        resolver = _find(error, socket.gaierror)
        if resolver is not None and resolver.errno in _UNKNOWN_HOST_ERRNOS:
            return _make(BadEndpoint, context, reason=f"host not found ({resolver})")
    if isinstance(found, (boto.ParamValidationError, boto.InvalidEndpointConfigurationError)):
        return _make(BadEndpoint, context, reason=reason)
    return _make(StoreUnavailable, context, reason=reason)


def _classify_ssh(error: BaseException, context: StoreContext) -> StoreError | None:
    try:
        import paramiko
    except ImportError:  # without the sftp extra no paramiko error can occur
        return None

    rejected = _find(error, (paramiko.AuthenticationException, paramiko.BadHostKeyException))
    if rejected is not None:
        return _make(CredentialsRejected, context, reason=str(rejected))
    found = _find(error, paramiko.SSHException)
    if found is not None:
        return _make(StoreUnavailable, context, reason=str(found) or type(found).__name__)
    return None


def _classify_os_error(error: OSError, context: StoreContext) -> StoreError:
    reason = error.strerror or str(error)

    if isinstance(error, socket.gaierror):
        if error.errno in _UNKNOWN_HOST_ERRNOS:
            return _make(BadEndpoint, context, reason=f"host not found ({error})")
        return _make(StoreUnavailable, context, reason=str(error))
    if isinstance(error, PermissionError) or error.errno in _ACCESS_ERRNOS:
        return _make(StoreAccessDenied, context, reason=reason)
    if isinstance(error, (ConnectionError, TimeoutError)) or error.errno in _TRANSIENT_ERRNOS:
        return _make(StoreUnavailable, context, reason=reason)
    if isinstance(error, (FileNotFoundError, NotADirectoryError, IsADirectoryError)):
        return _make(
            StoreRejected, context, reason=f"{reason}: {error.filename or context.location}"
        )
    return _make(StoreUnavailable, context, reason=reason)


VENDOR_ERRORS: tuple[type[BaseException], ...] = (OSError, ssl.SSLError, TimeoutError)
"""Errors that :func:`classify_store_error` translates; botocore and paramiko errors are added
when those packages are installed."""


def vendor_errors() -> tuple[type[BaseException], ...]:
    """Return the exception classes that the store catches and classifies."""
    found: list[type[BaseException]] = list(VENDOR_ERRORS)
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        found += [BotoCoreError, ClientError]
    except ImportError:  # without the s3 extra there is no botocore error to catch
        pass
    try:
        from paramiko import SSHException

        found.append(SSHException)
    except ImportError:  # without the sftp extra there is no paramiko error to catch
        pass
    return tuple(found)


def classify_store_error(error: BaseException, context: StoreContext) -> StoreError:
    """Return the :class:`StoreError` that *error*, raised by a store library, stands for.

    S3 error codes decide first (a missing bucket, rejected credentials,
    throttling), then botocore's connection errors, then SSH errors, then the
    operating system's errno. Anything else is transient, so the batch is
    retried within its attempt budget.
    """
    if isinstance(error, StoreError):
        return error

    response = _s3_response(error)
    if response is not None:
        return _classify_s3(response, context)

    for classify in (_classify_botocore, _classify_ssh):
        classified = classify(error, context)
        if classified is not None:
            return classified

    os_error = _find(error, OSError)
    if os_error is not None:
        return _classify_os_error(os_error, context)

    return _make(StoreUnavailable, context, reason=str(error) or type(error).__name__)


__all__ = [
    "BadEndpoint",
    "BucketNotFound",
    "CredentialsRejected",
    "EmptyFile",
    "InvalidStoreSetting",
    "NoFreeName",
    "ObjectExists",
    "StoreAccessDenied",
    "StoreContext",
    "StoreError",
    "StoreFolderNotFound",
    "StoreRejected",
    "StoreUnavailable",
    "VerificationFailed",
    "classify_store_error",
    "s3_error_code",
    "vendor_errors",
]
