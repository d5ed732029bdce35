"""The schema model: a validated schema document as frozen attrs classes.

Build a :class:`Schema` with :func:`~aspectfile_core.schema.parse_schema`,
which checks every key and fills in the defaults; the classes here hold the
result. Positions of fixed-width fields are resolved (every field has a
``start``), and defaults that depend on other keys (alignment, overflow,
extension, line length) are filled in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from aspectfile_core.schema.compiler import CompiledSchema

FileFormat = Literal["fixed", "delimited"]
FieldType = Literal["string", "integer", "decimal", "date", "datetime", "boolean", "phone"]
Transform = Literal[
    "strip", "upper", "lower", "title", "collapse_spaces", "digits_only", "ascii", "remove_newlines"
]
UnencodablePolicy = Literal["fail", "replace", "transliterate"]
LineEnding = Literal["lf", "crlf", "cr"]
WidthUnit = Literal["characters", "bytes"]
Quoting = Literal["minimal", "all", "nonnumeric", "none"]
Align = Literal["left", "right"]
Overflow = Literal["fail", "truncate"]
PhoneFormat = Literal["e164", "national", "digits", "country_code"]
PhoneCheck = Literal["valid", "possible"]
InvalidLeadsPolicy = Literal["skip", "fail_batch"]
EmptyBatchPolicy = Literal["fail", "write"]

LINE_ENDINGS: dict[str, str] = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
"""The characters written for each ``line_ending`` setting."""

NUMERIC_TYPES = frozenset({"integer", "decimal"})

BATCH_VARIABLES = (
    "batch_id",
    "campaign_id",
    "event_id",
    "schema",
    "schema_version",
    "created_at",
    "generated_at",
    "file_sequence",
    "extension",
)
"""Names that file names, path prefixes, headers and trailers may use."""

TOTAL_VARIABLES = ("record_count",)
"""Names known only after the last data record; headers and trailers may use them, file names may not.
Each numeric data field FIELD adds ``sum_FIELD``."""


@attrs.frozen
class FieldSpec:
    """One field of a record: where its value comes from, how it is converted and how it is laid out.

    Exactly one of :attr:`source`, :attr:`template` and :attr:`value` is set.
    """

    name: str
    source: str | None = None
    """Contact field (data records) or batch variable (header and trailer records) to read."""
    template: str | None = None
    """``str.format`` template over contact fields or batch variables, such as ``"{firstname} {lastname}"``."""
    value: Any = None
    """Constant value."""
    default: Any = None
    """Value used when the taken value is empty (absent, None, or only whitespace)."""
    required: bool = False
    type: FieldType = "string"
    transforms: tuple[Transform, ...] = ()
    title: str | None = None
    """Column title in a delimited header row; the field name when unset."""
    overflow: Overflow = "truncate"
    keep_newlines: bool = False
    """Delimited files with quoting only: keep CR and LF inside the value instead of turning them into spaces."""

    # Fixed width only.
    start: int | None = None
    """First column, 1-based, in the schema's width unit."""
    length: int | None = None
    align: Align = "left"
    pad: str = " "

    # Delimited only.
    max_length: int | None = None
    """Maximum value length in characters."""

    # type = "decimal"
    places: int = 2
    decimal_separator: str = "."
    implied_decimal: bool = False
    input_decimal_separator: str = "."

    # type = "date" / "datetime"
    format: str | None = None
    """strftime format of the output."""
    input_formats: tuple[str, ...] = ()
    """strptime formats tried, in order, before ISO 8601 when the input is text."""
    timezone: str | None = None
    """IANA zone that timezone-aware input is converted to before formatting."""

    # type = "boolean"
    true_value: str = "1"
    false_value: str = "0"

    # type = "phone"
    phone_format: PhoneFormat = "e164"
    default_region: str | None = None
    phone_check: PhoneCheck = "valid"

    @property
    def end(self) -> int:
        """Last column of a fixed-width field, 1-based and inclusive."""
        if self.start is None or self.length is None:
            raise ValueError(
                f"field {self.name!r} has no position; only fixed-width fields have one"
            )
        return self.start + self.length - 1


@attrs.frozen
class RecordSpec:
    """A header or trailer record: one line whose fields take batch variables."""

    fields: tuple[FieldSpec, ...]


@attrs.frozen
class Schema:
    """A validated schema: how contacts become the bytes of one dialer file.

    Build one with :func:`~aspectfile_core.schema.parse_schema` or
    :func:`~aspectfile_core.schema.load_schema_file`. The generator compiles the
    schema once (see :attr:`compiled`) and reuses the compiled form for every lead.
    """

    name: str
    format: FileFormat
    fields: tuple[FieldSpec, ...]
    header: tuple[RecordSpec, ...] = ()
    trailer: tuple[RecordSpec, ...] = ()
    description: str = ""
    published: bool = True

    encoding: str = "utf-8"
    bom: bool = False
    unencodable: UnencodablePolicy = "fail"
    replacement: str = "?"
    line_ending: LineEnding = "crlf"
    final_newline: bool = True

    # Fixed width only.
    line_length: int | None = None
    width_unit: WidthUnit = "characters"
    filler: str = " "

    # Delimited only.
    delimiter: str = ","
    quote_char: str = '"'
    quoting: Quoting = "minimal"
    escape_char: str | None = None
    header_row: bool = False
    null_value: str = ""

    file_name: str | None = None
    path_prefix: str = ""
    extension: str = "txt"
    timezone: str | None = None
    """IANA zone that ``created_at`` and ``generated_at`` are converted to in names, headers and trailers."""

    invalid_leads: InvalidLeadsPolicy = "skip"
    max_invalid_ratio: float | None = None
    empty_batch: EmptyBatchPolicy = "fail"
    delivery: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    """Overrides of the destination's delivery options: ``if_exists``, ``completion_marker``, ``compression``."""

    _compiled: CompiledSchema | None = attrs.field(
        default=None, init=False, eq=False, hash=False, repr=False
    )

    @property
    def compiled(self) -> CompiledSchema:
        """The per-field formatters and record writers, built on first use and kept.

        Raises :class:`~aspectfile_core.domain.errors.SchemaError` when a schema
        built by hand contains a constant or default that its own field rejects.
        """
        compiled = self._compiled
        if compiled is None:
            from aspectfile_core.schema.compiler import compile_schema

            compiled = compile_schema(self)
            object.__setattr__(self, "_compiled", compiled)
        return compiled

    @property
    def line_separator(self) -> str:
        """The characters that end each line."""
        return LINE_ENDINGS[self.line_ending]

    @property
    def numeric_field_names(self) -> tuple[str, ...]:
        """Names of the data fields that have a ``sum_FIELD`` variable."""
        return tuple(spec.name for spec in self.fields if spec.type in NUMERIC_TYPES)


@attrs.frozen
class BatchVariables:
    """The values a file name, path prefix, header or trailer can use for one batch.

    For byte-identical retries, pass the values frozen on the batch at its first
    claim: the same ``generated_at`` and ``file_sequence`` on every attempt.
    """

    batch_id: int
    campaign_id: int
    event_id: int
    schema: str
    schema_version: int
    created_at: dt.datetime
    generated_at: dt.datetime
    file_sequence: int
