"""Errors raised while rendering, reading and checking files for a schema."""

from __future__ import annotations

from aspectfile_core.domain.errors import AspectFileError, ConfigurationError
from aspectfile_core.domain.messages import Message


class RecordRenderError(ConfigurationError):
    """A header or trailer record cannot be rendered, such as a record count too long for its field.

    Unlike a lead's problem, this stops the whole file: the schema needs a wider
    field or another setting before the batch can succeed.
    """

    def __init__(
        self, schema_name: str, record: str, code: str, field: str, value: str | None, message: str
    ) -> None:
        self.schema_name = schema_name
        self.record = record
        self.code = code
        self.field = field
        self.value = value
        super().__init__(f"schema {schema_name!r}: {message}")


class BatchPolicyError(ConfigurationError):
    """A batch breaks one of its schema's batch policies and must be marked FAILED.

    :attr:`policy` is ``invalid_leads``, ``max_invalid_ratio`` or ``empty_batch``.
    """

    def __init__(self, policy: str, failed: int, total: int, message: str | Message) -> None:
        self.policy = policy
        self.failed = failed
        self.total = total
        super().__init__(message)


class FileFormatError(AspectFileError, ValueError):
    """A file does not have the layout its schema describes.

    :attr:`line` is the 1-based line (fixed width) or record (delimited)
    number where the problem was found, or None for the file as a whole.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)
