"""Settings of the object store, read from the environment and checked at start-up.

Credentials are not settings: S3 stores take them from the standard AWS chain
(environment variables, shared profile, instance or task role), so they are
never written to the database, a schema or these settings.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import attrs

from aspectfile_core.adapters.store_errors import InvalidStoreSetting
from aspectfile_core.i18n import N_
from aspectfile_core.ports import DELIVERY_KEYS, DeliveryOptions

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB
"""S3's smallest part of a multipart upload, except the last one."""
MAX_PART_SIZE = 5 * 1024 * MIB
"""S3's largest part."""
MAX_PARTS = 10_000
"""S3's largest number of parts in one multipart upload."""
DEFAULT_PART_SIZE = 8 * MIB
PART_SIZE_RANGE = N_("S3 parts must be between 5 MiB and 5 GiB")

CREDENTIAL_OPTIONS = frozenset(
    {
        "key",
        "secret",
        "token",
        "username",
        "password",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
    }
)
"""Storage options that would put S3 credentials in the configuration; they are rejected."""

ENVIRONMENT: Mapping[str, str] = {
    "endpoint_url": "ASPECTFILE_S3_ENDPOINT_URL",
    "region": "ASPECTFILE_S3_REGION",
    "addressing_style": "ASPECTFILE_S3_ADDRESSING_STYLE",
    "part_size": "ASPECTFILE_S3_PART_SIZE",
    "checksum": "ASPECTFILE_S3_CHECKSUM",
    "max_attempts": "ASPECTFILE_S3_MAX_ATTEMPTS",
    "connect_timeout": "ASPECTFILE_S3_CONNECT_TIMEOUT",
    "read_timeout": "ASPECTFILE_S3_READ_TIMEOUT",
    "create_root": "ASPECTFILE_STORE_CREATE_ROOT",
    "if_exists": "ASPECTFILE_STORE_IF_EXISTS",
    "completion_marker": "ASPECTFILE_STORE_COMPLETION_MARKER",
    "compression": "ASPECTFILE_STORE_COMPRESSION",
}
"""The environment variable of each setting."""

STORAGE_OPTIONS_VARIABLE = "ASPECTFILE_STORE_OPTIONS"

_SIZE = re.compile(r"^\s*(?P<number>\d+)\s*(?P<unit>|B|KiB|MiB|GiB)\s*$")
_UNITS = {"": 1, "B": 1, "KiB": 1024, "MiB": MIB, "GiB": 1024 * MIB}


def parse_size(text: str, *, setting: str = "size") -> int:
    """Return the bytes in *text*: an integer, optionally followed by B, KiB, MiB or GiB."""
    match = _SIZE.match(text)
    if match is None:
        raise InvalidStoreSetting(
            setting=setting,
            value=text,
            reason=N_("write a number of bytes, optionally followed by KiB, MiB or GiB"),
        )
    return int(match["number"]) * _UNITS[match["unit"]]


def _check_endpoint(instance: StoreSettings, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidStoreSetting(
            setting=ENVIRONMENT["endpoint_url"],
            value=value,
            reason=N_(
                "an endpoint URL needs a scheme and a host, such as "
                "http://minio.internal:9000 or https://s3.example.com"
            ),
        )


def _check_part_size(instance: StoreSettings, attribute: attrs.Attribute[Any], value: int) -> None:
    if not MIN_PART_SIZE <= value <= MAX_PART_SIZE:
        raise InvalidStoreSetting(
            setting=ENVIRONMENT["part_size"],
            value=value,
            reason=PART_SIZE_RANGE,
        )


def _check_choice(instance: StoreSettings, attribute: attrs.Attribute[Any], value: Any) -> None:
    choices = {
        "addressing_style": ("auto", "path", "virtual"),
        "checksum": ("sha256", "md5"),
    }[attribute.name]
    if value is not None and value not in choices:
        raise InvalidStoreSetting(
            setting=ENVIRONMENT[attribute.name],
            value=value,
            reason=N_("use one of the values listed in docs/storage.md"),
        )


def _check_positive(instance: StoreSettings, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise InvalidStoreSetting(
            setting=ENVIRONMENT[attribute.name],
            value=value,
            reason=N_("must be greater than 0"),
        )


@attrs.frozen
class StoreSettings:
    """Store settings: the S3 connection settings and the destination's delivery options.

    The S3 settings apply only when the store URL starts with ``s3://``.
    """

    endpoint_url: str | None = attrs.field(default=None, validator=_check_endpoint)
    """An S3-compatible endpoint such as MinIO's; None means AWS S3."""
    region: str | None = None
    """The S3 region; None lets the AWS chain decide (AWS_REGION, the profile)."""
    addressing_style: str | None = attrs.field(default=None, validator=_check_choice)
    """``path``, ``virtual`` or ``auto``; None means ``path`` with an endpoint URL, else ``auto``."""
    part_size: int = attrs.field(default=DEFAULT_PART_SIZE, validator=_check_part_size)
    """Bytes per multipart part, and the largest file sent in one PUT."""
    checksum: str = attrs.field(default="sha256", validator=_check_choice)
    """``sha256``: send x-amz-checksum-sha256 and compare it; ``md5``: send Content-MD5 and compare the ETag."""
    max_attempts: int = attrs.field(default=3, validator=_check_positive)
    """Tries per S3 request, including the first, before the batch is retried later."""
    connect_timeout: float = attrs.field(default=10.0, validator=_check_positive)
    """Seconds to wait for a connection to the S3 endpoint."""
    read_timeout: float = attrs.field(default=60.0, validator=_check_positive)
    """Seconds to wait for data from the S3 endpoint."""
    create_root: bool = True
    """Create the store's root folder when it is missing; False makes a missing one an error."""
    delivery: DeliveryOptions = attrs.field(factory=DeliveryOptions)
    """The destination's delivery options; a schema may override them."""

    @property
    def resolved_addressing_style(self) -> str:
        if self.addressing_style is not None:
            return self.addressing_style
        return "path" if self.endpoint_url else "auto"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> StoreSettings:
        """Read the ``ASPECTFILE_S3_*`` and ``ASPECTFILE_STORE_*`` variables; unset ones keep defaults.

        Raises :class:`InvalidStoreSetting` naming the variable of the first invalid value.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}

        def text(name: str) -> str | None:
            value = env.get(ENVIRONMENT[name], "").strip()
            return value or None

        for name in ("endpoint_url", "region", "addressing_style", "checksum"):
            if text(name) is not None:
                values[name] = text(name)
        if (size := text("part_size")) is not None:
            values["part_size"] = parse_size(size, setting=ENVIRONMENT["part_size"])
            if not MIN_PART_SIZE <= values["part_size"] <= MAX_PART_SIZE:
                raise InvalidStoreSetting(
                    setting=ENVIRONMENT["part_size"], value=size, reason=PART_SIZE_RANGE
                )
        if (attempts := text("max_attempts")) is not None:
            values["max_attempts"] = _parse_number(int, "max_attempts", attempts)
        for name in ("connect_timeout", "read_timeout"):
            if (seconds := text(name)) is not None:
                values[name] = _parse_number(float, name, seconds)
        if (flag := text("create_root")) is not None:
            values["create_root"] = _parse_flag("create_root", flag)

        delivery: dict[str, Any] = {}
        for name, kind in DELIVERY_KEYS.items():
            if (choice := text(name)) is not None:
                delivery[name] = _parse_choice(kind, name, choice)
        values["delivery"] = DeliveryOptions(**delivery)
        return cls(**values)


def _parse_number(kind: type[int] | type[float], name: str, text: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise InvalidStoreSetting(
            setting=ENVIRONMENT[name], value=text, reason=N_("must be a number")
        ) from None


def _parse_flag(name: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise InvalidStoreSetting(setting=ENVIRONMENT[name], value=text, reason=N_("use true or false"))


def _parse_choice(kind: Any, name: str, text: str) -> Any:
    try:
        return kind(text.lower())
    except ValueError:
        raise InvalidStoreSetting(
            setting=ENVIRONMENT[name],
            value=text,
            reason=N_("use one of the values listed in docs/storage.md"),
        ) from None


def storage_options_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the fsspec storage options in ``ASPECTFILE_STORE_OPTIONS``, a JSON object."""
    env = os.environ if environ is None else environ
    text = env.get(STORAGE_OPTIONS_VARIABLE, "").strip()
    if not text:
        return {}
    try:
        options = json.loads(text)
    except json.JSONDecodeError:
        options = None
    if not isinstance(options, dict):
        raise InvalidStoreSetting(
            setting=STORAGE_OPTIONS_VARIABLE,
            value=text,
            reason=N_(
                'write a JSON object, such as {"key_filename": "/etc/aspectfile/id_ed25519"}'
            ),
        )
    return options


def check_no_credentials(storage_options: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidStoreSetting` when S3 storage options carry credentials."""
    found = sorted(CREDENTIAL_OPTIONS.intersection(storage_options))
    if found:
        raise InvalidStoreSetting(
            setting=STORAGE_OPTIONS_VARIABLE,
            value=", ".join(found),
            reason=N_(
                "S3 credentials are not accepted in the configuration; set AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or use an instance role"
            ),
        )


def effective_part_size(size: int, part_size: int) -> int:
    """Return the part size for a file of *size* bytes: *part_size*, raised in whole MiB
    when the file would otherwise need more than S3's 10,000 parts."""
    needed = -(-size // MAX_PARTS)
    if needed <= part_size:
        return part_size
    return -(-needed // MIB) * MIB


__all__ = [
    "DEFAULT_PART_SIZE",
    "ENVIRONMENT",
    "MIN_PART_SIZE",
    "STORAGE_OPTIONS_VARIABLE",
    "StoreSettings",
    "check_no_credentials",
    "effective_part_size",
    "parse_size",
    "storage_options_from_environment",
]
